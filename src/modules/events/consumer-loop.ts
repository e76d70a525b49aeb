// The per-subscription delivery loop both transports share for what lives in the database: events parked
// for a retry (unordered consumers) and dead letters an operator re-queued. And the failure policy:
// retry with backoff, then the dead-letter store.
import type { Database } from '../../kernel/db/types.ts';
import type { TxScope } from '../../kernel/db/scoped.ts';
import { deadLetter, deliverBatch, errorText, type RunTransaction } from './deliver.ts';
import type { EventMetrics } from './metrics.ts';
import { backoffDelay, type DeliveredEvent, type Subscription } from './types.ts';

export interface DeliveryDeps {
  db: Database;
  transaction: RunTransaction;
  metrics: EventMetrics;
  onError(error: unknown, context: Record<string, unknown>): void;
  /** An event was parked for a retry at `dueAt` (the bus's retry loop wakes then). */
  onParked?(dueAt: Date): void;
}

/**
 * After a failed attempt of an unordered consumer: park the event for a later attempt (or dead-letter it
 * when attempts are used up), committing `bookkeeping` (the transport's progress) in the same transaction.
 */
export async function parkOrBury(
  deps: DeliveryDeps,
  sub: Subscription,
  event: DeliveredEvent,
  error: unknown,
  bookkeeping?: (tx: TxScope) => Promise<void>,
): Promise<void> {
  if (event.attempt >= sub.maxAttempts) {
    await deadLetter(deps.transaction, sub, event, error, deps.metrics, async (tx) => {
      await tx.db.execute('delete from event_retries where consumer = $1 and event_id = $2', [sub.consumer, event.id]);
      if (bookkeeping) await bookkeeping(tx);
    });
    return;
  }
  deps.metrics.retries.inc({ consumer: sub.consumer });
  const nextAt = new Date(Date.now() + backoffDelay(sub.backoff, event.attempt));
  await deps.transaction(async (tx) => {
    await tx.db.execute(
      `insert into event_retries (consumer, event_id, event, attempt, next_at, last_error) values ($1, $2, $3::jsonb, $4, $5, $6)
       on conflict (consumer, event_id) do update set attempt = excluded.attempt, next_at = excluded.next_at, last_error = excluded.last_error, event = excluded.event`,
      [sub.consumer, event.id, JSON.stringify(event), event.attempt, nextAt, errorText(error)],
    );
    if (bookkeeping) await bookkeeping(tx);
  });
  deps.onParked?.(nextAt);
}

/**
 * Delivers the due parked events (and re-queued dead letters) of every subscription of this node, found
 * with one query for all of them; returns how many were attempted.
 */
export async function deliverDueRetries(deps: DeliveryDeps, subs: ReadonlyMap<string, Subscription>, limit = 100): Promise<number> {
  if (subs.size === 0) return 0;
  const due = await deps.db.query<{ consumer: string; event: DeliveredEvent; attempt: number }>(
    'select consumer, event, attempt from event_retries where consumer = any($1::text[]) and next_at <= now() order by next_at limit $2',
    [[...subs.keys()], limit],
  );
  for (const row of due) {
    const sub = subs.get(row.consumer)!;
    const event: DeliveredEvent = { ...row.event, attempt: row.attempt + 1 };
    const clear = (tx: TxScope) => tx.db.execute('delete from event_retries where consumer = $1 and event_id = $2', [sub.consumer, event.id]).then(() => undefined);
    try {
      await deliverBatch(deps.transaction, sub, [event], deps.metrics, clear);
    } catch (error) {
      deps.onError(error, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
      await parkOrBury(deps, sub, event, error);
    }
  }
  return due.length;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
