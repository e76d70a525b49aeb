// One HTTP attempt: POST the body with its signature headers, within a timeout, and keep what an
// operator needs to see (status, latency, the first KB of the answer). Never throws: every way an
// attempt can go wrong becomes an AttemptResult with an error text.
import http from 'node:http';
import https from 'node:https';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startSpan, traceparentOf } from '../../kernel/otel.ts';
import { childTraceparent } from '../../kernel/trace.ts';
import type { AttemptResult, ClaimedDelivery } from './queue.ts';
import { signatureHeader } from './signature.ts';
import { BlockedTargetError, checkHost, checkingLookup, type Resolve } from './target.ts';

export const USER_AGENT = 'Souk-Webhooks/1';
const EXCERPT_BYTES = 1024;

export interface SendOptions {
  timeoutMs: number;
  /** Aborted when the worker stops. */
  stop: AbortSignal;
  /** Loopback and private addresses allowed (SOUK_WEBHOOK_ALLOW_PRIVATE); metadata addresses never are. */
  allowPrivateTargets: boolean;
  /** The resolver the checking lookup asks (tests give a fake DNS); the system's by default. */
  resolve?: Resolve;
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

/** traceparent: the attempt's client span when tracing is on; otherwise a fresh child of the event's. */
export function deliveryHeaders(delivery: ClaimedDelivery, rawBody: string, timestampSeconds: number, traceparent = childTraceparent(delivery.traceparent)): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-souk-event-id': delivery.eventId,
    'x-souk-event-type': delivery.eventType,
    'x-souk-delivery-id': delivery.id,
    'x-souk-timestamp': String(timestampSeconds),
    'x-souk-signature': signatureHeader(delivery.secrets, timestampSeconds, rawBody),
    // Each attempt is a child span of the event's trace, so a receiver's logs join the same trace.
    traceparent,
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

/** Reads at most EXCERPT_BYTES of the answer, then drops the connection rather than read the rest. */
function readExcerpt(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      // Stop reading a large body here; the connection is not reused for it.
      response.destroy();
      resolve(clipText(Buffer.concat(chunks).toString('utf8'), EXCERPT_BYTES));
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= EXCERPT_BYTES) finish();
    });
    response.on('end', finish);
    // The status already came back; a body that breaks off or outlasts the timeout keeps what arrived.
    response.on('error', finish);
    response.on('close', finish);
  });
}

function retryAfterMs(response: http.IncomingMessage): number | undefined {
  const raw = response.headers['retry-after'];
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof BlockedTargetError) return clipText(error.message, 500);
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || (error.name === 'AbortError' && (error.cause as Error | undefined)?.name === 'TimeoutError')) {
      return `timed out after ${timeoutMs} ms`;
    }
    const code = (error as NodeJS.ErrnoException).code;
    return clipText(code && !error.message.includes(code) ? `${error.message}: ${code}` : error.message, 500);
  }
  return clipText(String(error), 500);
}

/** POSTs the body and resolves with the answer's head; the body is read by the caller. */
function post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, lookup: ReturnType<typeof checkingLookup>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      // Every connection goes through the checking lookup, and to the address it checked. Redirects are
      // not followed (node:http never does): a 3xx is an answer like any other non-2xx, since following
      // it would send the event somewhere the platform did not register.
      lookup: lookup as never,
      agent: false,
      signal,
    });
    request.once('response', resolve);
    request.on('error', (error) => reject(signal.aborted && !(error instanceof BlockedTargetError) ? (signal.reason ?? error) : error));
    request.end(body);
  });
}

export async function sendAttempt(delivery: ClaimedDelivery, options: SendOptions): Promise<SendOutcome> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failed = (error: string): SendOutcome => ({ ok: false, statusCode: null, latencyMs: elapsed(), error, responseExcerpt: null });

  const url = new URL(delivery.url);
  // A literal address never reaches the lookup, so it is checked here; names are checked by the lookup.
  const literal = checkHost(url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, ''), options.allowPrivateTargets);
  if (!literal.ok) return failed(`blocked: ${literal.reason}`);

  const rawBody = serialiseBody(delivery.body);
  const timestamp = Math.floor(now() / 1000);
  // An explicit timer rather than AbortSignal.any([AbortSignal.timeout(...)]): Node may garbage-collect a
  // timeout signal that only AbortSignal.any refers to, and then a hanging receiver is never given up on
  // (seen here with a 12 s timeout).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${options.timeoutMs} ms`, 'TimeoutError')), options.timeoutMs);
  const onStop = () => controller.abort(options.stop.reason);
  options.stop.addEventListener('abort', onStop, { once: true });
  if (options.stop.aborted) onStop();
  const signal = controller.signal;
  // A client span per attempt, child of the event's span, while tracing is on (kernel/otel.ts).
  const span = delivery.traceparent === null ? undefined : startSpan('POST', delivery.traceparent, SpanKind.CLIENT, {
    'http.request.method': 'POST',
    'server.address': url.hostname,
    'url.full': `${url.origin}${url.pathname}`,
    'souk.webhook.delivery_id': delivery.id,
    'souk.webhook.attempt': delivery.attempt,
  });
  try {
    const response = await post(url, deliveryHeaders(delivery, rawBody, timestamp, span === undefined ? undefined : traceparentOf(span)), rawBody, signal, checkingLookup(options.allowPrivateTargets, options.resolve));
    const statusCode = response.statusCode ?? 0;
    const ok = statusCode >= 200 && statusCode < 300;
    span?.setAttribute('http.response.status_code', statusCode);
    if (!ok) span?.setStatus({ code: SpanStatusCode.ERROR });
    const excerpt = await readExcerpt(response);
    return {
      ok,
      statusCode,
      latencyMs: elapsed(),
      error: ok ? null : `receiver answered ${statusCode}`,
      responseExcerpt: excerpt,
      retryAfterMs: ok ? undefined : retryAfterMs(response),
    };
  } catch (error) {
    span?.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error, options.timeoutMs) });
    if (options.stop.aborted) return { ...failed('worker stopped'), abortedByStop: true };
    return failed(describeError(error, options.timeoutMs));
  } finally {
    span?.end();
    clearTimeout(timer);
    options.stop.removeEventListener('abort', onStop);
  }
}
