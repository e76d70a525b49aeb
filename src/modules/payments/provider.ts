// The seam between Souk and a payment service (Vendure's "payment handler" strategy, without the DI):
// a provider creates an intent the shopper completes somewhere else, tells Souk the outcome through a
// signed webhook, and captures and refunds on request. Providers are registered by name; each Souk
// instance gets its own instances (in the module's runtime), because a provider may keep per-installation
// state (the sandbox's signing secret lives in that installation's database).
//
// Every method that talks to the provider may be a network call, so Souk never calls one inside a
// database transaction. Calls carry the platform (a real provider would pick the merchant account by
// it) and refunds an idempotency key, so a retried refund after a crash cannot pay out twice.
import type { IncomingHttpHeaders } from 'node:http';
import type { ModuleContext } from '../../kernel/context.ts';

export interface CreateIntentInput {
  platformId: string;
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  returnUrl?: string;
}

export interface ProviderEvent {
  /** The provider's event id: a redelivery carries the same one and is applied once. */
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  providerRef: string;
  /** The platform the provider says the payment belongs to (checked against the request's platform). */
  platformId: string;
  amount: number;
  currency: string;
  /** Why a payment failed (declined, expired…). */
  reason?: string;
}

export interface PaymentProvider {
  readonly name: string;
  createIntent(input: CreateIntentInput): Promise<{ providerRef: string; redirectUrl: string }>;
  /**
   * The event in a webhook request, or null when the signature is missing, wrong or too old (401).
   * Throws a 400 HttpProblem when the signature is right but the body is not an event it understands.
   */
  verifyWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): ProviderEvent | null;
  /** Takes the money of an authorised intent (the sandbox captures on approval, so this only checks). */
  capture(input: { platformId: string; providerRef: string; amount: number }): Promise<void>;
  refund(input: { platformId: string; providerRef: string; amount: number; idempotencyKey: string }): Promise<{ refundRef: string }>;
  /**
   * The instrument behind a payment method the shopper gave before paying (a provider's token; in the
   * sandbox, a test card number): a fingerprint stable per card and never the number itself, as Stripe's
   * card.fingerprint, which the risk engine links accounts by. Throws a 400 HttpProblem for a payment
   * method it does not accept. Optional: a provider without it takes no payment method when a payment starts.
   */
  instrumentOf?(input: { platformId: string; paymentMethod: string }): Promise<PaymentInstrument>;
}

export interface PaymentInstrument {
  fingerprint: string;
  /** The last four digits, for a person reading a decision. */
  last4?: string;
}

export type ProviderFactory = (ctx: ModuleContext) => PaymentProvider | Promise<PaymentProvider>;

/** The provider kinds this build knows (code, like the module list): instances live in each runtime. */
const factories = new Map<string, ProviderFactory>();

/** Makes a provider available by name (call before Souk starts; the sandbox is registered by the module). */
export function registerPaymentProvider(name: string, factory: ProviderFactory): void {
  if (!/^[a-z][a-z0-9_]{0,49}$/.test(name)) throw new Error(`payment provider name "${name}" must be lower-case letters, digits and _`);
  factories.set(name, factory);
}

/** Builds one Souk's provider instances (once, when the module's runtime is made). */
export async function createProviders(ctx: ModuleContext): Promise<ReadonlyMap<string, PaymentProvider>> {
  const made = new Map<string, PaymentProvider>();
  for (const [name, factory] of factories) made.set(name, await factory(ctx));
  return made;
}

export function providerNames(): string[] {
  return [...factories.keys()];
}
