// Outbox → event log. One relay at a time across all nodes (a transaction-scoped advisory lock), so log
// sequence numbers are handed out in commit order and a consumer reading "seq > position" never misses
// an event that committed late. `publish` lets a broker transport send the batch before it is committed
// to the log: a crash in between re-sends it, and the broker's de-duplication by event id absorbs that.
import type { Database } from '../../kernel/db/types.ts';
import type { EventRow } from './types.ts';

const RELAY_LOCK = 7_305_302;

export interface LoggedEvent extends EventRow {
  seq: number;
}

/** What one relay round did: the bus wakes only the consumers of what it moved. */
export interface RelayResult {
  moved: number;
  /** Another node's relay held the lock: this node's events may still wait, so look again soon. */
  lockedOut: boolean;
  /** The (type, platform) pairs moved, each once. */
  kinds: EventKind[];
}

export interface EventKind {
  type: string;
  platformId: string | null;
}

export const NOTHING_RELAYED: RelayResult = { moved: 0, lockedOut: false, kinds: [] };

/** Each (type, platform) pair of the events once. */
export function kindsOf(events: readonly { type: string; platform_id: string | null }[]): EventKind[] {
  const seen = new Map<string, EventKind>();
  for (const e of events) seen.set(`${e.type}\n${e.platform_id}`, { type: e.type, platformId: e.platform_id });
  return [...seen.values()];
}

/**
 * The NOTIFY sent with a relayed batch on PostgreSQL, so consumers on other nodes wake at once instead of
 * polling: channel and payload (the relaying node's id and the kinds moved, or null to wake everything).
 */
export interface RelayNotice {
  channel: string;
  payload(kinds: EventKind[]): string;
}

/** What the embedded transport's relay does besides moving events (see relayOutbox). */
export interface RelayExtras {
  notice?: RelayNotice;
  /**
   * The consumers that take none of the kinds: those standing right before the batch move past it in the
   * relay's own statement, so consumers a batch does not wake do not fall behind (nor show a lag).
   */
  notTaking?(kinds: EventKind[]): string[];
}

/** What the relay reads of each outbox row: everything when a broker gets the events, else what it needs to wake consumers. */
const FULL_COLUMNS = 'id, platform_id, type, key, payload, traceparent, caused_by, emitted_at';
const KIND_COLUMNS = 'id, platform_id, type';

export async function relayOutbox(
  db: Database,
  limit: number,
  publish?: (events: LoggedEvent[]) => Promise<void>,
  extras: RelayExtras = {},
): Promise<RelayResult> {
  return db.transaction(async (tx) => {
    // The relay's commit does not wait for the WAL flush (synchronous_commit off for this transaction
    // only). Losing it in a database crash puts the batch back in the outbox, as a rollback would: a
    // broker gets it again under the same message ids (de-duplicated), and no consumer can have
    // committed progress past it, since a consumer's own (synchronous) commit flushes the WAL before it.
    const [lock] = await tx.query<{ ok: boolean }>(
      `select pg_try_advisory_xact_lock($1) as ok, set_config('synchronous_commit', 'off', true)`,
      [RELAY_LOCK],
    );
    if (!lock?.ok) return { ...NOTHING_RELAYED, lockedOut: true };
    // The batch and the log's head in one round trip (read after the lock, so no other relay moves rows meanwhile).
    const rows = await tx.query<EventRow & { head: number }>(
      `select ${publish ? FULL_COLUMNS : KIND_COLUMNS}, (select coalesce(max(seq), 0) from event_log)::bigint as head
       from event_outbox order by emitted_at, id limit $1`,
      [limit],
    );
    if (rows.length === 0) return NOTHING_RELAYED;
    const first = Number(rows[0]!.head) + 1;
    const last = first + rows.length - 1;
    if (publish) await publish(rows.map(({ head: _, ...row }, i) => ({ ...row, seq: first + i })));
    const ids = rows.map((e) => e.id);
    const kinds = kindsOf(rows);
    const passing = extras.notTaking?.(kinds) ?? [];
    // One statement: the outbox rows move into the log inside the database (seq in the order read, so the
    // payloads never travel back), the consumers that take nothing here move past the batch (only those
    // caught up to just before it, so nothing they take is skipped) and the NOTIFY is sent (at commit).
    await tx.execute(
      `with gone as (delete from event_outbox where id = any($1::uuid[]) returning *),
            logged as (
              insert into event_log (seq, id, platform_id, type, key, payload, traceparent, caused_by, emitted_at)
              select $2::bigint + o.n, g.id, g.platform_id, g.type, g.key, g.payload, g.traceparent, g.caused_by, g.emitted_at
              from gone g join unnest($1::uuid[]) with ordinality as o(id, n) on o.id = g.id),
            passed as (update event_consumers set position = $3, updated_at = now() where name = any($4::text[]) and position = $2)
       select ${extras.notice ? 'pg_notify($5, $6)' : '1'}`,
      [ids, first - 1, last, passing, ...(extras.notice ? [extras.notice.channel, extras.notice.payload(kinds)] : [])],
    );
    return { moved: rows.length, lockedOut: false, kinds };
  });
}

/** Moves due timers into the outbox, each exactly once (the delete and the insert commit together). */
export async function fireDueTimers(db: Database, limit: number): Promise<number> {
  const { rowCount } = await db.execute(
    `with due as (
       delete from event_timers where id in (
         select id from event_timers where fire_at <= now() order by fire_at limit $1 for update skip locked)
       returning id, platform_id, type, key, payload, traceparent, caused_by)
     insert into event_outbox (id, platform_id, type, key, payload, traceparent, caused_by)
     select id, platform_id, type, key, payload, traceparent, caused_by from due`,
    [limit],
  );
  return rowCount;
}

export async function outboxBacklog(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::bigint as n from event_outbox');
  return row?.n ?? 0;
}

/**
 * Drops log entries and inbox rows past retention (inbox rows are never younger than their event). The
 * newest event always stays, however old: the next seq is max(seq) + 1 and replay checks offsets against
 * max(seq), so an emptied log would hand out seqs again from 1, below every consumer's position.
 */
export async function pruneLog(db: Database, retentionMs: number): Promise<void> {
  const cutoff = new Date(Date.now() - retentionMs);
  await db.execute('delete from event_log where logged_at < $1 and seq < (select max(seq) from event_log)', [cutoff]);
  await db.execute('delete from event_inbox where handled_at < $1', [cutoff]);
}
