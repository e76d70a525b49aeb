// The strategy seams (Vendure's idea without its container): how shipping is offered and priced, and how
// tax is computed. The defaults read settings.cart; a platform can be given its own implementation on the
// cart runtime, `souk.runtimeOf(cartModule).strategies.set(platformId, …)` (a carrier's rate table, a tax
// service's numbers). Both are synchronous because checkout computes totals inside its transaction and
// must not wait on anything there.
import type { Platform } from '../../kernel/context.ts';
import { mulDivRoundHalfUp } from '../../kernel/money.ts';
import { cartSettings, TAX_RATE_DENOMINATOR } from './settings.ts';

/** What shipping may depend on: the cart as it will be charged. */
export interface ShippingQuoteInput {
  currency: string;
  subtotal: number;
  discount: number;
  lines: readonly { variantId: string; productId: string; quantity: number; lineTotal: number }[];
}

export interface ShippingOption {
  id: string;
  name: string;
  /** What this cart pays for the method now (0 when it qualifies for free shipping). */
  amount: number;
  /** The subtotal after discount from which the method is free, if it ever is. */
  freeOver: number | null;
  /** False when nothing is delivered (pickup): checkout then asks for no address. Absent means true. */
  delivery?: boolean;
}

export interface ShippingStrategy {
  /** The methods this cart can use, in display order; a method missing here cannot be chosen. */
  options(platform: Platform, cart: ShippingQuoteInput): ShippingOption[];
}

export interface TaxStrategy {
  /** Tax on taxableAmount (subtotal - discount + shipping); included = already part of the prices. */
  compute(platform: Platform, input: { currency: string; taxableAmount: number }): { tax: number; included: boolean };
}

export { mulDivRoundHalfUp } from '../../kernel/money.ts';

export const settingsShipping: ShippingStrategy = {
  options(platform, cart) {
    const payable = cart.subtotal - cart.discount;
    const options: ShippingOption[] = [];
    for (const method of cartSettings(platform).shippingMethods) {
      const price = method.prices.find((p) => p.currency === cart.currency);
      if (!price || options.some((o) => o.id === method.id)) continue;
      const freeOver = price.freeOver ?? null;
      options.push({ id: method.id, name: method.name, amount: freeOver !== null && payable >= freeOver ? 0 : price.amount, freeOver, delivery: method.delivery ?? true });
    }
    return options;
  },
};

export const settingsTax: TaxStrategy = {
  compute(platform, { taxableAmount }) {
    const { taxRateMillionths: r, pricesIncludeTax } = cartSettings(platform);
    const taxable = Math.max(0, taxableAmount);
    if (r === 0) return { tax: 0, included: pricesIncludeTax };
    // The rate is r / D exactly (D = 10^6). One rounding, half up, on the order's whole taxable amount.
    // Exclusive: tax = taxable × r / D. Inclusive: the prices hold tax already, tax = taxable × r / (D + r).
    return pricesIncludeTax
      ? { tax: mulDivRoundHalfUp(taxable, r, TAX_RATE_DENOMINATOR + r), included: true }
      : { tax: mulDivRoundHalfUp(taxable, r, TAX_RATE_DENOMINATOR), included: false };
  },
};

/**
 * The strategies each platform uses, kept in the cart module's runtime (one per running Souk, so two
 * Souks in one process never see each other's overrides). A platform without its own uses the defaults.
 */
export class CartStrategies {
  private readonly overrides = new Map<string, { shipping?: ShippingStrategy; tax?: TaxStrategy }>();

  /** Replaces the shipping and/or tax strategy of one platform; {} restores the defaults. */
  set(platformId: string, strategies: { shipping?: ShippingStrategy; tax?: TaxStrategy }): void {
    if (!strategies.shipping && !strategies.tax) this.overrides.delete(platformId);
    else this.overrides.set(platformId, { ...strategies });
  }

  for(platform: Platform): { shipping: ShippingStrategy; tax: TaxStrategy } {
    const own = this.overrides.get(platform.id);
    return { shipping: own?.shipping ?? settingsShipping, tax: own?.tax ?? settingsTax };
  }
}
