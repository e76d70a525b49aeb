// Every problem the payments module answers, named once (payment_not_found alone was built in eight places).
// The order a payment pays for is the orders module's: its codes are worded here through orders' constructors.
import { problemMaker } from '../../kernel/http/problem.ts';
import { amountMismatchProblem, orderNotFoundProblem, refundExceedsCapturedProblem } from '../orders/problems.ts';

export const paymentsProblemCodes = [
  'payment_not_found',
  'payment_not_open',
  'provider_not_available',
  'provider_not_found',
  'provider_error',
  'payment_method_invalid',
  'order_not_payable',
  'nothing_to_pay',
  'invalid_webhook',
  'invalid_signature',
  'intent_not_found',
  'capture_failed',
  'refund_failed',
  'refund_amount_or_lines',
  'refund_reason_required',
  'unknown_order_line',
  'refund_exceeds_line',
  'nothing_to_refund',
] as const;

const problem = problemMaker(paymentsProblemCodes);

// Payments and their provider.
export const sandboxPaymentNotFound = (paymentId: string) => problem(404, 'payment_not_found', `There is no sandbox payment ${paymentId}.`);
export const paymentNotVisible = (paymentId: string) =>
  problem(
    404,
    'payment_not_found',
    `There is no payment ${paymentId} you can see; customers log in, guests send the X-Order-Token header from checkout.`,
  );
export const noPaymentForIntent = (providerName: string, providerRef: string) =>
  problem(404, 'payment_not_found', `No payment on this platform has ${providerName} intent ${providerRef}.`);
export const paymentNotOpen = (paymentId: string) =>
  problem(409, 'payment_not_open', `Payment ${paymentId} was closed; start a new payment from the shop.`);
export const providerNotAvailable = (providerName: string) =>
  problem(422, 'provider_not_available', `There is no payment provider "${providerName}".`);
export const providerNotFound = (providerName: string) => problem(404, 'provider_not_found', `There is no payment provider "${providerName}".`);
export const providerError = (providerName: string) =>
  problem(502, 'provider_error', `The payment provider "${providerName}" could not start the payment; try again.`);
export const paymentMethodNotTaken = (providerName: string) =>
  problem(400, 'payment_method_invalid', `The payment provider "${providerName}" takes no paymentMethod when a payment starts; leave it out.`);
export const sandboxCardInvalid = () =>
  problem(
    400,
    'payment_method_invalid',
    'The sandbox takes a test card number as paymentMethod: 12 to 19 digits (spaces and dashes allowed) that pass the Luhn check, e.g. "4242 4242 4242 4242". Never send a real card to the sandbox.',
  );
export const eventAmountMismatch = (event: { amount: number; currency: string }, payment: { amount: number; currency: string }) =>
  amountMismatchProblem(422, `The event is for ${event.amount} ${event.currency}, but the payment is ${payment.amount} ${payment.currency}.`, {
    amount: payment.amount,
    currency: payment.currency,
  });

// The order being paid.
export const noOrderOnPlatform = (orderId: string) => orderNotFoundProblem(`There is no order ${orderId} on this platform.`);
export const orderNotPayable = (orderNumber: string | number, status: string) =>
  problem(409, 'order_not_payable', `Order ${orderNumber} is ${status}; only an order awaiting payment can be paid.`, { orderStatus: status });
export const nothingToPay = (orderNumber: string | number) => problem(409, 'nothing_to_pay', `Order ${orderNumber} has nothing left to pay.`);

// Provider webhooks.
export const webhookNotJson = () => problem(400, 'invalid_webhook', 'The webhook body is not JSON.');
export const webhookNotSandboxEvent = () =>
  problem(
    400,
    'invalid_webhook',
    'The webhook body is not a sandbox payment event (id, type, data.intent, data.platformId, data.amount, data.currency).',
  );
export const invalidSignature = (providerName: string) =>
  problem(401, 'invalid_signature', `The ${providerName} webhook signature is missing, wrong or older than five minutes.`);

// The sandbox provider's own refusals.
export const intentNotFound = (providerRef: string) => problem(404, 'intent_not_found', `The sandbox has no intent ${providerRef}.`);
export const captureFailed = (providerRef: string, status: string, captured: number, amount: number) =>
  problem(409, 'capture_failed', `Sandbox intent ${providerRef} is ${status} with ${captured} captured; ${amount} cannot be captured.`);
export const sandboxRefundFailed = (providerRef: string, amount: number) =>
  problem(409, 'refund_failed', `Sandbox intent ${providerRef} has less than ${amount} left to refund.`);

// Refunds.
export const refundRefused = (failureReason: string | null | undefined, refund: unknown) =>
  problem(502, 'refund_failed', `The payment provider refused the refund: ${failureReason ?? 'no reason given'}.`, { refund });
export const paymentRefundTooLarge = (refundable: number, amount: number) =>
  refundExceedsCapturedProblem(`Only ${refundable} of this payment can still be refunded; ${amount} was asked for.`, refundable);
export const noCapturedPayment = (orderNumber: string | number) =>
  refundExceedsCapturedProblem(`Order ${orderNumber} has no captured payment to refund.`, 0);
export const refundAmountOrLines = () =>
  problem(
    400,
    'refund_amount_or_lines',
    'Send either { "amount": … } for a free amount, or { "lines": [{ "lineId", "quantity" }], "shipping"?: true } to refund units at what was paid for them — exactly one of the two.',
  );
export const refundReasonRequired = () => problem(400, 'refund_reason_required', 'A refund of a free amount needs a "reason".');
export const unknownOrderLine = (orderNumber: string | number, lineId: string, lineIds: readonly string[]) =>
  problem(422, 'unknown_order_line', `Order ${orderNumber} has no line ${lineId}; its lines are ${lineIds.join(', ')}.`, { lineId });
export const refundExceedsLine = (lineId: string, sku: string, left: number, quantity: number, asked: number) =>
  problem(409, 'refund_exceeds_line', `Line ${lineId} (${sku}) has ${left} of its ${quantity} units left to refund; ${asked} were asked for.`, {
    lineId,
    refundableQuantity: left,
  });
export const shippingAlreadyRefunded = (orderNumber: string | number) =>
  problem(409, 'refund_exceeds_line', `The shipping of order ${orderNumber} was already refunded.`, { lineId: null, refundableQuantity: 0 });
export const nothingToRefund = (orderNumber: string | number, namedNothing: boolean) =>
  problem(
    422,
    'nothing_to_refund',
    namedNothing
      ? 'Name at least one line or the shipping to refund.'
      : `What was asked for cost the customer nothing on order ${orderNumber}; there is nothing to refund.`,
  );
