// Operation ids, descriptions and problem codes of the payments routes, for the OpenAPI document.
import { RISK_GATE_PROBLEMS } from '../../kernel/risk-gate.ts';
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const sandbox = '/pay/sandbox/{platformId}/{paymentId}';
const SANDBOX_DECISION = { 404: ['payment_not_found'], 409: ['payment_not_open'] };

export const paymentDocs: OperationDocs = {
  'POST /store/orders/{orderId}/payments': {
    operationId: 'startPayment',
    problems: {
      400: ['payment_method_invalid'],
      401: ['unauthorized'],
      403: [...RISK_GATE_PROBLEMS],
      404: ['order_not_found', 'provider_not_found'],
      409: ['nothing_to_pay', 'order_not_payable'],
      422: ['money_limit_exceeded', 'provider_not_available'],
      502: ['provider_error'],
    },
  },
  'GET /store/payments/{paymentId}': {
    operationId: 'getPayment',
    description: 'A payment\'s status for the shop\'s return page, readable by whoever may read its order (the customer\'s session or the order token).',
    problems: { 401: ['unauthorized'], 404: ['payment_not_found'] },
  },
  'GET /admin/platforms/{platform}/orders/{orderId}/payments': {
    operationId: 'listOrderPayments',
    description: 'An order\'s payments, oldest first, each with its refunds and the provider events applied to it.',
    problems: { 404: ['order_not_found'] },
  },
  'POST /admin/platforms/{platform}/orders/{orderId}/refunds': {
    operationId: 'refundOrder',
    problems: {
      400: ['refund_amount_or_lines', 'refund_reason_required'],
      404: ['order_not_found'],
      409: ['refund_exceeds_captured', 'refund_exceeds_line', 'refund_failed'],
      422: ['nothing_to_refund', 'unknown_order_line'],
      502: ['refund_failed'],
    },
  },
  'POST /store/payments/webhooks/{provider}': {
    operationId: 'receivePaymentWebhook',
    problems: {
      400: ['invalid_webhook'],
      401: ['invalid_signature'],
      404: ['payment_not_found', 'provider_not_found'],
      409: ['capture_failed', 'amount_mismatch'],
      422: ['amount_mismatch'],
    },
  },
  [`GET ${sandbox}`]: {
    operationId: 'getSandboxPayPage',
    description: 'The built-in sandbox provider\'s hosted pay page (HTML) showing the amount with Approve and Decline buttons, for trying the payment flow without a real provider.',
    problems: { 404: ['payment_not_found'] },
  },
  [`POST ${sandbox}/approve`]: {
    operationId: 'approveSandboxPayment',
    description: 'Approves a sandbox payment, as a shopper would on a provider\'s page; the sandbox then sends a signed payment.succeeded webhook and redirects back to the shop.',
    problems: SANDBOX_DECISION,
  },
  [`POST ${sandbox}/decline`]: {
    operationId: 'declineSandboxPayment',
    description: 'Declines a sandbox payment; the sandbox then sends a signed payment.failed webhook and redirects back to the shop.',
    problems: SANDBOX_DECISION,
  },
};
