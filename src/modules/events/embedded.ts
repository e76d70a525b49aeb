// The embedded transport: the event log table is the stream, each consumer keeps its position in
// event_consumers. Works on PGlite and PostgreSQL; on PostgreSQL several nodes may run the same consumer,
// and the conditional position update makes them take turns instead of double-delivering.
import type { TxScope } from '../../kernel/db/scoped.ts';
import { deliverBatch, HandlerFailure } from './deliver.ts';
import { parkOrBury, sleep, type DeliveryDeps } from './consumer-loop.ts';
import { relayOutbox, type RelayExtras } from './relay.ts';
import { assertOffsetWithinHead, IdleBackoff, pause, type ConsumerRunner, type Transport, type WakeSignal } from './transport.ts';
import { backoffDelay, toDelivered, type DeliveredEvent, type EventRow, type Subscription } from './types.ts';

export interface EmbeddedOptions {
  pollMs: number;
  /** Idle consumers back off from pollMs up to this (default: no back-off). */
  idleMaxMs?: number;
  batchSize: number;
  /** The bus's part of each relay: the NOTIFY on PostgreSQL, and the consumers a batch passes by (EventBus.relayExtras). */
  relay?: RelayExtras;
}

class PositionMoved extends Error {}

/** A consumer's longest sleep while nothing wakes it (see server.ts). */
export const CONSUMER_IDLE_MAX_MS = 60_000;

function typeFilter(types: readonly string[]): { exact: string[] | null; prefixes: string[] } {
  if (types.includes('*')) return { exact: null, prefixes: [] };
  return {
    exact: types.filter((t) => !t.endsWith('.*')),
    prefixes: types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`),
  };
}

export function embeddedTransport(deps: DeliveryDeps, options: EmbeddedOptions): Transport {
  const { db } = deps;

  // A relay batch wakes only the consumers of the kinds it moved, and a tick keeps to few round trips: the
  // position, the head of the log and the consumer's next events come in one query, a tick with nothing
  // for the consumer advances in one statement. Parked retries are the bus's (one query for all consumers).
  const registered = new Set<string>();
  async function register(consumer: string): Promise<void> {
    if (registered.has(consumer)) return;
    await db.execute('insert into event_consumers (name) values ($1) on conflict do nothing', [consumer]);
    registered.add(consumer);
  }
  async function position(consumer: string): Promise<number> {
    await register(consumer);
    const [row] = await db.query<{ position: number }>('select position from event_consumers where name = $1', [consumer]);
    return row?.position ?? 0;
  }

  /** Moves the position from `from` to `to` unless another node or a replay moved it meanwhile. */
  const advance = (consumer: string, from: number, to: number) => async (tx: TxScope) => {
    const { rowCount } = await tx.db.execute(
      'update event_consumers set position = $3, updated_at = now() where name = $1 and position = $2',
      [consumer, from, to],
    );
    if (rowCount !== 1) throw new PositionMoved();
  };

  /** The consumer's position, and its next events up to the log's head, in one round trip. */
  async function readBatch(sub: Subscription): Promise<{ at: number; events: DeliveredEvent[]; upTo: number; top: number }> {
    await register(sub.consumer);
    const filter = typeFilter(sub.types);
    // One row of nulls for the event columns when there is nothing new of this consumer's types.
    const rows = await db.query<(EventRow & { seq: number; at: number; top: number }) | { at: number; top: number; id: null }>(
      `with pos as (select position from event_consumers where name = $4),
            top as (select coalesce(max(seq), 0)::bigint as top from event_log)
       select pos.position as at, top.top, e.* from pos cross join top left join lateral (
         select seq, id, platform_id, type, key, payload, traceparent, caused_by, emitted_at from event_log
         where seq > pos.position and seq <= top.top and ($1::text[] is null or type = any($1::text[]) or type like any($2::text[]))
         order by seq limit $3
       ) e on true`,
      [filter.exact, filter.prefixes, options.batchSize, sub.consumer],
    );
    const at = Number(rows[0]?.at ?? 0);
    const top = Number(rows[0]?.top ?? 0);
    if (top <= at) return { at, events: [], upTo: at, top };
    const events = rows.flatMap((r) => (r.id === null ? [] : [toDelivered(r as EventRow, (r as { seq: number }).seq, 1)]));
    // A short page means nothing else matches up to the head: the position may jump there.
    return { at, events, upTo: events.length < options.batchSize ? top : events.at(-1)!.offset, top };
  }

  /**
   * One event at a time after a batch failed, so one bad event does not hold back the others. The batch
   * already ran `failed.event`'s attempt (and rolled back), so that attempt is counted, not repeated.
   */
  async function deliverOneByOne(sub: Subscription, start: number, events: DeliveredEvent[], upTo: number, failed: HandlerFailure): Promise<void> {
    let at = start;
    for (const first of events) {
      let event = first;
      let pending: unknown = event.id === failed.event.id ? failed.cause : undefined;
      for (;;) {
        if (pending === undefined) {
          try {
            await deliverBatch(deps.transaction, sub, [event], deps.metrics, advance(sub.consumer, at, event.offset));
            break;
          } catch (error) {
            if (error instanceof PositionMoved) return;
            pending = error;
          }
        }
        deps.onError(pending, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
        if (!sub.ordered || event.attempt >= sub.maxAttempts) {
          await parkOrBury(deps, sub, event, pending, advance(sub.consumer, at, event.offset));
          break;
        }
        // Ordered: hold the position and try the same event again after a backoff.
        deps.metrics.retries.inc({ consumer: sub.consumer });
        await sleep(backoffDelay(sub.backoff, event.attempt));
        event = { ...event, attempt: event.attempt + 1 };
        pending = undefined;
      }
      at = event.offset;
    }
    if (upTo > at) await deps.transaction(advance(sub.consumer, at, upTo)).catch(() => undefined);
  }

  /** One batch; true when the log holds more for this consumer right now (go on without waiting). */
  async function tick(sub: Subscription): Promise<boolean> {
    const { at, events: read, upTo, top } = await readBatch(sub);
    if (upTo === at) return false;
    const events = sub.accepts ? read.filter(sub.accepts) : read;
    try {
      if (events.length === 0) {
        // Nothing of this consumer's types: move past it with one statement, no transaction (another
        // node or a replay that moved the position meanwhile wins: nothing is updated).
        await db.execute('update event_consumers set position = $3, updated_at = now() where name = $1 and position = $2', [sub.consumer, at, upTo]);
      } else {
        await deliverBatch(deps.transaction, sub, events, deps.metrics, advance(sub.consumer, at, upTo));
        observeLag(sub, events);
      }
    } catch (error) {
      if (error instanceof PositionMoved) return true;
      if (!(error instanceof HandlerFailure)) throw error;
      await deliverOneByOne(sub, at, events, upTo, error);
    }
    return upTo < top;
  }

  function observeLag(sub: Subscription, events: DeliveredEvent[]) {
    const now = Date.now();
    for (const e of events) deps.metrics.deliveryLagSeconds.observe({ consumer: sub.consumer }, (now - Date.parse(e.emittedAt)) / 1000);
  }

  return {
    kind: 'embedded',
    relay: (limit) => relayOutbox(db, limit, undefined, options.relay),

    startConsumer(sub, wake: WakeSignal): ConsumerRunner {
      let running = true;
      // Caught up, a consumer waits for its wake-up (a relay of its kinds); the idle poll is a safety net.
      const idleMs = options.idleMaxMs ?? options.pollMs;
      const idle = new IdleBackoff(idleMs, idleMs);
      const loop = (async () => {
        while (running) {
          let worked = false;
          try {
            worked = await tick(sub);
          } catch (error) {
            deps.onError(error, { consumer: sub.consumer });
          }
          await pause(idle, wake, worked, () => running);
        }
      })();
      return {
        async stop() {
          running = false;
          wake.wake();
          await loop;
        },
      };
    },

    async replay(sub, from) {
      await position(sub.consumer);
      // The head only grows (retention keeps the newest event), so checking it before the update is safe.
      const [top] = await db.query<{ seq: number }>('select coalesce(max(seq), 0)::bigint as seq from event_log');
      const head = Number(top?.seq ?? 0);
      let fromOffset: number;
      if (from.offset !== undefined) {
        assertOffsetWithinHead(from.offset, head);
        fromOffset = from.offset;
      } else {
        const [row] = await db.query<{ seq: number | null }>('select min(seq)::bigint as seq from event_log where logged_at >= $1', [from.since ?? new Date(0)]);
        fromOffset = row?.seq ?? head + 1;
      }
      await db.execute('update event_consumers set position = $2, updated_at = now() where name = $1', [sub.consumer, Math.max(0, fromOffset - 1)]);
      return { fromOffset };
    },

    async lag(consumer) {
      const [row] = await db.query<{ lag: number }>(
        `select ((select coalesce(max(seq), 0) from event_log) - coalesce((select position from event_consumers where name = $1), 0))::bigint as lag`,
        [consumer],
      );
      return Number(row?.lag ?? 0);
    },

    async lags(consumers) {
      // A consumer without a position row yet stands at 0.
      const rows = await db.query<{ name: string; lag: number }>(
        `select n.name, (h.seq - coalesce(c.position, 0))::bigint as lag
         from unnest($1::text[]) as n(name)
         cross join (select coalesce(max(seq), 0) as seq from event_log) h
         left join event_consumers c on c.name = n.name`,
        [consumers],
      );
      return new Map(rows.map((r) => [r.name, Number(r.lag)]));
    },

    async close() {},
  };
}
