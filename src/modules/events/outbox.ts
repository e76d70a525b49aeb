// Emitting and scheduling: rows written in the caller's transaction. Nothing here talks to a broker,
// so a rollback leaves no event behind and a commit leaves one the relay will deliver.
import { newId } from '../../kernel/ids.ts';
import type { CommitWrite, Queryable } from '../../kernel/db/types.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { currentTrace } from '../../kernel/trace.ts';
import { emitTraceparent } from '../../kernel/otel.ts';
import type { BatchedEvent, EmitOptions } from './types.ts';

const TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

function assertType(type: string): void {
  if (!TYPE.test(type)) throw new Error(`Event type "${type}" must be dotted lower-case words, e.g. "order.created".`);
}

type Target = Queryable | PlatformDb;

function isPlatformDb(target: Target): target is PlatformDb {
  return 'platformId' in target;
}

/** Runs a statement whose $1 is the platform id: a PlatformDb binds $1 itself, a plain connection gets it here. */
function executeWithPlatform(target: Target, sql: string, platformId: string | null, rest: unknown[]) {
  return isPlatformDb(target) ? target.execute(sql, rest) : target.execute(sql, [platformId, ...rest]);
}

function envelope(target: Target, type: string, options: EmitOptions) {
  assertType(type);
  const trace = currentTrace();
  const platformId = options.platformId !== undefined ? options.platformId : isPlatformDb(target) ? target.platformId : null;
  return {
    id: newId(),
    platformId,
    key: options.key ?? null,
    // A child of the emitting request or handler (a producer span when tracing is on).
    traceparent: emitTraceparent(trace?.traceparent, type),
    causedBy: options.causedBy !== undefined ? options.causedBy : (trace?.causedBy ?? null),
  };
}

/** One outbox row as a transaction holds it until its commit (payload already JSON text). */
interface OutboxRow {
  platformId: string | null;
  id: string;
  type: string;
  key: string | null;
  payload: string;
  traceparent: string;
  causedBy: string | null;
}

/**
 * The outbox rows of a transaction, held back until it commits and then written by one statement (rows of
 * any platform: each carries its own), on PostgreSQL in the commit's round trip. `committed` runs after.
 * Ids are UUIDv7 made in emit order and the relay reads by (emitted_at, id), emitted_at being the
 * transaction's start for every row, so the relay's order is still the emit order.
 */
export function outboxWrite(committed?: () => void): CommitWrite<OutboxRow> {
  return {
    statement: (rows) => ({
      text: `insert into event_outbox (platform_id, id, type, key, payload, traceparent, caused_by)
     select t.platform_id, t.id, t.type, t.key, t.payload::jsonb, t.traceparent, t.caused_by
     from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[]) as t(platform_id, id, type, key, payload, traceparent, caused_by)`,
      params: [
        rows.map((r) => r.platformId),
        rows.map((r) => r.id),
        rows.map((r) => r.type),
        rows.map((r) => r.key),
        rows.map((r) => r.payload),
        rows.map((r) => r.traceparent),
        rows.map((r) => r.causedBy),
      ],
    }),
    ...(committed ? { committed } : {}),
  };
}

const OUTBOX = outboxWrite();

/**
 * Records an event in the caller's transaction; returns its id. Inside a transaction the row is held and
 * written with the others at commit (`write`: which buffer, and what runs once they are committed);
 * through a plain database it is written at once.
 */
export async function emitEvent(target: Target, type: string, payload: unknown, options: EmitOptions = {}, write: CommitWrite<OutboxRow> = OUTBOX): Promise<string> {
  const e = envelope(target, type, options);
  if (isPlatformDb(target) && e.platformId !== target.platformId) {
    throw new Error('An event emitted through a PlatformDb belongs to that platform.');
  }
  if (target.atCommit) {
    target.atCommit(write, { ...e, type, payload: JSON.stringify(payload ?? null) });
    return e.id;
  }
  await executeWithPlatform(
    target,
    `insert into event_outbox (platform_id, id, type, key, payload, traceparent, caused_by)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
    e.platformId,
    [e.id, type, e.key, JSON.stringify(payload ?? null), e.traceparent, e.causedBy],
  );
  return e.id;
}

/** Column arrays (id, type, key, payload, traceparent, caused_by) for a multi-row insert through unnest. */
function batchColumns(events: readonly BatchedEvent[]) {
  const columns = { ids: [] as string[], types: [] as string[], keys: [] as (string | null)[], payloads: [] as string[], traceparents: [] as string[], causes: [] as (string | null)[] };
  for (const event of events) {
    assertType(event.type);
    columns.ids.push(newId());
    columns.types.push(event.type);
    columns.keys.push(event.key ?? null);
    columns.payloads.push(JSON.stringify(event.payload ?? null));
    // Without a trace of its own (a batch written for this one request), an event takes the current one, as emit does.
    const trace = 'trace' in event ? event.trace : currentTrace();
    columns.traceparents.push(emitTraceparent(trace?.traceparent, event.type));
    columns.causes.push(trace?.causedBy ?? null);
  }
  return columns;
}

/**
 * Records several events of one platform with one statement, for a caller that groups many requests into
 * one transaction (the flash-sale ticket writer). Each event keeps the trace of the request it came from,
 * captured when that request queued it, not the trace of whichever request runs the batch. Ids in order.
 * The rows are held with the transaction's other emits (`write`, see outboxWrite) and written by the
 * same statement at commit; through a plain PlatformDb (or a wrapper that does not pass atCommit on)
 * they are written at once, as emit and scheduleEvents write theirs.
 */
export async function emitEvents(target: PlatformDb, events: readonly BatchedEvent[], write: CommitWrite<OutboxRow> = OUTBOX): Promise<string[]> {
  if (events.length === 0) return [];
  if (!target.atCommit) return emitEventsNow(target, events, write);
  const c = batchColumns(events);
  for (const [i, id] of c.ids.entries()) {
    target.atCommit(write, { platformId: target.platformId, id, type: c.types[i]!, key: c.keys[i]!, payload: c.payloads[i]!, traceparent: c.traceparents[i]!, causedBy: c.causes[i]! });
  }
  return c.ids;
}

/** emitEvents' rows written by their own statement now; the relay is woken as after a commit (early, inside a wrapper's transaction). */
async function emitEventsNow(target: PlatformDb, events: readonly BatchedEvent[], write: CommitWrite<OutboxRow>): Promise<string[]> {
  const c = batchColumns(events);
  await target.execute(
    `insert into event_outbox (platform_id, id, type, key, payload, traceparent, caused_by)
     select $1, t.id, t.type, t.key, t.payload::jsonb, t.traceparent, t.caused_by
     from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[]) with ordinality as t(id, type, key, payload, traceparent, caused_by, n)
     order by t.n`,
    [c.ids, c.types, c.keys, c.payloads, c.traceparents, c.causes],
  );
  write.committed?.();
  return c.ids;
}

/** One durable timer as a transaction holds it until its commit (payload JSON text, fire_at ISO text). */
interface TimerRow extends OutboxRow {
  fireAt: string;
}

/**
 * The durable timers of a transaction, held back like its outbox rows and written by one statement at
 * commit. A statement of the same transaction naming event_timers (cancelTimer, cancelTimerStatement in a
 * module's CTE, the timer poller) gets them written just before it, so it finds and can cancel them.
 */
const TIMERS: CommitWrite<TimerRow> = {
  statement: (rows) => ({
    text: `insert into event_timers (platform_id, id, type, key, payload, fire_at, traceparent, caused_by)
     select t.platform_id, t.id, t.type, t.key, t.payload::jsonb, t.fire_at, t.traceparent, t.caused_by
     from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::uuid[]) as t(platform_id, id, type, key, payload, fire_at, traceparent, caused_by)`,
    params: [
      rows.map((r) => r.platformId),
      rows.map((r) => r.id),
      rows.map((r) => r.type),
      rows.map((r) => r.key),
      rows.map((r) => r.payload),
      rows.map((r) => r.fireAt),
      rows.map((r) => r.traceparent),
      rows.map((r) => r.causedBy),
    ],
  }),
  readBy: /event_timers/i,
};

/**
 * Several durable timers of one platform with one statement (see emitEvents); inside a transaction they
 * are held and written at commit (see TIMERS). Ids in order.
 */
export async function scheduleEvents(target: PlatformDb, timers: readonly (BatchedEvent & { at: Date })[]): Promise<string[]> {
  if (timers.length === 0) return [];
  const c = batchColumns(timers);
  const fireAt = timers.map((t) => t.at.toISOString());
  if (target.atCommit) {
    for (const [i, id] of c.ids.entries()) {
      target.atCommit(TIMERS, { platformId: target.platformId, id, type: c.types[i]!, key: c.keys[i]!, payload: c.payloads[i]!, fireAt: fireAt[i]!, traceparent: c.traceparents[i]!, causedBy: c.causes[i]! });
    }
    return c.ids;
  }
  await target.execute(
    `insert into event_timers (platform_id, id, type, key, payload, fire_at, traceparent, caused_by)
     select $1, t.id, t.type, t.key, t.payload::jsonb, t.fire_at, t.traceparent, t.caused_by
     from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::uuid[]) as t(id, type, key, payload, fire_at, traceparent, caused_by)`,
    [c.ids, c.types, c.keys, c.payloads, fireAt, c.traceparents, c.causes],
  );
  return c.ids;
}

/**
 * A durable timer: the event is emitted at `at` (or soon after), exactly once, even across restarts.
 * Inside a transaction the row is held and written at commit (see TIMERS); otherwise at once.
 */
export async function scheduleEvent(target: Target, at: Date, type: string, payload: unknown, options: EmitOptions = {}): Promise<string> {
  const e = envelope(target, type, options);
  if (target.atCommit) {
    // Through a PlatformDb the timer is that platform's, as the statement below would bind it.
    const platformId = isPlatformDb(target) ? target.platformId : e.platformId;
    target.atCommit(TIMERS, { ...e, platformId, type, payload: JSON.stringify(payload ?? null), fireAt: at.toISOString() });
    return e.id;
  }
  await executeWithPlatform(
    target,
    `insert into event_timers (platform_id, id, type, key, payload, fire_at, traceparent, caused_by)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`,
    e.platformId,
    [e.id, type, e.key, JSON.stringify(payload ?? null), at, e.traceparent, e.causedBy],
  );
  return e.id;
}

/**
 * The statement that cancels one of a platform's timers, for a module that runs it as a CTE of its own
 * statement instead of a round trip of its own: `with t as (${cancelTimerStatement('$5')}) update …`.
 * $1 is the platform id; `timerId` is an SQL expression (a parameter, a subquery; null deletes nothing).
 */
export function cancelTimerStatement(timerId: string): string {
  return `delete from event_timers where platform_id = $1 and id = ${timerId}`;
}

/** Cancels a timer that has not fired; returns false when it already fired or never existed. */
export async function cancelTimer(target: Target, timerId: string): Promise<boolean> {
  const { rowCount } = isPlatformDb(target)
    ? await target.execute(cancelTimerStatement('$2'), [timerId])
    : await target.execute('delete from event_timers where id = $1', [timerId]);
  return rowCount > 0;
}
