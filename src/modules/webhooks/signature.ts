// Signing outgoing webhooks and checking a signature the way a receiver should. The signed string is
// "<unix seconds>.<raw body>", so a captured request cannot be replayed later with a fresh timestamp,
// and the header can carry several v1 signatures (new and previous secret while a rotation settles).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The x-souk-signature value: t=<timestamp>,v1=<hex>[,v1=<hex>…], one v1 per secret given. */
export function signatureHeader(secrets: readonly string[], timestamp: number, rawBody: string): string {
  const t = String(timestamp);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, t, rawBody)}`)].join(',');
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (clock skew, queueing). Default 300 s. */
  toleranceSeconds?: number;
  /** The current time (Date or epoch milliseconds); default the clock. */
  now?: Date | number;
}

/**
 * True when `header` (x-souk-signature) carries a v1 signature of `rawBody` made with `secret` and its
 * timestamp is within the tolerance. `rawBody` must be the bytes received, before any JSON parsing.
 * Comparison is constant-time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined | null,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): boolean {
  if (!secret || typeof header !== 'string') return false;
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > tolerance) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  // Check every candidate (no early exit), so timing does not tell which one matched.
  let ok = false;
  for (const signature of signatures) ok = timingSafeEqual(Buffer.from(signature, 'hex'), expected) || ok;
  return ok;
}
