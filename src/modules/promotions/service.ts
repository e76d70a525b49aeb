// The promotions module's public service for other modules. The cart previews a coupon with
// evaluateCoupon (read-only, never counts a use); checkout takes a use with redeemCoupon inside its own
// transaction; cancellation gives it back with releaseCouponRedemption:
//
//   const quote = await evaluateCoupon(pdb, 'SPRING10', context);                     // cart read
//   await pdb.transaction(async (tx) => {
//     const use = await redeemCoupon(ctx.events, tx, 'SPRING10', { ...context, orderId }); // 409 coupon_exhausted …
//     …write the order with use.discount…
//   });
//   await releaseCouponRedemption(ctx.events, tx, orderId);                          // order cancelled
//
// Errors are HttpProblem: 404 coupon_not_found (unknown or disabled), 422 coupon_expired /
// coupon_not_started / coupon_min_subtotal / coupon_not_applicable / coupon_currency, 409
// coupon_exhausted / coupon_customer_limit (also: a guest with no email on a per-customer coupon at
// redemption) and, from redeemCoupon only, 409 coupon_order_redeemed (the order already uses another coupon).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { Platform } from '../../kernel/context.ts';
import { EVENT_COUPON_CREATED } from './events.ts';
import { createCoupon as insertCoupon } from './coupons.ts';
import { evaluate, redeem, release, type PromotionsBus } from './redemptions.ts';
import type { Coupon, CouponInput } from './schemas.ts';
import type { CouponContext, CouponQuote } from './types.ts';

// The cart's side of a coupon lives in types.ts, so rules and redemptions need not import this file back.
export type { CouponContext, CouponLine, CouponQuote } from './types.ts';

/** Read-only check used by the cart: throws the errors above. Never counts a use. */
export function evaluateCoupon(pdb: PlatformDb, code: string, context: CouponContext): Promise<CouponQuote> {
  return evaluate(pdb, code, context);
}

/** Checkout, inside the caller's transaction: validates again and takes one use of the budget and of the
 *  customer's allowance atomically; the same errors as evaluateCoupon. A retry for the same order returns
 *  the use it already holds. Emits coupon.redeemed in the transaction. */
export function redeemCoupon(events: PromotionsBus, tx: PlatformDb, code: string, context: CouponContext & { orderId: string }): Promise<CouponQuote & { redemptionId: string }> {
  return redeem(events, tx, code, context);
}

/** Order cancelled: the use goes back to the budget and the customer. Idempotent: false when nothing was
 *  active. Emits coupon.released in the transaction. */
export function releaseCouponRedemption(events: PromotionsBus, tx: PlatformDb, orderId: string): Promise<boolean> {
  return release(events, tx, orderId);
}

export * from './events.ts';
export type { PromotionsBus } from './redemptions.ts';
export { getCoupon, listCoupons } from './coupons.ts';

/**
 * Creates a coupon and logs promotions.coupon_created in the same transaction; the admin API and the
 * demo seed both come through here, so the event log shows every coupon however it was made.
 */
export function createCoupon(events: PromotionsBus, pdb: PlatformDb, platform: Platform, input: CouponInput): Promise<Coupon> {
  return pdb.transaction(async (tx) => {
    const coupon = await insertCoupon(tx, platform, input);
    await events.emit(tx, EVENT_COUPON_CREATED, { couponId: coupon.id, code: coupon.code, kind: coupon.kind }, { key: coupon.id });
    return coupon;
  });
}
export type { Coupon, CouponInput } from './schemas.ts';
