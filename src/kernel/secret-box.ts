// Sealing secrets that must be read back (webhook signing secrets, a checkout's order token for its
// idempotent replays): AES-256-GCM with the installation key (secret-key.ts). A sealed value describes
// itself — `v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url parts — so after a key rotation every value
// still names the key that sealed it: open() takes the current key or the previous one, seal() always
// uses the current one, and `souk secrets rotate` re-seals what the previous key still holds.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export const SEALED_PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds every sealed value to this scheme, so a GCM blob made for something else never opens here. */
const AAD = Buffer.from('souk-secret-box-v1');

/** Thrown for a value that cannot be opened: tampered, truncated, or sealed with a key this process lacks. */
export class SecretBoxError extends Error {}

/** A short public name of a key (not the key): lets a sealed value say which key sealed it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('souk-key-id').update(key).digest('base64url').slice(0, 8);
}

export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

export class SecretBox {
  readonly currentKeyId: string;
  readonly previousKeyId: string | undefined;
  readonly #keys = new Map<string, Buffer>();
  readonly #current: Buffer;

  constructor(current: Buffer, previous?: Buffer) {
    for (const key of [current, previous]) {
      if (key !== undefined && key.length !== 32) throw new Error('a secret-box key is 32 bytes');
    }
    this.#current = current;
    this.currentKeyId = keyIdOf(current);
    this.#keys.set(this.currentKeyId, current);
    if (previous && !previous.equals(current)) {
      this.previousKeyId = keyIdOf(previous);
      this.#keys.set(this.previousKeyId, previous);
    }
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [SEALED_PREFIX + this.currentKeyId, iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || `${parts[0]}.` !== SEALED_PREFIX) throw new SecretBoxError('not a sealed value (v1.<keyId>.<iv>.<tag>.<ciphertext>)');
    const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        `sealed with key ${keyId}, which is neither SOUK_SECRET_KEY (${this.currentKeyId}) nor SOUK_SECRET_KEY_PREVIOUS` +
          `${this.previousKeyId ? ` (${this.previousKeyId})` : ' (unset)'}`,
      );
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new SecretBoxError('sealed value is malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes);
      decipher.setAAD(AAD);
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value failed its integrity check (altered, or sealed with another key of the same id)');
    }
  }

  /**
   * An HMAC-SHA256 of data (base64url) under a key derived from the current key for one purpose, so a
   * token signed for one use never verifies for another and the installation key itself signs nothing.
   */
  mac(purpose: string, data: string): string {
    const derived = createHmac('sha256', this.#current).update(`souk-mac:${purpose}`).digest();
    return createHmac('sha256', derived).update(data).digest('base64url');
  }

  /** Which key sealed the value: 'current', 'previous', 'unknown' (neither), or 'plain' (not sealed at all). */
  keyOf(value: string): 'current' | 'previous' | 'unknown' | 'plain' {
    if (!isSealed(value)) return 'plain';
    const keyId = value.split('.')[1];
    if (keyId === this.currentKeyId) return 'current';
    if (keyId !== undefined && keyId === this.previousKeyId) return 'previous';
    return 'unknown';
  }

  /** The value sealed with the current key: plaintext is sealed, a previous key's value re-sealed, a current one kept. */
  reseal(value: string): string {
    const key = this.keyOf(value);
    if (key === 'current') return value;
    return this.seal(key === 'plain' ? value : this.open(value));
  }
}
