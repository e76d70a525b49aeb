// For the receiving end of Souk's webhooks: checks `x-souk-signature` on a delivery. It depends on
// node:crypto only (no Souk imports), so a receiver can import it from this package or copy the file.
// The scheme is the one src/kernel/signature.ts signs with: header "t=<unix seconds>,v1=<hex>[,v1=…]",
// each v1 an HMAC-SHA256 of "<t>.<raw body>" under one of the endpoint's secrets (two while a rotated
// secret's grace period runs). The timestamp must be recent, so a captured delivery cannot be replayed.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-souk-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing_header' | 'malformed_header' | 'stale_timestamp' | 'no_matching_signature' };

export interface SignatureCheckOptions {
  /** How far the delivery's timestamp may be from now, either way. Default 300 s. */
  toleranceSeconds?: number;
  /** The current time (Date or epoch milliseconds); default the clock. */
  now?: Date | number;
}

type HeaderValue = string | readonly string[] | undefined | null;

/** The signature header from a Node/Fastify/Express headers object (names are lower-case there) or a Fetch Headers. */
export function signatureHeaderOf(headers: Record<string, HeaderValue> | { get(name: string): string | null }): string | undefined {
  const value = typeof headers.get === 'function' ? (headers as { get(name: string): string | null }).get(SIGNATURE_HEADER) : (headers as Record<string, HeaderValue>)[SIGNATURE_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a delivery and says why it failed. `rawBody` must be the bytes received, before any JSON
 * parsing (re-serialized JSON does not hash the same). Every candidate signature is compared in
 * constant time, so the timing does not tell an attacker how close a forgery came.
 */
export function checkSoukSignature(secret: string, header: HeaderValue, rawBody: string | Uint8Array, options: SignatureCheckOptions = {}): SignatureCheck {
  if (typeof header !== 'string' || header === '') return { ok: false, reason: 'missing_header' };
  if (!secret || header.length > 2000) return { ok: false, reason: 'malformed_header' };
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (!t || !/^\d{1,12}$/.test(t) || candidates.length === 0) return { ok: false, reason: 'malformed_header' };
  const timestamp = Number(t);
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  if (Math.abs(nowMs / 1000 - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'stale_timestamp' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  let matched = false;
  for (const candidate of candidates) matched = timingSafeEqual(candidate, expected) || matched;
  return matched ? { ok: true, timestamp } : { ok: false, reason: 'no_matching_signature' };
}

/** True when the delivery is signed with `secret` and recent enough; see checkSoukSignature for the reason otherwise. */
export function verifySoukSignature(secret: string, header: HeaderValue, rawBody: string | Uint8Array, options: SignatureCheckOptions = {}): boolean {
  return checkSoukSignature(secret, header, rawBody, options).ok;
}
