// Operation ids, descriptions and problem codes of the promotions routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/coupons';

export const promotionDocs: OperationDocs = {
  [`POST ${base}`]: {
    operationId: 'createCoupon',
    description: 'Creates a coupon: a fixed amount in one currency or a percentage, optionally limited in time, in total uses, per customer, by minimum subtotal, or to some products and categories. Codes are unique on the platform whatever their case.',
    problems: {
      409: ['coupon_code_taken'],
      422: ['currency_not_supported', 'invalid_coupon', 'invalid_coupon_window', 'unknown_catalog_reference'],
    },
  },
  [`GET ${base}`]: {
    operationId: 'listCoupons',
    description: 'Coupons, newest first, filtered by status or code; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/{couponId}`]: {
    operationId: 'getCoupon',
    description: 'One coupon with the number of times it has been used.',
    problems: { 404: ['coupon_not_found'] },
  },
  [`PATCH ${base}/{couponId}`]: {
    operationId: 'updateCoupon',
    description: 'Changes a coupon\'s status, limits, time window or scope; its code, kind and amount never change. The usage limit cannot go below the uses already taken.',
    problems: { 404: ['coupon_not_found'], 409: ['usage_limit_below_used'], 422: ['invalid_coupon_window', 'unknown_catalog_reference'] },
  },
  [`GET ${base}/{couponId}/redemptions`]: {
    operationId: 'listCouponRedemptions',
    description: 'A coupon\'s uses, one per order, newest first; cursor paginated.',
    problems: { 400: ['invalid_cursor'], 404: ['coupon_not_found'] },
  },
};
