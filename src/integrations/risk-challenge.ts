// For clients of a Souk storefront: solves the proof-of-work challenge the risk engine answers with
// (403 challenge_required, body.challenge of kind "pow") and gives the header to send the same request
// again with. No Souk imports and only WebCrypto, so it runs in browsers and in Node ≥ 20 alike; a shop
// can import it from this package or copy the file.
//
//   const res = await fetch(url, init);
//   if (res.status === 403) {
//     const problem = await res.json();
//     if (problem.code === 'challenge_required') {
//       const answer = await solveChallenge(problem.challenge);
//       return fetch(url, { ...init, headers: { ...init.headers, [answer.header]: answer.value } });
//     }
//   }

export interface PowChallenge {
  kind: 'pow';
  id: string;
  algorithm: 'sha256';
  nonce: string;
  /** Leading zero bits the digest must start with. */
  difficulty: number;
  expiresAt: string;
  /** The header to send the answer in (x-risk-challenge). */
  header: string;
}

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** Counters tried per round: WebCrypto digests are asynchronous, so a batch runs at once. */
const BATCH = 512;
/** More work than any difficulty a shop would ask for: give up rather than spin forever. */
const MAX_COUNTER = 2 ** 32;

/**
 * Finds the counter and returns the header to send: { header: 'x-risk-challenge', value: '<id>.<counter>' }.
 * Throws for a challenge of another kind or an expired one.
 */
export async function solveChallenge(challenge: PowChallenge, options: { now?: number } = {}): Promise<{ header: string; value: string; counter: number }> {
  if (challenge.kind !== 'pow' || challenge.algorithm !== 'sha256') throw new Error(`cannot solve a challenge of kind ${challenge.kind}`);
  if (Date.parse(challenge.expiresAt) <= (options.now ?? Date.now())) throw new Error('the challenge has expired; send the request again for a new one');
  const encoder = new TextEncoder();
  for (let start = 0; start < MAX_COUNTER; start += BATCH) {
    const digests = await Promise.all(
      Array.from({ length: BATCH }, (_, i) => globalThis.crypto.subtle.digest('SHA-256', encoder.encode(challenge.nonce + String(start + i)))),
    );
    const found = digests.findIndex((digest) => leadingZeroBits(new Uint8Array(digest)) >= challenge.difficulty);
    if (found >= 0) return { header: challenge.header, value: `${challenge.id}.${start + found}`, counter: start + found };
  }
  throw new Error('no counter found');
}
