// The built-in challenge: a proof of work. The server issues { id, nonce, difficulty, expiresAt }; the
// client finds a counter such that sha256(nonce + counter) starts with `difficulty` zero bits and sends
// the request again with `x-risk-challenge: <id>.<counter>`. A person's browser spends a fraction of a
// second; a farm replaying the action a thousand times pays a thousand times.
//
// Stateless to issue: the id is the challenge's own terms (base64url JSON) and an HMAC of them under a key
// derived from the installation key (ctx.secrets.mac), so any node checks any node's challenge. Single use
// needs memory: a redeemed id is remembered (SpentChallenges) until it would have expired anyway.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { leadingZeroBits } from '../../../integrations/risk-challenge.ts';
import type { AnswerFault, ChallengeBinding, ChallengeKind } from './types.ts';

export const CHALLENGE_HEADER = 'x-risk-challenge';
const MAC_PURPOSE = 'risk-challenge';
const MAX_ANSWER = 1000;

export interface PowOptions {
  /** Leading zero bits asked for: each one doubles the expected work (16 ≈ 65,000 hashes). */
  difficultyBits: number;
  ttlSeconds: number;
  mac(purpose: string, data: string): string;
  spent: SpentChallenges;
}

interface Terms {
  /** platform, point, subject digest, nonce, difficulty, expiry (unix seconds) */
  p: string;
  pt: string;
  s: string;
  n: string;
  d: number;
  e: number;
}

/** The subject is bound by a digest: the challenge (which the client sees) does not carry an email. */
const subjectDigest = (binding: ChallengeBinding) => createHash('sha256').update(`${binding.platformId}|${binding.subject}`).digest('base64url').slice(0, 22);

/** Whether counter solves nonce at this difficulty (the check both the server and the client helper run). */
export function solves(nonce: string, counter: string, difficultyBits: number): boolean {
  return leadingZeroBits(createHash('sha256').update(nonce + counter).digest()) >= difficultyBits;
}

/** Challenge ids redeemed on this node, kept until they expire: the replay guard. */
export class SpentChallenges {
  private readonly spent = new Map<string, number>();

  /** False when the id was spent already; otherwise marks it spent until expiresAt (ms). */
  spend(id: string, expiresAt: number, now: number): boolean {
    if (this.spent.size > 10_000) this.sweep(now);
    if (this.spent.has(id)) return false;
    this.spent.set(id, expiresAt);
    return true;
  }

  sweep(now: number): void {
    for (const [id, expiresAt] of this.spent) if (expiresAt <= now) this.spent.delete(id);
  }

  clear(): void {
    this.spent.clear();
  }
}

export function proofOfWork(options: PowOptions): ChallengeKind {
  const sign = (terms: string) => options.mac(MAC_PURPOSE, terms);

  function readTerms(id: string): Terms | AnswerFault {
    const dot = id.indexOf('.');
    if (dot < 1) return 'malformed';
    const encoded = id.slice(0, dot);
    const given = Buffer.from(id.slice(dot + 1), 'base64url');
    const expected = Buffer.from(sign(encoded), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
    try {
      return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Terms;
    } catch {
      return 'malformed';
    }
  }

  return {
    name: 'pow',

    issue(binding, now) {
      const expiresAt = Math.floor(now / 1000) + options.ttlSeconds;
      const terms: Terms = { p: binding.platformId, pt: binding.point, s: subjectDigest(binding), n: randomBytes(12).toString('base64url'), d: options.difficultyBits, e: expiresAt };
      const encoded = Buffer.from(JSON.stringify(terms)).toString('base64url');
      return {
        kind: 'pow',
        id: `${encoded}.${sign(encoded)}`,
        algorithm: 'sha256',
        nonce: terms.n,
        difficulty: terms.d,
        expiresAt: new Date(expiresAt * 1000).toISOString(),
        header: CHALLENGE_HEADER,
        instructions: `Find a decimal counter such that sha256(nonce + counter) starts with ${terms.d} zero bits, then send the same request again with the header "${CHALLENGE_HEADER}: <id>.<counter>".`,
      };
    },

    redeem(binding, answer, now) {
      if (answer.length > MAX_ANSWER) return 'malformed';
      const cut = answer.lastIndexOf('.');
      const counter = answer.slice(cut + 1);
      if (cut < 0 || !/^\d{1,20}$/.test(counter)) return 'malformed';
      const id = answer.slice(0, cut);
      const terms = readTerms(id);
      if (typeof terms === 'string') return terms;
      if (terms.e * 1000 <= now) return 'expired';
      if (terms.p !== binding.platformId || terms.pt !== binding.point || terms.s !== subjectDigest(binding)) return 'wrong_subject';
      if (!solves(terms.n, counter, terms.d)) return 'unsolved';
      return options.spent.spend(id, terms.e * 1000, now) ? null : 'replayed';
    },
  };
}
