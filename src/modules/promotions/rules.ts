// The rules a coupon applies by, as pure functions over a coupon row and a cart context: which check
// fails first, which lines are eligible and how much comes off. evaluateCoupon and redeemCoupon share
// them, so the cart's preview and checkout cannot disagree.
import { mulDivRoundHalfUp } from '../../kernel/money.ts';
import type { CouponRow } from './rows.ts';
import type { CouponContext } from './types.ts';
import { couponCurrency, couponExpired, couponMinSubtotal, couponNotApplicable, couponNotFound, couponNotStarted, exhausted } from './problems.ts';


/** An email as allowances compare it: trimmed and lower-cased; null when empty. */
export function normalisedEmail(email: string | null | undefined): string | null {
  const normalised = email?.trim().toLowerCase();
  return normalised ? normalised : null;
}

/** Whose allowance a use is recorded under; null when there is nobody to count (a guest without email). */
export function customerKey(context: Pick<CouponContext, 'customerId' | 'email'>): string | null {
  if (context.customerId) return `customer:${context.customerId}`;
  const email = normalisedEmail(context.email);
  return email ? `email:${email}` : null;
}

/** Status, window, currency and minimum spend: what can be decided from the coupon row alone. */
export function assertUsable(coupon: CouponRow, context: CouponContext): void {
  if (coupon.status !== 'active') throw couponNotFound(coupon.code);
  const at = context.at ?? new Date();
  if (coupon.starts_at && at < new Date(coupon.starts_at)) {
    throw couponNotStarted(coupon.code, new Date(coupon.starts_at).toISOString());
  }
  if (coupon.ends_at && at >= new Date(coupon.ends_at)) {
    throw couponExpired(coupon.code, new Date(coupon.ends_at).toISOString());
  }
  if (coupon.kind === 'fixed' && coupon.currency !== context.currency) {
    throw couponCurrency(coupon.code, coupon.currency, context.currency);
  }
  if (context.subtotal < coupon.min_subtotal) {
    throw couponMinSubtotal(coupon.code, coupon.min_subtotal, context.currency, context.subtotal);
  }
}

/** The budget as the row shows it (redeemCoupon does not rely on this: its conditional update decides). */
export function assertNotExhausted(coupon: Pick<CouponRow, 'code' | 'usage_limit' | 'times_used'>): void {
  if (coupon.usage_limit !== null && coupon.times_used >= coupon.usage_limit) throw exhausted(coupon.code);
}

/**
 * The discount for the eligible lines. Lines are eligible when the coupon names no products and no
 * categories, or when the line's product is named or sits in a named category (categoryIdsOf gives each
 * product's categories with their ancestors). Percentages round half up to minor units, with at least 1
 * off so a quote is never 0; fixed amounts are capped at the eligible subtotal.
 */
export function computeDiscount(coupon: CouponRow, context: CouponContext, categoryIdsOf: Map<string, string[]>): number {
  const scoped = coupon.product_ids.length > 0 || coupon.category_ids.length > 0;
  const products = new Set(coupon.product_ids.map((id) => id.toLowerCase()));
  const categories = new Set(coupon.category_ids.map((id) => id.toLowerCase()));
  let eligible = 0;
  for (const line of context.lines) {
    const productId = line.productId.toLowerCase();
    const applies =
      !scoped || products.has(productId) || (categoryIdsOf.get(productId) ?? []).some((categoryId) => categories.has(categoryId));
    if (applies && line.lineTotal > 0) eligible += line.lineTotal;
  }
  if (eligible <= 0) {
    throw couponNotApplicable(coupon.code);
  }
  if (coupon.kind === 'fixed') return Math.min(coupon.amount ?? 0, eligible);
  const percent = coupon.percent ?? 0;
  // eligible × percent can pass 2^53 for a cart near MAX_MONEY, so the product is taken in BigInt.
  const rounded = mulDivRoundHalfUp(eligible, percent, 100);
  return Math.min(Math.max(rounded, 1), eligible);
}
