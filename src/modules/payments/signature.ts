// Provider webhooks are signed with the kernel's HMAC scheme (src/kernel/signature.ts): HMAC-SHA256 over
// "<unix seconds>.<raw body>", sent as "t=<unix>,v1=<hex>" in the Souk-Sandbox-Signature header.
import { signatureHeader, verifySignatureHeader } from '../../kernel/signature.ts';
import { WEBHOOK_TOLERANCE_SECONDS } from './settings.ts';

export const SANDBOX_SIGNATURE_HEADER = 'souk-sandbox-signature';

/** The header value for `rawBody` signed at `timestampSeconds`. */
export function signPayload(secret: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  return signatureHeader([secret], timestampSeconds, rawBody);
}

export interface VerifySignatureOptions {
  toleranceSeconds?: number;
  /** The current time in epoch milliseconds (tests); default the clock. */
  nowMs?: number;
}

/** True when `header` carries a v1 signature of `rawBody` by `secret` with a timestamp within the tolerance. */
export function verifySignature(secret: string, header: string | string[] | undefined, rawBody: string | Uint8Array, options: VerifySignatureOptions = {}): boolean {
  return verifySignatureHeader(secret, header, rawBody, {
    toleranceSeconds: options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS,
    ...(options.nowMs === undefined ? {} : { now: options.nowMs }),
  });
}
