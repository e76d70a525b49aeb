// Every problem the orders module answers, named once. Payments answers some of these codes about the
// order it pays or refunds; it words them through the code-bound constructors exported here.
import { problemMaker } from '../../kernel/http/problem.ts';
import { invalidValue, unauthorized } from '../../kernel/http/problems.ts';

export const ordersProblemCodes = [
  'order_not_found',
  'shipping_address_required',
  'contact_support',
  'invalid_timeout',
  'email_required',
  'idempotency_key_reused',
  'amount_mismatch',
  'invalid_amount',
  'refund_exceeds_captured',
  'illegal_transition',
  'order_not_held',
] as const;

const problem = problemMaker(ordersProblemCodes);

/** 404 order_not_found in the words of the module asking (payments words it its own way). */
export const orderNotFoundProblem = (detail: string) => problem(404, 'order_not_found', detail);
/** 400 invalid_value: a createdFrom/createdTo filter outside the years the database keeps, or a range that ends before it starts. */
export const invalidCreatedFilter = (detail: string) => invalidValue(detail);
export const orderNotFound = (orderId: string) => orderNotFoundProblem(`This platform has no order ${orderId}.`);
export const orderNotVisible = (orderId: string, tokenHeader: string) =>
  orderNotFoundProblem(`There is no order ${orderId} you can see; customers log in, guests send the ${tokenHeader} header from checkout.`);
export const customerSessionInvalid = () =>
  unauthorized('The customer session is not valid; log in again at POST /store/auth/login, or leave out Authorization to shop as a guest.');

export const shippingAddressRequired = (what: string, missing: readonly string[]) =>
  problem(
    422,
    'shipping_address_required',
    `The cart has ${what}, and its shipping method delivers: PATCH the cart with a "shippingAddress" holding a name (firstName or lastName), line1, city, postalCode and country, or choose a pickup method.`,
    { missing },
  );
export const emailRequired = () =>
  problem(422, 'email_required', 'A guest checkout needs an email address: PATCH the cart with { "email": … } first.');
export const idempotencyKeyReused = (key: string) =>
  problem(409, 'idempotency_key_reused', `Idempotency-Key "${key}" was already used for a different checkout request; use a new key for a new checkout.`);
export const invalidTimeout = (max: number) => problem(400, 'invalid_timeout', `unpaidTimeoutSeconds must be 1 to ${max}.`);

export const contactSupport = (orderNumber: string | number) =>
  problem(409, 'contact_support', `Order ${orderNumber} is paid; ask the shop to cancel and refund it.`);
export const illegalTransition = (orderNumber: string | number, from: string, to: string, allowed: readonly string[]) =>
  problem(
    409,
    'illegal_transition',
    `Order ${orderNumber} is ${from} and cannot become ${to}; ${allowed.length ? `allowed next: ${allowed.join(', ')}` : 'it is final'}.`,
    { from, to, allowed },
  );

/** amount_mismatch: the money does not match what is due; the status and words are the caller's. */
export const amountMismatchProblem = (status: number, detail: string, expected: { amount: number; currency: string }) =>
  problem(status, 'amount_mismatch', detail, { expected });
export const orderAmountMismatch = (orderNumber: string | number, total: string | number, currency: string, amount: number, asked: string) =>
  amountMismatchProblem(409, `Order ${orderNumber} is due ${total} ${currency}, not ${amount} ${asked}.`, { amount: Number(total), currency });

export const invalidRefundAmount = () => problem(400, 'invalid_amount', 'A refund amount is a positive whole number of minor units.');
/** 409 refund_exceeds_captured with what can still be refunded; payments words it about its payment. */
export const refundExceedsCapturedProblem = (detail: string, refundable: number) =>
  problem(409, 'refund_exceeds_captured', detail, { refundable });
export const orderRefundTooLarge = (orderNumber: string | number, left: number, currency: string, amount: number) =>
  refundExceedsCapturedProblem(`Order ${orderNumber} has ${left} ${currency} left to refund; ${amount} is too much.`, left);

export const orderNotHeld = (orderNumber: string | number, status: string) =>
  problem(409, 'order_not_held', `Order ${orderNumber} is ${status}, not on_hold: only an order held for review can be approved or rejected.`, { orderStatus: status });
