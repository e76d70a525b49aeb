// Outgoing webhook secrets, and the signature scheme (src/kernel/signature.ts) under the names the
// webhooks module documents for receivers.
import { randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export { signatureHeader, verifySignatureHeader as verifyWebhookSignature, type VerifyOptions } from '../../kernel/signature.ts';
