// One HTTP attempt: POST the body with its signature headers, within a timeout, and keep what an
// operator needs to see (status, latency, the first KB of the answer). Never throws: every way an
// attempt can go wrong becomes an AttemptResult with an error text.
import { childTraceparent } from '../../kernel/trace.ts';
import type { AttemptResult, ClaimedDelivery } from './queue.ts';
import { signatureHeader } from './signature.ts';

export const USER_AGENT = 'Souk-Webhooks/1';
const EXCERPT_BYTES = 1024;

export interface SendOptions {
  timeoutMs: number;
  /** Aborted when the worker stops. */
  stop: AbortSignal;
  /** Checked before connecting; returns why the target is refused, if it is. */
  checkTarget(url: string): Promise<string | undefined>;
  now?: () => number;
}

export interface SendOutcome extends AttemptResult {
  /** Milliseconds the receiver asked to wait (Retry-After), if it did. */
  retryAfterMs?: number;
  /** True when the attempt was cut short because the worker is stopping: it does not count. */
  abortedByStop?: boolean;
}

/** The exact bytes sent: fields in a fixed order, whatever order the database returned them in. */
export function serialiseBody(body: ClaimedDelivery['body']): string {
  return JSON.stringify({ id: body.id, type: body.type, platformId: body.platformId, createdAt: body.createdAt, data: body.data });
}

export function deliveryHeaders(delivery: ClaimedDelivery, rawBody: string, timestampSeconds: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-souk-event-id': delivery.eventId,
    'x-souk-event-type': delivery.eventType,
    'x-souk-delivery-id': delivery.id,
    'x-souk-timestamp': String(timestampSeconds),
    'x-souk-signature': signatureHeader(delivery.secrets, timestampSeconds, rawBody),
    // Each attempt is a child span of the event's trace, so a receiver's logs join the same trace.
    traceparent: childTraceparent(delivery.traceparent),
  };
}

/** Text safe for a PostgreSQL text column (no NUL), at most `maxBytes` of UTF-8. */
export function clipText(text: string, maxBytes: number): string {
  let clean = text.replaceAll('\u0000', '');
  if (Buffer.byteLength(clean) <= maxBytes) return clean;
  clean = Buffer.from(clean).subarray(0, maxBytes).toString('utf8');
  // A multi-byte character cut in half decodes as U+FFFD (3 bytes); drop characters until it fits.
  while (Buffer.byteLength(clean) > maxBytes) clean = clean.slice(0, -1);
  return clean;
}

async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status already came back; a body that breaks off or outlasts the timeout keeps what arrived.
  } finally {
    // Stop reading a large body here; the connection is not reused for it.
    await reader.cancel().catch(() => {});
  }
  return clipText(Buffer.concat(chunks).toString('utf8'), EXCERPT_BYTES);
}

function retryAfterMs(response: Response): number | undefined {
  const raw = response.headers.get('retry-after');
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return clipText(detail ? `${error.message}: ${detail}` : error.message, 500);
  }
  return clipText(String(error), 500);
}

export async function sendAttempt(delivery: ClaimedDelivery, options: SendOptions): Promise<SendOutcome> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const blocked = await options.checkTarget(delivery.url);
  if (blocked) return { ok: false, statusCode: null, latencyMs: elapsed(), error: blocked, responseExcerpt: null };

  const rawBody = serialiseBody(delivery.body);
  const timestamp = Math.floor(now() / 1000);
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.stop]);
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: deliveryHeaders(delivery, rawBody, timestamp),
      body: rawBody,
      // A redirect is an answer like any other non-2xx: following it would send the event somewhere
      // the platform did not register.
      redirect: 'manual',
      signal,
    });
    const excerpt = await readExcerpt(response);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      statusCode: response.status,
      latencyMs: elapsed(),
      error: ok ? null : `receiver answered ${response.status}`,
      responseExcerpt: excerpt,
      retryAfterMs: ok ? undefined : retryAfterMs(response),
    };
  } catch (error) {
    if (options.stop.aborted) return { ok: false, statusCode: null, latencyMs: elapsed(), error: 'worker stopped', responseExcerpt: null, abortedByStop: true };
    return { ok: false, statusCode: null, latencyMs: elapsed(), error: describeError(error, options.timeoutMs), responseExcerpt: null };
  }
}
