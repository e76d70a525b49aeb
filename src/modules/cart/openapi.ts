// Operation ids, descriptions and problem codes of the cart routes, for the OpenAPI document.
import { RISK_GATE_PROBLEMS } from '../../kernel/risk-gate.ts';
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

/** What every change to a cart can answer (state.ts: authorize, assertWritable; totals.ts: the money limit). */
const CART_WRITE = { 404: ['cart_not_found'], 409: ['cart_completed', 'cart_merged'], 422: ['money_limit_exceeded'] };
/** The promotions module's refusals of a coupon that does not apply now. */
const COUPON_REFUSALS = {
  404: ['cart_not_found', 'coupon_not_found'],
  409: [...CART_WRITE[409], 'coupon_customer_limit', 'coupon_exhausted'],
  422: [...CART_WRITE[422], 'coupon_currency', 'coupon_expired', 'coupon_min_subtotal', 'coupon_not_applicable', 'coupon_not_started'],
};

export const cartDocs: OperationDocs = {
  'POST /store/carts': {
    operationId: 'createCart',
    description: 'Starts a cart in a currency of the shop. With a customer session it belongs to that customer (an invalid session is 401, not a guest cart); without one it is a guest cart reachable by its id.',
    problems: { 401: ['unauthorized'], 422: ['currency_not_supported'] },
  },
  'GET /store/carts/{cartId}': {
    operationId: 'getCart',
    description: 'The cart with lines, coupon, shipping and totals computed on the server. Prices the catalog changed since a line was added are re-captured and flagged on the line.',
    problems: { 404: ['cart_not_found'] },
  },
  'PATCH /store/carts/{cartId}': {
    operationId: 'updateCart',
    description: 'Sets the cart\'s email and/or shipping address; null clears them. The address decides which shipping methods and taxes apply.',
    problems: CART_WRITE,
  },
  'POST /store/carts/{cartId}/lines': {
    operationId: 'addCartLine',
    description: 'Adds a quantity of a published variant at its current price; a line of the same variant with equal metadata grows instead of a new line being added.',
    problems: { ...CART_WRITE, 400: ['metadata_too_large', 'quantity_too_large'], 422: [...CART_WRITE[422], 'too_many_lines', 'variant_not_sellable'] },
  },
  'PATCH /store/carts/{cartId}/lines/{lineId}': {
    operationId: 'updateCartLine',
    description: 'Changes a line\'s quantity.',
    problems: { ...CART_WRITE, 400: ['quantity_too_large'], 404: ['cart_not_found', 'line_not_found'] },
  },
  'DELETE /store/carts/{cartId}/lines/{lineId}': {
    operationId: 'removeCartLine',
    description: 'Removes a line from the cart.',
    problems: { ...CART_WRITE, 404: ['cart_not_found', 'line_not_found'] },
  },
  'PUT /store/carts/{cartId}/coupon': {
    operationId: 'applyCartCoupon',
    description: 'Applies a coupon code to the cart. A coupon that does not apply now (expired, exhausted, wrong currency, nothing eligible) is refused with the promotions problem and nothing is stored. With the risk module on, the request is judged first (403 risk_denied or challenge_required).',
    problems: { ...COUPON_REFUSALS, 403: RISK_GATE_PROBLEMS },
  },
  'DELETE /store/carts/{cartId}/coupon': {
    operationId: 'removeCartCoupon',
    description: 'Removes the coupon from the cart.',
    problems: CART_WRITE,
  },
  'GET /store/carts/{cartId}/shipping-options': {
    operationId: 'listShippingOptions',
    description: 'The shipping methods this cart can use with their price for it (free-shipping thresholds applied), from the platform\'s cart settings.',
    problems: { 404: ['cart_not_found'] },
  },
  'PUT /store/carts/{cartId}/shipping-method': {
    operationId: 'setShippingMethod',
    description: 'Chooses one of the cart\'s shipping options; totals include its price from then on.',
    problems: { ...CART_WRITE, 422: [...CART_WRITE[422], 'shipping_method_unavailable'] },
  },
  'POST /store/carts/{cartId}/claim': {
    operationId: 'claimCart',
    description: 'At login: the guest cart joins the customer\'s newest active cart (lines merged), or becomes theirs when they have none. Answers the resulting cart; the guest cart is then marked merged.',
    problems: { ...CART_WRITE, 401: ['unauthorized'] },
  },
};
