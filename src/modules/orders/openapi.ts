// Operation ids, descriptions and problem codes of the orders routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';
import { RISK_GATE_PROBLEMS } from '../../kernel/risk-gate.ts';

const base = '/admin/platforms/{platform}/orders';
const TRANSITION = { 404: ['order_not_found'], 409: ['illegal_transition'] };

export const orderDocs: OperationDocs = {
  'POST /store/carts/{cartId}/checkout': {
    operationId: 'checkoutCart',
    description: 'Places the order from the cart, all or nothing: reserves the stock, takes the coupon use, and opens the payment window. On a platform with the risk module the checkout is screened: a refusal is a 403 (risk_denied, or challenge_required with a challenge to solve and send back), and a checkout the shop wants a person to look at is created on_hold (not payable until approved). Send an Idempotency-Key: a retry with the same key answers the same order (200) instead of a second one (201). A guest needs an email; a cart with goods to deliver needs a full shipping address (422 shipping_address_required). The answer carries the order\'s access token for guests.',
    problems: {
      401: ['unauthorized'],
      404: ['cart_not_found', 'coupon_not_found'],
      403: [...RISK_GATE_PROBLEMS],
      409: ['cart_completed', 'cart_merged', 'cart_stale', 'coupon_customer_limit', 'coupon_exhausted', 'coupon_order_redeemed', 'idempotency_key_reused', 'out_of_stock'],
      422: [
        'cart_empty', 'coupon_currency', 'coupon_expired', 'coupon_min_subtotal', 'coupon_not_applicable', 'coupon_not_started',
        'email_required', 'money_limit_exceeded', 'shipping_address_required', 'shipping_method_required',
      ],
    },
  },
  'GET /store/orders': {
    operationId: 'listMyOrders',
    description: 'The logged-in customer\'s orders, newest first; cursor paginated.',
    problems: { 400: ['invalid_cursor'], 401: ['unauthorized'] },
  },
  'GET /store/orders/{orderId}': {
    operationId: 'getMyOrder',
    description: 'One order with its lines and status, for its customer (session) or a guest sending the order\'s X-Order-Token from checkout. Anyone else gets 404.',
    problems: { 401: ['unauthorized'], 404: ['order_not_found'] },
  },
  'POST /store/orders/{orderId}/cancel': {
    operationId: 'cancelMyOrder',
    description: 'Cancels an order that is not paid yet: its reserved stock and coupon use are given back. A paid order can only be cancelled (and refunded) by the shop.',
    problems: { 401: ['unauthorized'], 404: ['order_not_found'], 409: ['contact_support', 'illegal_transition'] },
  },
  [`GET ${base}`]: {
    operationId: 'listOrders',
    description: 'The platform\'s orders, newest first, filtered by status, payment status, customer or email; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/review-queue`]: {
    operationId: 'listHeldOrders',
    description: 'The review queue: orders the risk engine held (on_hold), oldest first, each with `hold` (the stored decision id, level, score, the rules that fired and the reason in words). Approve or reject each.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`POST ${base}/{orderId}/approve`]: {
    operationId: 'approveHeldOrder',
    description: 'Approves an order held for review: it becomes pending_payment with a fresh payment window. The history records who approved it and the note.',
    problems: { 404: ['order_not_found'], 409: ['order_not_held'] },
  },
  [`POST ${base}/{orderId}/reject`]: {
    operationId: 'rejectHeldOrder',
    description: 'Rejects an order held for review: it is cancelled with the reason, its stock and coupon use returned. The history records who rejected it and why.',
    problems: { 404: ['order_not_found'], 409: ['order_not_held'] },
  },
  [`GET ${base}/{orderId}`]: {
    operationId: 'getOrder',
    description: 'One order with its lines, totals, addresses and full status history.',
    problems: { 404: ['order_not_found'] },
  },
  [`POST ${base}/{orderId}/cancel`]: {
    operationId: 'cancelOrder',
    description: 'Cancels a pending or paid order with a reason: stock and the coupon use come back, and a paid order is refunded in full by the payments module.',
    problems: TRANSITION,
  },
  [`POST ${base}/{orderId}/fulfillment`]: {
    operationId: 'fulfilOrder',
    description: 'Ships a paid order, recording the carrier and tracking number.',
    problems: TRANSITION,
  },
  [`POST ${base}/{orderId}/deliver`]: {
    operationId: 'markOrderDelivered',
    description: 'Marks a shipped order delivered.',
    problems: TRANSITION,
  },
  [`POST ${base}/{orderId}/complete`]: {
    operationId: 'completeOrder',
    description: 'Marks a delivered order completed; it can then no longer change status.',
    problems: TRANSITION,
  },
};
