// Reading and repairing the backbone: events with their causal chain, consumer status, dead letters.
// Shared by the admin API and `souk events …`.
import type { Database } from '../../kernel/db/types.ts';
import { traceIdOf } from '../../kernel/trace.ts';
import type { EventBus } from './bus.ts';
import type { DeliveredEvent, EventRow } from './types.ts';
import { deadLetterNotFound, deadLetterResolved, deadLetterResolvedAs } from './problems.ts';

interface StoredEventRow extends EventRow {
  seq: number | null;
  status: 'outbox' | 'logged';
}

function eventView(row: StoredEventRow) {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type,
    platformId: row.platform_id,
    key: row.key,
    payload: row.payload,
    emittedAt: row.emitted_at.toISOString(),
    traceparent: row.traceparent,
    traceId: traceIdOf(row.traceparent) ?? null,
    causedBy: row.caused_by,
    status: row.status,
  };
}

// An event is either still in the outbox (committed, not relayed yet) or in the log.
const storedEvents = (alias: string) => `(
  select seq, id, platform_id, type, key, payload, traceparent, caused_by, emitted_at, 'logged' as status from event_log
  union all
  select null, id, platform_id, type, key, payload, traceparent, caused_by, emitted_at, 'outbox' from event_outbox
) ${alias}`;

export async function listEvents(db: Database, query: { type?: string; platformId?: string; before?: number; limit: number }) {
  const rows = await db.query<StoredEventRow>(
    `select seq, id, platform_id, type, key, payload, traceparent, caused_by, emitted_at, 'logged' as status from event_log
     where ($1::text is null or type = $1) and ($2::uuid is null or platform_id = $2) and ($3::bigint is null or seq < $3)
     order by seq desc limit $4`,
    [query.type ?? null, query.platformId ?? null, query.before ?? null, query.limit],
  );
  return rows.map(eventView);
}

const MAX_CHAIN = 50;

export async function getEventWithChain(db: Database, eventId: string) {
  const [row] = await db.query<StoredEventRow>(`select * from ${storedEvents('e')} where id = $1`, [eventId]);
  if (!row) return undefined;
  // Causes: follow caused_by upwards. Effects: everything emitted because of this event, breadth first.
  const causes = await db.query<StoredEventRow>(
    `with recursive up(id, caused_by, depth) as (
       select id, caused_by, 0 from ${storedEvents('e')} where id = $1
       union all
       select e.id, e.caused_by, up.depth + 1 from up join ${storedEvents('e')} on e.id = up.caused_by where up.depth < $2)
     select s.* from up join ${storedEvents('s')} on s.id = up.id where up.depth > 0 order by up.depth desc`,
    [eventId, MAX_CHAIN],
  );
  const effects = await db.query<StoredEventRow & { depth: number }>(
    `with recursive down(id, depth) as (
       select id, 0 from ${storedEvents('e')} where id = $1
       union all
       select e.id, down.depth + 1 from down join ${storedEvents('e')} on e.caused_by = down.id where down.depth < $2)
     select s.*, down.depth from down join ${storedEvents('s')} on s.id = down.id where down.depth > 0 order by down.depth, s.emitted_at`,
    [eventId, MAX_CHAIN],
  );
  // Each consumer's delivery of the event: handled (inbox), failing and retrying, or given up (dead letter).
  const [handled, retrying, dead] = await Promise.all([
    db.query<{ consumer: string; handled_at: Date }>('select consumer, handled_at from event_inbox where event_id = $1 order by handled_at', [eventId]),
    db.query<{ consumer: string; attempt: number; next_at: Date; last_error: string }>(
      'select consumer, attempt, next_at, last_error from event_retries where event_id = $1 order by consumer',
      [eventId],
    ),
    db.query<DeadLetterRow>('select * from event_dead_letters where event_id = $1 order by failed_at', [eventId]),
  ]);
  return {
    event: eventView(row),
    causes: causes.map(eventView),
    effects: effects.map((e) => ({ depth: e.depth, event: eventView(e) })),
    handledBy: handled.map((h) => ({ consumer: h.consumer, handledAt: h.handled_at.toISOString() })),
    retrying: retrying.map((r) => ({ consumer: r.consumer, attempts: r.attempt, nextAt: r.next_at.toISOString(), lastError: r.last_error })),
    deadLetters: dead.map(deadLetterView),
  };
}

export async function consumerStatus(db: Database, bus: EventBus) {
  const counts = await db.query<{ consumer: string; retrying: number; dead: number }>(
    `select consumer, sum(retrying)::int as retrying, sum(dead)::int as dead from (
       select consumer, count(*) as retrying, 0 as dead from event_retries group by consumer
       union all
       select consumer, 0, count(*) from event_dead_letters where status = 'dead' group by consumer) c
     group by consumer`,
  );
  const byConsumer = new Map(counts.map((c) => [c.consumer, c]));
  const transport = bus.requireTransport();
  return Promise.all(
    bus.consumers().map(async (consumer) => ({
      consumer,
      lag: await transport.lag(consumer),
      retrying: byConsumer.get(consumer)?.retrying ?? 0,
      dead: byConsumer.get(consumer)?.dead ?? 0,
      ordered: bus.subscription(consumer)?.ordered ?? false,
    })),
  );
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  event_id: string;
  platform_id: string | null;
  event: DeliveredEvent;
  attempts: number;
  last_error: string;
  failed_at: Date;
  status: 'dead' | 'requeued' | 'discarded';
  resolved_at: Date | null;
}

function deadLetterView(row: DeadLetterRow) {
  return {
    id: row.id,
    consumer: row.consumer,
    eventId: row.event_id,
    platformId: row.platform_id,
    event: row.event,
    attempts: row.attempts,
    lastError: row.last_error,
    failedAt: row.failed_at.toISOString(),
    status: row.status,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
  };
}

export async function listDeadLetters(db: Database, query: { consumer?: string; status: string; limit: number }) {
  const rows = await db.query<DeadLetterRow>(
    `select * from event_dead_letters where ($1::text is null or consumer = $1) and status = $2 order by failed_at desc, id desc limit $3`,
    [query.consumer ?? null, query.status, query.limit],
  );
  return rows.map(deadLetterView);
}

export async function getDeadLetter(db: Database, id: string) {
  const [row] = await db.query<DeadLetterRow>('select * from event_dead_letters where id = $1', [id]);
  if (!row) throw deadLetterNotFound(id);
  return deadLetterView(row);
}

/** Puts the event back in front of its consumer: a retry row due now, with a fresh count of attempts. */
export async function requeueDeadLetter(db: Database, id: string) {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<DeadLetterRow>('select * from event_dead_letters where id = $1 for update', [id]);
    if (!row) throw deadLetterNotFound(id);
    if (row.status !== 'dead') throw deadLetterResolvedAs(row.status);
    await tx.execute(
      `insert into event_retries (consumer, event_id, event, attempt, next_at, last_error) values ($1, $2, $3::jsonb, 0, now(), $4)
       on conflict (consumer, event_id) do update set attempt = 0, next_at = now()`,
      [row.consumer, row.event_id, JSON.stringify(row.event), row.last_error],
    );
    const [updated] = await tx.query<DeadLetterRow>(
      `update event_dead_letters set status = 'requeued', resolved_at = now() where id = $1 returning *`,
      [id],
    );
    return deadLetterView(updated!);
  });
}

export async function discardDeadLetter(db: Database, id: string) {
  const [row] = await db.query<DeadLetterRow>(
    `update event_dead_letters set status = 'discarded', resolved_at = now() where id = $1 and status = 'dead' returning *`,
    [id],
  );
  if (row) return deadLetterView(row);
  await getDeadLetter(db, id);
  throw deadLetterResolved();
}
