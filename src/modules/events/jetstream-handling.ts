// What a JetStream consumer does with one group of fetched messages: decode each message's events, skip
// types the subscription does not take, deliver (a batch in one transaction when it can, else one event
// at a time) and settle each message once: ack when all its events are done, nak when one of them has to
// wait. A message sent back comes again whole; the events of it already handled are in the inbox and
// skipped, those parked or dead-lettered are skipped here. The only state, which delivery of a message
// first tried each of its events, is the loop's AttemptBook (jetstream-consumer.ts owns it).
import type { JsMsg } from '@nats-io/jetstream';
import { deadLetter, deliverBatch } from './deliver.ts';
import { parkOrBury, type DeliveryDeps } from './consumer-loop.ts';
import { decodeEvents } from './jetstream-wire.ts';
import { backoffDelay, matchesType, type DeliveredEvent, type Subscription } from './types.ts';

/** Messages sent back whose attempts are remembered; the oldest are forgotten past this. */
const BOOK_SIZE = 10_000;

/**
 * The attempt of each event of a message. JetStream counts deliveries of the message, not of its events:
 * an event behind one that failed was not tried in those deliveries, so its attempt counts from the
 * delivery that first reached it. Remembered only for messages sent back (nak) by this process; for a
 * message it has no record of, every event's attempt is the delivery count, which can only run out
 * attempts early, never let a failing event go round for ever.
 */
export class AttemptBook {
  /** Stream sequence → event index → the delivery count at which the event was first tried. */
  private readonly firstTried = new Map<number, Map<number, number>>();

  attempt(msg: JsMsg, index: number): number {
    const delivery = msg.info.deliveryCount;
    const tried = this.firstTried.get(msg.info.streamSequence);
    if (!tried) return delivery;
    const first = tried.get(index);
    return first === undefined ? 1 : delivery - first + 1;
  }

  /** The message goes back after its events up to `events`' last were tried at the attempts they carry. */
  sentBack(msg: JsMsg, events: readonly Indexed[]): void {
    const seq = msg.info.streamSequence;
    const tried = this.firstTried.get(seq) ?? new Map<number, number>();
    for (const { index, event } of events) if (!tried.has(index)) tried.set(index, msg.info.deliveryCount - event.attempt + 1);
    this.firstTried.delete(seq);
    this.firstTried.set(seq, tried);
    if (this.firstTried.size > BOOK_SIZE) this.firstTried.delete(this.firstTried.keys().next().value!);
  }

  settled(msg: JsMsg): void {
    this.firstTried.delete(msg.info.streamSequence);
  }
}

interface Indexed {
  /** Position in the message, for the AttemptBook. */
  index: number;
  event: DeliveredEvent;
}

/** A fetched message and those of its events the subscription takes. */
interface Delivery {
  msg: JsMsg;
  events: Indexed[];
}

function observeLag(deps: DeliveryDeps, sub: Subscription, event: DeliveredEvent): void {
  deps.metrics.deliveryLagSeconds.observe({ consumer: sub.consumer }, (Date.now() - Date.parse(event.emittedAt)) / 1000);
}

/** One event in its own transaction; 'held' when the message has to come again for it. */
async function handleOne(deps: DeliveryDeps, sub: Subscription, event: DeliveredEvent): Promise<'done' | 'held'> {
  try {
    await deliverBatch(deps.transaction, sub, [event], deps.metrics);
    observeLag(deps, sub, event);
    return 'done';
  } catch (error) {
    deps.onError(error, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
    try {
      if (!sub.ordered) {
        // The retry table owns further attempts; the stream moves on.
        await parkOrBury(deps, sub, event, error);
        return 'done';
      }
      if (event.attempt >= sub.maxAttempts) {
        await deadLetter(deps.transaction, sub, event, error, deps.metrics);
        return 'done';
      }
      deps.metrics.retries.inc({ consumer: sub.consumer });
      return 'held';
    } catch (bookkeepingError) {
      // The database refused the retry or dead-letter row too: let JetStream bring the event back later.
      deps.onError(bookkeepingError, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
      return 'held';
    }
  }
}

/** The group's messages with the events the subscription takes; messages that carry none are settled here. */
function decodeGroup(deps: DeliveryDeps, sub: Subscription, group: JsMsg[], book: AttemptBook): Delivery[] {
  const ready: Delivery[] = [];
  for (const msg of group) {
    let events: DeliveredEvent[];
    try {
      events = decodeEvents(msg);
    } catch (error) {
      deps.onError(error, { consumer: sub.consumer, streamSequence: msg.info.streamSequence });
      msg.term();
      continue;
    }
    const taken: Indexed[] = [];
    events.forEach((event, index) => {
      // The filter subject may be wider than the patterns (several patterns on a 2.9 server).
      if (!matchesType(sub.types, event.type)) return;
      event.attempt = book.attempt(msg, index);
      taken.push({ index, event });
    });
    if (taken.length > 0) ready.push({ msg, events: taken });
    else msg.ack();
  }
  return ready;
}

/**
 * A message delivered again carries events this consumer already parked for a retry or dead-lettered (it
 * came back for a batch-mate): those belong to the retry table or the operator now, not to the stream.
 * One query, and only for redeliveries.
 */
async function dropSettledElsewhere(deps: DeliveryDeps, sub: Subscription, ready: Delivery[]): Promise<void> {
  const again = ready.filter((d) => d.msg.info.deliveryCount > 1 && d.events.length > 0);
  if (again.length === 0) return;
  const rows = await deps.db.query<{ event_id: string }>(
    `select event_id from event_retries where consumer = $1 and event_id = any($2::uuid[])
     union select event_id from event_dead_letters where consumer = $1 and event_id = any($2::uuid[])`,
    [sub.consumer, again.flatMap((d) => d.events.map((e) => e.event.id))],
  );
  if (rows.length === 0) return;
  const elsewhere = new Set(rows.map((r) => r.event_id));
  for (const d of again) d.events = d.events.filter((e) => !elsewhere.has(e.event.id));
}

/** Chunks of whole messages of about `maxEvents` events each, so a fetch of packed messages stays one batch's work. */
function chunked(ready: Delivery[], maxEvents: number): Delivery[][] {
  const chunks: Delivery[][] = [];
  let current: Delivery[] = [];
  let events = 0;
  for (const delivery of ready) {
    if (current.length > 0 && events + delivery.events.length > maxEvents) {
      chunks.push(current);
      current = [];
      events = 0;
    }
    current.push(delivery);
    events += delivery.events.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Delivers a chunk. Returns the backoff when an ordered consumer has to wait for an event (the chunk's
 * messages from that one on were sent back), else undefined.
 */
async function handleChunk(deps: DeliveryDeps, sub: Subscription, chunk: Delivery[], book: AttemptBook): Promise<number | undefined> {
  const events = chunk.flatMap((d) => d.events.map((e) => e.event));
  if (!sub.ordered && events.length > 1) {
    try {
      await deliverBatch(deps.transaction, sub, events, deps.metrics);
      for (const { msg } of chunk) {
        book.settled(msg);
        msg.ack();
      }
      for (const event of events) observeLag(deps, sub, event);
      return undefined;
    } catch {
      // Something in the batch failed and rolled it all back: one by one, so only the culprit retries.
    }
  }
  for (let m = 0; m < chunk.length; m++) {
    const { msg, events: mine } = chunk[m]!;
    let held = -1;
    for (let i = 0; i < mine.length; i++) {
      if ((await handleOne(deps, sub, mine[i]!.event)) === 'held') {
        held = i;
        break;
      }
    }
    if (held < 0) {
      book.settled(msg);
      msg.ack();
      continue;
    }
    // The whole message comes again: its events handled so far are in the inbox, the held one is retried.
    const delay = backoffDelay(sub.backoff, mine[held]!.event.attempt);
    book.sentBack(msg, mine.slice(0, held + 1));
    msg.nak(delay);
    if (sub.ordered) {
      // Strict order: whatever came after the held event waits for it (only happens if max_ack_pending > 1).
      for (const later of chunk.slice(m + 1)) later.msg.nak(delay);
      return delay;
    }
  }
  return undefined;
}

export async function handleGroup(deps: DeliveryDeps, sub: Subscription, group: JsMsg[], book: AttemptBook, maxEvents: number): Promise<void> {
  const ready = decodeGroup(deps, sub, group, book);
  if (ready.length === 0) return;
  await dropSettledElsewhere(deps, sub, ready);
  const chunks = chunked(ready, Math.max(1, maxEvents));
  for (let c = 0; c < chunks.length; c++) {
    const held = await handleChunk(deps, sub, chunks[c]!, book);
    if (held !== undefined) {
      for (const later of chunks.slice(c + 1).flat()) later.msg.nak(held);
      return;
    }
  }
}
