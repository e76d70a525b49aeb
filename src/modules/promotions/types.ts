// What a cart tells promotions about itself (CouponContext) and what it gets back (CouponQuote). Kept apart
// from service.ts so that rules.ts and redemptions.ts, which service.ts imports, do not import it back.
export interface CouponLine {
  variantId: string;
  productId: string;
  quantity: number;
  lineTotal: number;
}

export interface CouponContext {
  customerId: string | null; // null for a guest
  email: string | null; // the per-customer limit for guests is keyed by lower(email)
  currency: string;
  subtotal: number; // sum of lineTotal
  lines: CouponLine[];
  at?: Date; // default now
}

export interface CouponQuote {
  couponId: string;
  code: string;
  discount: number; // 0 < discount <= eligible subtotal
}
