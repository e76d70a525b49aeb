// Guest order access tokens: random, shown in the checkout answer, stored only as their SHA-256 (like
// sessions and API keys). A request's X-Order-Token is hashed and compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { randomHex, sha256 } from '../../kernel/ids.ts';

/** 192 random bits: a plain hash is enough, nobody can search that space. */
export function newOrderToken(): string {
  return `ot_${randomHex(24)}`;
}

export const hashOrderToken = (token: string): string => sha256(token);

export function orderTokenMatches(token: string, storedHash: string): boolean {
  const given = Buffer.from(hashOrderToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
