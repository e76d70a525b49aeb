// The payments module's public surface for other modules, tests and benchmarks.
//
//   const { body, headers } = await signedSandboxWebhook(souk.runtimeOf(paymentsModule), { platformId, paymentId });
//   await app.inject({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: { ...headers, ...storeHeaders }, payload: body });
import type { PaymentsRuntime } from './runtime.ts';
import { SANDBOX, type SandboxEventOverrides, type SandboxProvider, type SignedSandboxWebhook } from './sandbox/provider.ts';
import { sandboxPaymentNotFound } from './problems.ts';

/**
 * A correctly signed sandbox webhook (body + headers) for a payment started with the sandbox provider,
 * exactly as the hosted page would send it. Defaults: payment.succeeded for the payment's amount, a fresh
 * event id, signed now. Override the event id to test redelivery, the amount to test a mismatch, the
 * timestamp to test the replay window. POST it to /store/payments/webhooks/sandbox with the platform's
 * Host or publishable key. Like the hosted page, it first records the shopper's decision on the sandbox
 * intent (approved for a success, declined for a failure) when none was made yet, so later refunds find
 * the money captured at the sandbox; an intent already decided keeps its decision (out-of-order tests).
 */
export async function signedSandboxWebhook(
  runtime: PaymentsRuntime,
  input: { platformId: string; paymentId: string; type?: 'payment.succeeded' | 'payment.failed' } & SandboxEventOverrides,
): Promise<SignedSandboxWebhook> {
  const sandbox = runtime.providers.get(SANDBOX) as SandboxProvider | undefined;
  if (!sandbox) throw new Error('the payments module has not started on this Souk (no sandbox provider)');
  const { platformId, paymentId, type = 'payment.succeeded', ...overrides } = input;
  if (!(await sandbox.intentOfPayment(platformId, paymentId))) throw sandboxPaymentNotFound(paymentId);
  const { intent } = await sandbox.decide(platformId, paymentId, type === 'payment.succeeded' ? 'approve' : 'decline');
  return sandbox.signedEvent(intent, type, overrides);
}

export { getPayment, getRefund, listOrderPayments } from './records.ts';
export type { PaymentsRuntime } from './runtime.ts';
export { registerPaymentProvider, type CreateIntentInput, type PaymentProvider, type ProviderEvent, type ProviderFactory } from './provider.ts';
export { signPayload, verifySignature, SANDBOX_SIGNATURE_HEADER } from './signature.ts';
export { SANDBOX, SANDBOX_WEBHOOK_PATH, type SignedSandboxWebhook } from './sandbox/provider.ts';
export * from './events.ts';
export type { AdminPayment, Payment, Refund, StartedPayment } from './schemas.ts';
export { Refund as RefundSchema } from './schemas.ts';
export { startPayment, type StartPaymentResult } from './payments.ts';
export { providerNotAvailable } from './problems.ts';
export { registerPaymentPayee, type Payable, type PaymentPayee, type RefundSettled } from './payees.ts';
export { refundPayeePayment } from './refunds.ts';
