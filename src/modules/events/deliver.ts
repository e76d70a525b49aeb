// Delivery to a handler, the same for both transports: inbox row + handler effects (+ the transport's
// own bookkeeping, such as the embedded consumer's position) commit in one transaction, so a message
// delivered twice is applied once.
import type { TxScope } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { runWithTrace } from '../../kernel/trace.ts';
import { inConsumerSpan } from '../../kernel/otel.ts';
import type { DeliveredEvent, Subscription } from './types.ts';
import type { EventMetrics } from './metrics.ts';

/** A handler threw while delivering a batch: names the event, so its failed attempt is not run twice. */
export class HandlerFailure extends Error {
  constructor(
    readonly event: DeliveredEvent,
    override readonly cause: unknown,
  ) {
    super(`handler failed for event ${event.id}`);
  }
}

export type RunTransaction = <T>(fn: (tx: TxScope) => Promise<T>) => Promise<T>;

function runHandler(sub: Subscription, event: DeliveredEvent, tx: TxScope): Promise<void> {
  // The handler runs as a child span of the event (a consumer span when tracing is on), and whatever it
  // emits records this event as its cause.
  return inConsumerSpan(event.type, sub.consumer, event.traceparent, (traceparent) => runWithTrace({ traceparent, causedBy: event.id }, () => sub.handler(event, tx)));
}

/**
 * Delivers events in one transaction: the inbox filters out what this consumer already handled, the
 * handler runs for the rest in order. Any throw rolls the whole batch back (the caller then goes one by one).
 */
export async function deliverBatch(
  transaction: RunTransaction,
  sub: Subscription,
  events: DeliveredEvent[],
  metrics: EventMetrics,
  bookkeeping?: (tx: TxScope) => Promise<void>,
): Promise<number> {
  const accepts = sub.accepts;
  if (accepts) events = events.filter((event) => accepts(event));
  // Nothing accepted and nothing to record: no transaction (a broad consumer such as webhooks passes over
  // most JetStream groups this way, and each used to cost an empty begin/commit).
  if (events.length === 0 && !bookkeeping) return 0;
  return transaction(async (tx) => {
    let handled = 0;
    if (events.length > 0) {
      const fresh = await tx.db.query<{ event_id: string }>(
        `insert into event_inbox (consumer, event_id) select $1, unnest($2::uuid[])
         on conflict do nothing returning event_id`,
        [sub.consumer, events.map((e) => e.id)],
      );
      const isFresh = new Set(fresh.map((r) => r.event_id));
      if (isFresh.size < events.length) metrics.duplicates.inc({ consumer: sub.consumer }, events.length - isFresh.size);
      for (const event of events) {
        if (!isFresh.has(event.id)) continue;
        const started = performance.now();
        try {
          await runHandler(sub, event, tx);
        } catch (error) {
          throw new HandlerFailure(event, error);
        }
        metrics.handlerSeconds.observe({ consumer: sub.consumer }, (performance.now() - started) / 1000);
        handled += 1;
      }
    }
    if (bookkeeping) await bookkeeping(tx);
    return handled;
  });
}

export function errorText(error: unknown): string {
  if (error instanceof HandlerFailure) return errorText(error.cause);
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

/** Records an event the consumer gave up on; bookkeeping (position, retry row) commits with it. */
export async function deadLetter(
  transaction: RunTransaction,
  sub: Subscription,
  event: DeliveredEvent,
  error: unknown,
  metrics: EventMetrics,
  bookkeeping?: (tx: TxScope) => Promise<void>,
): Promise<void> {
  await transaction(async (tx) => {
    await tx.db.execute(
      `insert into event_dead_letters (id, consumer, event_id, platform_id, event, attempts, last_error)
       values ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
      [newId(), sub.consumer, event.id, event.platformId, JSON.stringify(event), event.attempt, errorText(error)],
    );
    if (bookkeeping) await bookkeeping(tx);
  });
  metrics.deadLetters.inc({ consumer: sub.consumer });
}
