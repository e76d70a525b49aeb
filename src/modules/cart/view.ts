// The Cart response: lines named from the catalog, the coupon evaluated now (a coupon that stopped
// applying is shown with its error and no discount instead of failing the read), and the totals.
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import type { SellableVariant } from '../catalog/service.ts';
import type { CouponContext, CouponQuote } from '../promotions/service.ts';
import type { Cart, CartCoupon, CartLine } from './schemas.ts';
import type { CartState } from './state.ts';
import { totalsOf } from './totals.ts';
import type { CartRuntime } from './runtime.ts';

export function couponContext(state: Pick<CartState, 'customerId' | 'email' | 'currency' | 'lines'>): CouponContext {
  let subtotal = 0;
  const lines = state.lines.map((l) => {
    const lineTotal = l.unitPrice * l.quantity;
    subtotal += lineTotal;
    return { variantId: l.variantId, productId: l.productId, quantity: l.quantity, lineTotal };
  });
  return { customerId: state.customerId, email: state.email, currency: state.currency, subtotal, lines };
}

/** The coupon as the cart shows it: its discount now, or why it does not apply. */
export async function couponOf(rt: CartRuntime, pdb: PlatformDb, state: CartState, quote?: CouponQuote): Promise<{ coupon: CartCoupon; discount: number }> {
  if (state.couponCode === null) return { coupon: null, discount: 0 };
  if (quote) return { coupon: { code: quote.code, discount: quote.discount }, discount: quote.discount };
  try {
    const evaluated = await rt.promotions.evaluateCoupon(pdb, state.couponCode, couponContext(state));
    return { coupon: { code: evaluated.code, discount: evaluated.discount }, discount: evaluated.discount };
  } catch (error) {
    if (error instanceof HttpProblem && error.status < 500) {
      return { coupon: { code: state.couponCode, error: { code: error.code, detail: error.detail } }, discount: 0 };
    }
    throw error;
  }
}

export async function presentCart(
  rt: CartRuntime,
  pdb: PlatformDb,
  platform: Platform,
  state: CartState,
  catalog: ReadonlyMap<string, SellableVariant>,
  quote?: CouponQuote,
): Promise<Cart> {
  // Lines the catalog no longer sells still show (checkout refuses them); their names come from the
  // variant itself, which costs a query only in that rare case.
  const missing = state.lines.filter((l) => !catalog.has(l.variantId)).map((l) => l.variantId);
  const refs = missing.length > 0 ? new Map((await rt.catalog.getVariantRefs(pdb, missing)).map((r) => [r.variantId, r])) : undefined;
  const lines: CartLine[] = state.lines.map((l) => {
    const named = catalog.get(l.variantId) ?? refs?.get(l.variantId);
    return {
      id: l.id,
      variantId: l.variantId,
      productId: l.productId,
      sku: named?.sku ?? '',
      title: named?.title ?? '',
      productTitle: named?.productTitle ?? '',
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      lineTotal: l.unitPrice * l.quantity,
      metadata: l.metadata,
      priceChanged: l.priceChanged,
    };
  });
  const { coupon, discount } = await couponOf(rt, pdb, state, quote);
  const { totals, shippingMethod } = totalsOf(rt.strategies, platform, { currency: state.currency, lines: state.lines, shippingMethodId: state.shippingMethodId }, discount);
  return {
    id: state.id,
    status: state.status,
    customerId: state.customerId,
    email: state.email,
    currency: state.currency,
    version: state.version,
    lines,
    coupon,
    shippingMethod,
    shippingAddress: state.shippingAddress,
    totals,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
