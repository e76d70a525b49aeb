// A challenge a client must pass before a request the risk engine challenged goes through. Pluggable: the
// built-in kind is a proof of work (pow.ts), which needs no third party; a captcha service would be
// another implementation of the same two calls. Every challenge is bound to what it was issued for —
// the platform, the decision point and the subject (the account, else the email, else the address) — so
// a solution bought for one account or one action opens nothing else.

export interface ChallengeBinding {
  platformId: string;
  point: string;
  subject: string;
}

/** Why an answer was refused, in words a client developer can act on. */
export type AnswerFault = 'malformed' | 'forged' | 'expired' | 'wrong_subject' | 'unsolved' | 'replayed';

export interface ChallengeKind {
  /** The name clients see in challenge.kind. */
  readonly name: string;
  /** A fresh challenge for this binding: what the 403 body carries under `challenge`. */
  issue(binding: ChallengeBinding, now: number): Record<string, unknown>;
  /** Checks an answer (the challenge header's value) and spends it: the same answer never passes twice. */
  redeem(binding: ChallengeBinding, answer: string, now: number): AnswerFault | null;
}

export const FAULT_WORDS: Readonly<Record<AnswerFault, string>> = {
  malformed: 'the challenge answer is malformed',
  forged: 'the challenge answer was not issued by this shop',
  expired: 'the challenge expired',
  wrong_subject: 'the challenge was issued for another action or customer',
  unsolved: 'the challenge answer does not solve it',
  replayed: 'the challenge answer was already used',
};
