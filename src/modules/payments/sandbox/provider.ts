// The built-in sandbox provider: behaves like an outside payment service so the whole flow (intent,
// hosted page, signed webhook, refunds) can be tried and tested without one. Its records live in its own
// tables (payment_sandbox_*), which only this file touches, as a real provider's would live elsewhere.
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ModuleContext } from '../../../kernel/context.ts';
import type { Queryable } from '../../../kernel/db/types.ts';
import { isUuid, randomHex } from '../../../kernel/ids.ts';
import type { CreateIntentInput, PaymentInstrument, PaymentProvider, ProviderEvent } from '../provider.ts';
import { SANDBOX_SIGNATURE_HEADER, signPayload, verifySignature } from '../signature.ts';
import { captureFailed, intentNotFound, sandboxCardInvalid, sandboxPaymentNotFound, sandboxRefundFailed, webhookNotJson, webhookNotSandboxEvent } from '../problems.ts';

export const SANDBOX = 'sandbox';
export const SANDBOX_WEBHOOK_PATH = '/store/payments/webhooks/sandbox';

export type SandboxIntentStatus = 'requires_action' | 'approved' | 'declined';

export interface SandboxIntent {
  id: string;
  platformId: string;
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  returnUrl: string | null;
  status: SandboxIntentStatus;
  capturedAmount: number;
  refundedAmount: number;
}

interface IntentRow {
  id: string;
  payment_id: string;
  order_id: string;
  amount: number;
  currency: string;
  return_url: string | null;
  status: SandboxIntentStatus;
  captured_amount: number;
  refunded_amount: number;
}

const INTENT_COLUMNS = 'id, payment_id, order_id, amount, currency, return_url, status, captured_amount, refunded_amount';

function toIntent(platformId: string, row: IntentRow): SandboxIntent {
  return {
    id: row.id,
    platformId,
    paymentId: row.payment_id,
    orderId: row.order_id,
    amount: row.amount,
    currency: row.currency,
    returnUrl: row.return_url,
    status: row.status,
    capturedAmount: row.captured_amount,
    refundedAmount: row.refunded_amount,
  };
}

/** A signed webhook request, ready to POST to SANDBOX_WEBHOOK_PATH (add the storefront's Host or publishable key). */
export interface SignedSandboxWebhook {
  event: ProviderEvent;
  body: string;
  headers: Record<string, string>;
}

export interface SandboxEventOverrides {
  eventId?: string;
  amount?: number;
  currency?: string;
  reason?: string;
  /** Unix seconds the signature is made at (default now): an old one tests the replay window. */
  timestamp?: number;
}

export interface SandboxProvider extends PaymentProvider {
  /** The intent behind a payment, or undefined. */
  intentOfPayment(platformId: string, paymentId: string): Promise<SandboxIntent | undefined>;
  /**
   * The shopper's decision on the hosted page. Only the first one counts (a conditional update): the
   * result says whether this call decided it, and the intent as it now is.
   */
  decide(platformId: string, paymentId: string, decision: 'approve' | 'decline'): Promise<{ decided: boolean; intent: SandboxIntent }>;
  /** The webhook the sandbox sends for an intent's outcome, signed with this installation's secret. */
  signedEvent(intent: SandboxIntent, type: ProviderEvent['type'], overrides?: SandboxEventOverrides): SignedSandboxWebhook;
}

/** The signing secret: from the environment, or generated once per installation and kept in the database. */
async function loadSecret(db: Queryable, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await db.execute(`insert into payment_provider_secrets (provider, secret) values ($1, $2) on conflict (provider) do nothing`, [SANDBOX, `sbxsec_${randomHex(32)}`]);
  const rows = await db.query<{ secret: string }>('select secret from payment_provider_secrets where provider = $1', [SANDBOX]);
  return rows[0]!.secret;
}

function parseEvent(raw: Buffer): ProviderEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw webhookNotJson();
  }
  const body = parsed as { id?: unknown; type?: unknown; data?: Record<string, unknown> | null } | null;
  const data = body?.data;
  const ok =
    typeof body?.id === 'string' && /^evt_[0-9a-f]{32}$/.test(body.id) &&
    (body.type === 'payment.succeeded' || body.type === 'payment.failed') &&
    data !== null && typeof data === 'object' &&
    typeof data.intent === 'string' && /^sbx_[0-9a-f]{32}$/.test(data.intent) &&
    typeof data.platformId === 'string' && isUuid(data.platformId) &&
    Number.isSafeInteger(data.amount) && (data.amount as number) > 0 &&
    typeof data.currency === 'string' && /^[A-Z]{3}$/.test(data.currency) &&
    (data.reason === undefined || (typeof data.reason === 'string' && data.reason.length <= 200));
  if (!ok) throw webhookNotSandboxEvent();
  return {
    id: body!.id as string,
    type: body!.type as ProviderEvent['type'],
    providerRef: data!.intent as string,
    platformId: data!.platformId as string,
    amount: data!.amount as number,
    currency: data!.currency as string,
    ...(typeof data!.reason === 'string' ? { reason: data!.reason } : {}),
  };
}

/** A card number's digits when it is one (12-19 digits passing the Luhn check), else undefined. */
export function cardDigits(raw: string): string | undefined {
  const digits = raw.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return undefined;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0 ? digits : undefined;
}

/**
 * The sandbox's card fingerprint: an HMAC of the digits under the installation's secret, so it is stable
 * per card on every node and platform of one installation (as Stripe's is per account), differs between
 * installations, and does not give the number back.
 */
export function sandboxInstrument(secret: string, paymentMethod: string): PaymentInstrument {
  const digits = cardDigits(paymentMethod);
  if (digits === undefined) throw sandboxCardInvalid();
  return { fingerprint: `sbxfp_${createHmac('sha256', secret).update(`card:${digits}`).digest('hex').slice(0, 32)}`, last4: digits.slice(-4) };
}

export async function createSandboxProvider(ctx: ModuleContext): Promise<SandboxProvider> {
  const secret = await loadSecret(ctx.db, ctx.config.payments.sandboxSecret);
  const publicUrl = ctx.config.publicUrl.replace(/\/+$/, '');

  const readIntent = async (platformId: string, paymentId: string) => {
    if (!isUuid(paymentId)) return undefined;
    const row = await ctx.platformDb(platformId).maybeOne<IntentRow>(
      `select ${INTENT_COLUMNS} from payment_sandbox_intents where platform_id = $1 and payment_id = $2`,
      [paymentId],
    );
    return row ? toIntent(platformId, row) : undefined;
  };

  return {
    name: SANDBOX,

    async createIntent(input: CreateIntentInput) {
      const id = `sbx_${randomHex(16)}`;
      // A retried create for the same payment keeps the first intent.
      const row = await ctx.platformDb(input.platformId).maybeOne<{ id: string }>(
        `insert into payment_sandbox_intents (platform_id, id, payment_id, order_id, amount, currency, return_url)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (platform_id, payment_id) do update set return_url = payment_sandbox_intents.return_url
         returning id`,
        [id, input.paymentId, input.orderId, input.amount, input.currency, input.returnUrl ?? null],
      );
      return { providerRef: row!.id, redirectUrl: `${publicUrl}/pay/sandbox/${input.platformId}/${input.paymentId}` };
    },

    verifyWebhook(rawBody: Buffer, headers: IncomingHttpHeaders) {
      if (!verifySignature(secret, headers[SANDBOX_SIGNATURE_HEADER], rawBody)) return null;
      return parseEvent(rawBody);
    },

    async capture({ platformId, providerRef, amount }) {
      // Sandbox intents are captured when the shopper approves; capturing checks that this happened.
      const row = await ctx.platformDb(platformId).maybeOne<{ status: string; captured_amount: number }>(
        'select status, captured_amount from payment_sandbox_intents where platform_id = $1 and id = $2',
        [providerRef],
      );
      if (!row) throw intentNotFound(providerRef);
      if (row.status !== 'approved' || row.captured_amount < amount) {
        throw captureFailed(providerRef, row.status, row.captured_amount, amount);
      }
    },

    async refund({ platformId, providerRef, amount, idempotencyKey }) {
      return ctx.platformDb(platformId).transaction(async (tx) => {
        const existing = await tx.maybeOne<{ id: string }>(
          'select id from payment_sandbox_refunds where platform_id = $1 and idempotency_key = $2',
          [idempotencyKey],
        );
        if (existing) return { refundRef: existing.id };
        // The intent row lock serialises refunds of one intent; the condition keeps them under the capture.
        const taken = await tx.execute(
          `update payment_sandbox_intents set refunded_amount = refunded_amount + $3
           where platform_id = $1 and id = $2 and status = 'approved' and refunded_amount + $3 <= captured_amount`,
          [providerRef, amount],
        );
        if (taken.rowCount !== 1) throw sandboxRefundFailed(providerRef, amount);
        const refundRef = `sbxre_${randomHex(16)}`;
        await tx.execute(
          'insert into payment_sandbox_refunds (platform_id, id, intent_id, idempotency_key, amount) values ($1, $2, $3, $4, $5)',
          [refundRef, providerRef, idempotencyKey, amount],
        );
        return { refundRef };
      });
    },

    // No I/O: a bad number rejects with the 400 problem.
    instrumentOf: ({ paymentMethod }) => new Promise((resolve) => resolve(sandboxInstrument(secret, paymentMethod))),

    intentOfPayment: readIntent,

    async decide(platformId, paymentId, decision) {
      const row = isUuid(paymentId)
        ? await ctx.platformDb(platformId).maybeOne<IntentRow>(
            `update payment_sandbox_intents
             set status = $3, captured_amount = case when $3 = 'approved' then amount else 0 end, decided_at = now()
             where platform_id = $1 and payment_id = $2 and status = 'requires_action'
             returning ${INTENT_COLUMNS}`,
            [paymentId, decision === 'approve' ? 'approved' : 'declined'],
          )
        : undefined;
      if (row) return { decided: true, intent: toIntent(platformId, row) };
      const current = await readIntent(platformId, paymentId);
      if (!current) throw sandboxPaymentNotFound(paymentId);
      return { decided: false, intent: current };
    },

    signedEvent(intent, type, overrides = {}) {
      const event: ProviderEvent = {
        id: overrides.eventId ?? `evt_${randomHex(16)}`,
        type,
        providerRef: intent.id,
        platformId: intent.platformId,
        amount: overrides.amount ?? intent.amount,
        currency: overrides.currency ?? intent.currency,
        ...(overrides.reason !== undefined ? { reason: overrides.reason } : type === 'payment.failed' ? { reason: 'declined' } : {}),
      };
      const timestamp = overrides.timestamp ?? Math.floor(Date.now() / 1000);
      const body = JSON.stringify({
        id: event.id,
        type: event.type,
        created: timestamp,
        data: {
          intent: event.providerRef,
          paymentId: intent.paymentId,
          platformId: event.platformId,
          amount: event.amount,
          currency: event.currency,
          ...(event.reason !== undefined ? { reason: event.reason } : {}),
        },
      });
      return { event, body, headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signPayload(secret, timestamp, body) } };
    },
  };
}
