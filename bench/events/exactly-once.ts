// The exactly-once check after each events phase: every emitted id handled once and only once, one inbox
// row per emitted event, the outbox empty. Separate because it is the correctness half of the bench.
import { CONSUMER, type Rig, type Tracker } from './souk-rig.ts';

export interface Verification {
  handlerCalls: number;
  distinctHandled: number;
  /** Emitted ids the handler never saw. */
  missing: number;
  /** Handler calls beyond the first for an id. */
  duplicateCalls: number;
  /** Handled ids this phase never emitted, and calls with another phase's payload. */
  unknown: number;
  /** Inbox rows of the bench consumer minus events emitted so far on this node (0 expected). */
  inboxMinusEmitted: number;
  outboxLeft: number;
  exactlyOnce: boolean;
}

export async function verify(rig: Rig, t: Tracker): Promise<Verification> {
  let missing = 0;
  for (const id of t.emitted.keys()) if (!t.handled.has(id)) missing += 1;
  let duplicateCalls = 0;
  let unknown = t.foreignCalls;
  for (const [id, calls] of t.handled) {
    duplicateCalls += calls - 1;
    if (!t.emitted.has(id)) unknown += 1;
  }
  const [inbox] = await rig.database.query<{ n: number }>('select count(*)::int as n from event_inbox where consumer = $1', [CONSUMER]);
  const [outbox] = await rig.database.query<{ n: number }>('select count(*)::int as n from event_outbox');
  const inboxMinusEmitted = (inbox?.n ?? Number.NaN) - rig.totalEmitted;
  const outboxLeft = outbox?.n ?? Number.NaN;
  return {
    handlerCalls: t.handlerCalls,
    distinctHandled: t.handled.size,
    missing,
    duplicateCalls,
    unknown,
    inboxMinusEmitted,
    outboxLeft,
    exactlyOnce: missing === 0 && duplicateCalls === 0 && unknown === 0 && inboxMinusEmitted === 0 && outboxLeft === 0,
  };
}

export function describeVerification(v: Verification): string {
  return v.exactlyOnce
    ? 'yes'
    : `NO (missing ${v.missing}, duplicate calls ${v.duplicateCalls}, unknown ${v.unknown}, inbox−emitted ${v.inboxMinusEmitted}, outbox left ${v.outboxLeft})`;
}
