// The cart as checkout sees it: loaded under its row lock, repriced and checked, then totalled with the
// platform's strategies and marked completed by the order. Reached through cartService (service.ts).
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { assertWritable, authorize, loadCart, sellableVariants } from './state.ts';
import type { CartRuntime } from './runtime.ts';
import { assertMoneyWithinLimit } from '../../kernel/money.ts';
import { exactSubtotal, shippingOptions, totalsOf, type Totals } from './totals.ts';
import { cartEmpty, cartPricesStale, cartVersionStale, shippingMethodNotChosen, shippingMethodWithdrawn, usableShippingMethodNeeded, variantNotSellable } from './problems.ts';

export interface CheckoutCart {
  id: string;
  version: number;
  customerId: string | null;
  email: string | null;
  currency: string;
  lines: {
    id: string;
    variantId: string;
    productId: string;
    sku: string;
    title: string;
    productTitle: string;
    quantity: number;
    unitPrice: number;
    lineTotal: number;
    metadata: Record<string, unknown>;
  }[];
  couponCode: string | null;
  shippingMethodId: string | null;
  shippingAddress: Record<string, unknown> | null;
}


/**
 * Locks the cart row (select … for update) in the caller's transaction and reprices it from the catalog.
 * 404 cart_not_found (also when customerId does not own it), 409 cart_completed, 422 cart_empty, 409
 * cart_stale when a price changed since capture (the client should GET the cart — which re-captures —
 * and confirm) or when expectedVersion differs, 422 variant_not_sellable, 422 shipping_method_required.
 */
export async function loadCartForCheckout(
  rt: CartRuntime,
  tx: PlatformDb,
  platform: Platform,
  cartId: string,
  who: { customerId: string | null; expectedVersion?: number },
): Promise<CheckoutCart> {
  const state = await authorize(tx, await loadCart(tx, cartId, true), cartId, { customerId: async () => who.customerId });
  assertWritable(state);
  if (who.expectedVersion !== undefined && who.expectedVersion !== state.version) {
    throw cartVersionStale(state.version, who.expectedVersion);
  }
  if (state.lines.length === 0) throw cartEmpty();
  const catalog = await sellableVariants(rt.catalog, tx, state.lines.map((l) => l.variantId), state.currency);
  const unsellable = state.lines.filter((l) => !catalog.has(l.variantId)).map((l) => l.variantId);
  if (unsellable.length > 0) throw variantNotSellable([...new Set(unsellable)], state.currency);
  const changed = state.lines.filter((l) => catalog.get(l.variantId)!.price !== l.unitPrice);
  if (changed.length > 0) {
    throw cartPricesStale(state.version, changed.map((l) => l.variantId));
  }
  if (state.shippingMethodId === null) throw shippingMethodNotChosen();
  // Prices may have risen since the lines were added: refused here, before a coupon use is taken.
  assertMoneyWithinLimit('cart subtotal', exactSubtotal(state.lines), state.currency);
  const cart: CheckoutCart = {
    id: state.id,
    version: state.version,
    customerId: state.customerId,
    email: state.email,
    currency: state.currency,
    lines: state.lines.map((l) => {
      const v = catalog.get(l.variantId)!;
      return {
        id: l.id,
        variantId: l.variantId,
        productId: l.productId,
        sku: v.sku,
        title: v.title,
        productTitle: v.productTitle,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        lineTotal: Number(BigInt(l.unitPrice) * BigInt(l.quantity)),
        metadata: l.metadata,
      };
    }),
    couponCode: state.couponCode,
    shippingMethodId: state.shippingMethodId,
    shippingAddress: state.shippingAddress,
  };
  // A method the shop stopped offering (or not in this currency) cannot be charged.
  if (!totalsOf(rt.strategies, platform, checkoutTotalsInput(cart), 0).shippingMethod) {
    throw shippingMethodWithdrawn(cart.shippingMethodId);
  }
  return cart;
}

function checkoutTotalsInput(cart: CheckoutCart) {
  return { currency: cart.currency, lines: cart.lines, shippingMethodId: cart.shippingMethodId };
}

/** Totals for the given discount (the coupon was already redeemed by checkout) — the same code path as cart reads. */
export function computeTotals(
  rt: CartRuntime,
  platform: Platform,
  cart: CheckoutCart,
  discount: number,
): Totals & { shippingMethod: { id: string; name: string; amount: number } } {
  const { totals, shippingMethod } = totalsOf(rt.strategies, platform, checkoutTotalsInput(cart), discount);
  if (!shippingMethod) throw usableShippingMethodNeeded();
  // No order, payment or refund can ever carry more than MAX_MONEY: see kernel/money.ts.
  assertMoneyWithinLimit('order total', totals.total, cart.currency);
  return { ...totals, shippingMethod };
}

/**
 * Whether the cart's chosen shipping method delivers the goods (so the order needs a full address):
 * true unless the method says `delivery: false` (pickup in store).
 */
export function shippingDelivers(rt: CartRuntime, platform: Platform, cart: CheckoutCart): boolean {
  const chosen = shippingOptions(rt.strategies, platform, checkoutTotalsInput(cart), 0).find((o) => o.id === cart.shippingMethodId);
  return chosen?.delivery !== false;
}

/**
 * The statement that marks a cart completed by an order (conditional on status = 'active'; it returns the
 * cart's id when it did), for a caller that runs it as a CTE of its own statement (checkout's order
 * insert). $1 is the platform id; `cartId` and `orderId` are SQL expressions (parameters).
 */
export function completeCartStatement(cartId: string, orderId: string): string {
  return `update carts set status = 'completed', completed_order_id = ${orderId}, version = version + 1, updated_at = now()
     where platform_id = $1 and id = ${cartId} and status = 'active' returning id`;
}

/** Marks the cart completed by this order (conditional on status = 'active'; false if it was not). */
export async function completeCart(tx: PlatformDb, cartId: string, orderId: string): Promise<boolean> {
  const { rowCount } = await tx.execute(completeCartStatement('$2', '$3'), [cartId, orderId]);
  return rowCount === 1;
}
