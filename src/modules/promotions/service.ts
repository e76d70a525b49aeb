// The promotions module's public service for other modules. Bind it once to the module context. The cart
// previews a coupon with evaluateCoupon (read-only, never counts a use); checkout takes a use with
// redeemCoupon inside its own transaction; cancellation gives it back with releaseCouponRedemption:
//
//   const promotions = promotionsService(ctx);
//   const quote = await promotions.evaluateCoupon(pdb, 'SPRING10', context);               // cart read
//   await pdb.transaction(async (tx) => {
//     const use = await promotions.redeemCoupon(tx, 'SPRING10', { ...context, orderId });   // 409 coupon_exhausted …
//     …write the order with use.discount…
//   });
//   await promotions.releaseCouponRedemption(tx, orderId);                                 // order cancelled
//
// Errors are HttpProblem: 404 coupon_not_found (unknown or disabled), 422 coupon_expired /
// coupon_not_started / coupon_min_subtotal / coupon_not_applicable / coupon_currency, 409
// coupon_exhausted / coupon_customer_limit (also: a guest with no email on a per-customer coupon at
// redemption) and, from redeemCoupon only, 409 coupon_order_redeemed (the order already uses another coupon).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { Platform } from '../../kernel/context.ts';
import { EVENT_COUPON_CREATED } from './events.ts';
import { createCoupon as insertCoupon, getCoupon, listCoupons } from './coupons.ts';
import type { PromotionsDeps } from './deps.ts';
import { evaluate, redeem, release } from './redemptions.ts';
import type { Coupon, CouponInput, CouponList, CouponsQuery } from './schemas.ts';
import type { CouponContext, CouponQuote } from './types.ts';
import { importCoupons, type CouponImport, type CouponImportCounts } from './import.ts';

export interface PromotionsService {
  /** Read-only check used by the cart: throws the errors above. Never counts a use. */
  evaluateCoupon(pdb: PlatformDb, code: string, context: CouponContext): Promise<CouponQuote>;
  /** Checkout, inside the caller's transaction: validates again and takes one use of the budget and of the
   *  customer's allowance atomically; the same errors as evaluateCoupon. A retry for the same order returns
   *  the use it already holds. Emits coupon.redeemed in the transaction. */
  redeemCoupon(tx: PlatformDb, code: string, context: CouponContext & { orderId: string }): Promise<CouponQuote & { redemptionId: string }>;
  /** Order cancelled: the use goes back to the budget and the customer. Idempotent: false when nothing was
   *  active. Emits coupon.released in the transaction. */
  releaseCouponRedemption(tx: PlatformDb, orderId: string): Promise<boolean>;
  /** Creates a coupon and logs promotions.coupon_created in the same transaction; the admin API and the
   *  demo seed both come through here, so the event log shows every coupon however it was made. */
  createCoupon(pdb: PlatformDb, platform: Platform, input: CouponInput): Promise<Coupon>;
  getCoupon(pdb: PlatformDb, couponId: string): Promise<Coupon | undefined>;
  listCoupons(pdb: PlatformDb, query: CouponsQuery): Promise<CouponList>;
  /** Coupons of an export, created or updated by code with their use counts (import.ts). */
  importCoupons(tx: PlatformDb, platform: Platform, coupons: readonly CouponImport[]): Promise<CouponImportCounts>;
}

export function promotionsService(deps: PromotionsDeps): PromotionsService {
  return {
    evaluateCoupon: (pdb, code, context) => evaluate(deps, pdb, code, context),
    redeemCoupon: (tx, code, context) => redeem(deps, tx, code, context),
    releaseCouponRedemption: (tx, orderId) => release(deps, tx, orderId),
    createCoupon: (pdb, platform, input) =>
      pdb.transaction(async (tx) => {
        const coupon = await insertCoupon(deps, tx, platform, input);
        await deps.events.emit(tx, EVENT_COUPON_CREATED, { couponId: coupon.id, code: coupon.code, kind: coupon.kind }, { key: coupon.id });
        return coupon;
      }),
    getCoupon,
    listCoupons,
    importCoupons: (tx, platform, coupons) => importCoupons(deps, tx, platform, coupons),
  };
}

// The cart's side of a coupon lives in types.ts, so rules and redemptions need not import this file back.
export type { CouponContext, CouponLine, CouponQuote } from './types.ts';
export type { PromotionsDeps } from './deps.ts';
export * from './events.ts';
export type { Coupon, CouponInput } from './schemas.ts';
export { CouponImportSchema, type CouponImport, type CouponImportCounts } from './import.ts';
