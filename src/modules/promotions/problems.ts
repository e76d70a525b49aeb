// Every problem the promotions module answers, named once: coupon administration (400/409/422) and the
// refusals of a coupon at checkout (422 for the coupon itself, 409 for budgets that ran out).
import { problemMaker } from '../../kernel/http/problem.ts';
import { currencyNotSupportedProblem } from '../catalog/problems.ts';

export const promotionsProblemCodes = [
  'coupon_not_found',
  'coupon_code_taken',
  'invalid_coupon',
  'invalid_coupon_window',
  'unknown_catalog_reference',
  'usage_limit_below_used',
  'invalid_order_id',
  'coupon_order_redeemed',
  'coupon_not_started',
  'coupon_expired',
  'coupon_currency',
  'coupon_min_subtotal',
  'coupon_not_applicable',
  'coupon_exhausted',
  'coupon_customer_limit',
] as const;

const problem = problemMaker(promotionsProblemCodes);

// Administration.
export const couponIdNotFound = (id: string) => problem(404, 'coupon_not_found', `There is no coupon ${id} on this platform.`);
export const couponCodeTaken = (code: string) =>
  problem(409, 'coupon_code_taken', `A coupon with the code "${code}" (in any case) already exists on this platform.`);
export const timeOutOfRange = (name: string, value: string) =>
  problem(422, 'invalid_coupon_window', `${name} (${value}) must be a time between 1970 and 9999.`);
export const windowReversed = (startsAt: string, endsAt: string) =>
  problem(422, 'invalid_coupon_window', `endsAt (${endsAt}) must be after startsAt (${startsAt}).`);
export const fixedCouponShape = () => problem(422, 'invalid_coupon', 'A fixed coupon needs amount and currency, and no percent.');
export const percentageCouponShape = () =>
  problem(422, 'invalid_coupon', 'A percentage coupon needs percent (1..100), and no amount or currency.');
export const couponCurrencyNotSold = (currency: string, currencies: readonly string[]) =>
  currencyNotSupportedProblem(422, `${currency} is not one of this platform's currencies (${currencies.join(', ')}).`);
export const unknownCatalogReference = (productIds: string[], categoryIds: string[]) => {
  const named = [productIds.length > 0 ? `product ${productIds.join(', ')}` : '', categoryIds.length > 0 ? `category ${categoryIds.join(', ')}` : ''].filter(
    Boolean,
  );
  return problem(
    422,
    'unknown_catalog_reference',
    `This platform's catalog has no ${named.join(' and no ')}; a coupon can only be scoped to products and categories of its own platform.`,
    { productIds, categoryIds },
  );
};
export const usageLimitBelowUsed = (timesUsed: number) =>
  problem(409, 'usage_limit_below_used', `The coupon has been used ${timesUsed} time(s); usageLimit cannot be lower than that.`, { timesUsed });

// Redemptions.
export const invalidOrderId = () =>
  problem(400, 'invalid_order_id', 'A coupon use needs the id of the order it pays for (1..200 characters).');
export const orderHasCoupon = (orderId: string, code: string | null) =>
  problem(409, 'coupon_order_redeemed', `Order ${orderId} already uses ${code ? `coupon "${code}"` : 'a coupon'}; release it first.`);

// A coupon at checkout.
export const couponNotFound = (code: string) => problem(404, 'coupon_not_found', `There is no active coupon "${code}".`);
export const couponNotStarted = (code: string, startsAt: string) =>
  problem(422, 'coupon_not_started', `Coupon "${code}" can be used from ${startsAt}.`);
export const couponExpired = (code: string, endsAt: string) => problem(422, 'coupon_expired', `Coupon "${code}" expired at ${endsAt}.`);
export const couponCurrency = (code: string, couponCurrency: string | null, cartCurrency: string) =>
  problem(422, 'coupon_currency', `Coupon "${code}" is for carts in ${couponCurrency}; this cart is in ${cartCurrency}.`);
export const couponMinSubtotal = (code: string, minSubtotal: number, currency: string, subtotal: number) =>
  problem(
    422,
    'coupon_min_subtotal',
    `Coupon "${code}" needs a subtotal of at least ${minSubtotal} (minor units of ${currency}); this cart has ${subtotal}.`,
  );
export const couponNotApplicable = (code: string) =>
  problem(422, 'coupon_not_applicable', `Coupon "${code}" does not apply to anything in this cart.`);
export const exhausted = (code: string) => problem(409, 'coupon_exhausted', `Coupon "${code}" has been used as many times as it may be.`);
export const customerLimitReached = (code: string, limit: number) =>
  problem(409, 'coupon_customer_limit', `Coupon "${code}" may be used ${limit} time(s) per customer, and this customer has used it up.`);
export const customerRequired = (code: string) =>
  problem(409, 'coupon_customer_limit', `Coupon "${code}" is limited per customer: sign in or give an email address to use it.`);
