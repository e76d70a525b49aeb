// Totals, computed on the server from captured prices only: the same function serves every cart read and
// checkout (computeTotals), so what the shopper saw is what the order charges. Sums are made in BigInt:
// a line's price × quantity can pass 2^53 before the money limit (kernel/money.ts) refuses it.
import type { Platform } from '../../kernel/context.ts';
import { assertMoneyWithinLimit } from '../../kernel/money.ts';
import type { CartStrategies, ShippingOption, ShippingQuoteInput } from './strategies.ts';

export interface Totals {
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  total: number;
  taxIncluded: boolean;
}

export interface TotalsInput {
  currency: string;
  lines: readonly { variantId: string; productId: string; quantity: number; unitPrice: number }[];
  shippingMethodId: string | null;
}

/** The exact sum of price × quantity. */
export function exactSubtotal(lines: TotalsInput['lines']): bigint {
  let sum = 0n;
  for (const line of lines) sum += BigInt(line.unitPrice) * BigInt(line.quantity);
  return sum;
}

export function subtotalOf(lines: TotalsInput['lines']): number {
  return Number(exactSubtotal(lines));
}

/**
 * 422 money_limit_exceeded when the lines, or the total before any coupon, pass MAX_MONEY: the check a
 * cart change that adds units makes, and checkout makes again before anything is written.
 */
export function assertCartWithinMoneyLimit(strategies: CartStrategies, platform: Platform, cart: TotalsInput): void {
  assertMoneyWithinLimit('cart subtotal', exactSubtotal(cart.lines), cart.currency);
  assertMoneyWithinLimit('cart total', totalsOf(strategies, platform, cart, 0).totals.total, cart.currency);
}

export function shippingInput(cart: TotalsInput, discount: number): ShippingQuoteInput {
  const lines = cart.lines.map((l) => ({ variantId: l.variantId, productId: l.productId, quantity: l.quantity, lineTotal: l.unitPrice * l.quantity }));
  const subtotal = subtotalOf(cart.lines);
  return { currency: cart.currency, subtotal, discount: Math.min(Math.max(0, discount), subtotal), lines };
}

/** The methods this cart can choose from now (empty cart: still offered, so a storefront can show them). */
export function shippingOptions(strategies: CartStrategies, platform: Platform, cart: TotalsInput, discount: number): (ShippingOption & { delivery: boolean })[] {
  // A platform's own strategy may leave `delivery` out: a method delivers unless it says otherwise.
  return strategies.for(platform).shipping.options(platform, shippingInput(cart, discount)).map((o) => ({ ...o, delivery: o.delivery ?? true }));
}

/**
 * subtotal − discount + shipping (+ tax when prices exclude it). The discount is capped at the subtotal;
 * shipping is charged only when there is something to ship and a method the cart may use is chosen
 * (shippingMethod is then that method, otherwise null).
 */
export function totalsOf(
  strategies: CartStrategies,
  platform: Platform,
  cart: TotalsInput,
  discount: number,
): { totals: Totals; shippingMethod: { id: string; name: string; amount: number } | null } {
  const { shipping: shippingStrategy, tax: taxStrategy } = strategies.for(platform);
  const input = shippingInput(cart, discount);
  let shippingMethod: { id: string; name: string; amount: number } | null = null;
  if (cart.shippingMethodId !== null) {
    const option = shippingStrategy.options(platform, input).find((o) => o.id === cart.shippingMethodId);
    if (option) shippingMethod = { id: option.id, name: option.name, amount: cart.lines.length > 0 ? option.amount : 0 };
  }
  const shipping = shippingMethod?.amount ?? 0;
  const taxable = input.subtotal - input.discount + shipping;
  const { tax, included } = taxStrategy.compute(platform, { currency: cart.currency, taxableAmount: taxable });
  return {
    totals: { subtotal: input.subtotal, discount: input.discount, shipping, tax, total: included ? taxable : taxable + tax, taxIncluded: included },
    shippingMethod,
  };
}
