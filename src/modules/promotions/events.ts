// The promotions module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_REDEEMED = 'coupon.redeemed';
export const EVENT_RELEASED = 'coupon.released';
export const EVENT_COUPON_CREATED = 'promotions.coupon_created';

export interface CouponRedeemedPayload {
  redemptionId: string;
  couponId: string;
  code: string;
  orderId: string;
  customerId: string | null;
  amount: number;
  currency: string;
}

export interface CouponReleasedPayload {
  redemptionId: string;
  couponId: string;
  orderId: string;
  amount: number;
  currency: string;
}

export interface CouponCreatedPayload {
  couponId: string;
  code: string;
  kind: string;
}

export interface PromotionsEvents {
  [EVENT_REDEEMED]: CouponRedeemedPayload;
  [EVENT_RELEASED]: CouponReleasedPayload;
  [EVENT_COUPON_CREATED]: CouponCreatedPayload;
}
