// Receiving a provider webhook: the signature is checked on the raw bytes before anything else, the
// event must be for the platform the request reached, then it is applied (see payments.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { PaymentsDeps } from './deps.ts';
import { applyProviderEvent, type EventOutcome } from './payments.ts';
import { invalidSignature, noPaymentForIntent, providerNotFound } from './problems.ts';

/** 404 unknown provider or payment, 401 bad or stale signature, 400 unreadable event, 422 amount mismatch. */
export async function receiveWebhook(deps: PaymentsDeps, platformId: string, providerName: string, rawBody: Buffer, headers: IncomingHttpHeaders): Promise<EventOutcome> {
  const provider = deps.provider(providerName);
  if (!provider) throw providerNotFound(providerName);
  const event = provider.verifyWebhook(rawBody, headers);
  if (!event) {
    throw invalidSignature(providerName);
  }
  // Signed, but for another platform's payment: this storefront has no such payment.
  if (event.platformId !== platformId) throw noPaymentForIntent(providerName, event.providerRef);
  return applyProviderEvent(deps, platformId, providerName, event);
}
