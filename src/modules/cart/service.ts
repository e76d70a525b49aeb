// The cart module's public service for other modules. Bind it once to the module context; checkout
// (orders) calls it inside its transaction:
//
//   const carts = cartService(ctx);
//   const cart = await carts.loadCartForCheckout(tx, platform, cartId, { customerId, expectedVersion });
//   const use = cart.couponCode ? await promotions.redeemCoupon(tx, cart.couponCode, …) : undefined;
//   const totals = carts.computeTotals(platform, cart, use?.discount ?? 0);
//   …reserve stock, write the order…
//   await carts.completeCart(tx, cart.id, orderId);   (or completeCartStatement inside the order's insert)
//
// Shipping and tax come from the platform's strategies, which live in the cart module's runtime: the
// service looks the runtime up when called (`ctx.runtimeOf`), so it may be bound before the runtimes
// exist. Errors are HttpProblem (4xx) meant to roll the caller's transaction back.
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { completeCart, completeCartStatement, computeTotals, loadCartForCheckout, shippingDelivers, type CheckoutCart } from './checkout-cart.ts';
import { cartModule } from './module.ts';
import type { Totals } from './totals.ts';

/** What the cart service needs: a way to reach the cart runtime of this Souk. A ModuleContext satisfies it. */
export type CartDeps = Pick<ModuleContext, 'runtimeOf'>;

export interface CartService {
  /**
   * Locks the cart row (select … for update) in the caller's transaction and reprices it from the catalog.
   * 404 cart_not_found (also when customerId does not own it), 409 cart_completed, 422 cart_empty, 409
   * cart_stale when a price changed since capture or expectedVersion differs, 422 variant_not_sellable,
   * 422 shipping_method_required.
   */
  loadCartForCheckout(tx: PlatformDb, platform: Platform, cartId: string, who: { customerId: string | null; expectedVersion?: number }): Promise<CheckoutCart>;
  /** Totals for the given discount (the coupon was already redeemed by checkout) — the same code path as cart reads. */
  computeTotals(platform: Platform, cart: CheckoutCart, discount: number): Totals & { shippingMethod: { id: string; name: string; amount: number } };
  /** Whether the chosen shipping method delivers the goods (so the order needs a full address). */
  shippingDelivers(platform: Platform, cart: CheckoutCart): boolean;
  /** Marks the cart completed by this order (conditional on status = 'active'; false if it was not). */
  completeCart(tx: PlatformDb, cartId: string, orderId: string): Promise<boolean>;
  /**
   * completeCart as SQL, to run as a CTE of the caller's statement ($1 the platform id, the arguments SQL
   * expressions); it returns the cart's id when it completed it.
   */
  completeCartStatement(cartId: string, orderId: string): string;
  /** The platform's tax on an amount, as a cart would be taxed (orders without a cart: flash-sale tickets). */
  computeTax(platform: Platform, input: { currency: string; taxableAmount: number }): { tax: number; included: boolean };
}

export function cartService(deps: CartDeps): CartService {
  const runtime = () => deps.runtimeOf(cartModule);
  return {
    loadCartForCheckout: (tx, platform, cartId, who) => loadCartForCheckout(runtime(), tx, platform, cartId, who),
    computeTotals: (platform, cart, discount) => computeTotals(runtime(), platform, cart, discount),
    shippingDelivers: (platform, cart) => shippingDelivers(runtime(), platform, cart),
    completeCart,
    completeCartStatement,
    computeTax: (platform, input) => runtime().strategies.for(platform).tax.compute(platform, input),
  };
}

export type { CheckoutCart } from './checkout-cart.ts';
export { CartStrategies, settingsShipping, settingsTax } from './strategies.ts';
export type { ShippingOption, ShippingQuoteInput, ShippingStrategy, TaxStrategy } from './strategies.ts';
export type { Totals } from './totals.ts';
export { Cart, type CartLine } from './schemas.ts';
export { cartSettings, cartSettingsSchema, type CartSettings } from './settings.ts';
