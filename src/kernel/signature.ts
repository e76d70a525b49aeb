// The one HMAC scheme Souk uses on both sides of a webhook: outgoing webhooks sign with it, provider
// webhooks (the payment sandbox) are checked with it. The signed string is "<unix seconds>.<raw body>",
// so a captured request cannot be replayed later under a fresh timestamp, and the header can carry
// several v1 signatures (new and previous secret while a rotation settles): t=<unix>,v1=<hex>[,v1=…].
import { createHmac, timingSafeEqual } from 'node:crypto';

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value: one v1 signature per secret given. */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, rawBody: string | Uint8Array): string {
  const t = String(Math.floor(timestampSeconds));
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, t, rawBody)}`)].join(',');
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (clock skew, queueing). Default 300 s. */
  toleranceSeconds?: number;
  /** The current time (Date or epoch milliseconds); default the clock. */
  now?: Date | number;
}

/**
 * True when `header` carries a v1 signature of `rawBody` made with `secret` and its timestamp is within
 * the tolerance. `rawBody` must be the bytes received, before any JSON parsing. Comparison is
 * constant-time and checks every candidate, so timing does not tell which one matched.
 */
export function verifySignatureHeader(secret: string, header: string | string[] | undefined | null, rawBody: string | Uint8Array, options: VerifyOptions = {}): boolean {
  if (!secret || typeof header !== 'string' || header.length > 2000) return false;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  let ok = false;
  for (const signature of signatures) ok = timingSafeEqual(signature, expected) || ok;
  return ok;
}
