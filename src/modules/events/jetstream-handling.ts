// What a JetStream consumer does with one group of fetched messages: decode, skip types the subscription
// does not take, deliver (a batch in one transaction when it can, else one by one) and settle each
// message with ack, nak or term. No state of its own: the loop (jetstream-consumer.ts) owns that.
import type { JsMsg } from '@nats-io/jetstream';
import { deadLetter, deliverBatch } from './deliver.ts';
import { parkOrBury, type DeliveryDeps } from './consumer-loop.ts';
import { decodeEvent } from './jetstream-wire.ts';
import { backoffDelay, matchesType, type DeliveredEvent, type Subscription } from './types.ts';

function observeLag(deps: DeliveryDeps, sub: Subscription, event: DeliveredEvent): void {
  deps.metrics.deliveryLagSeconds.observe({ consumer: sub.consumer }, (Date.now() - Date.parse(event.emittedAt)) / 1000);
}

/** One message in its own transaction; every outcome ends in ack, nak or term. */
async function handleOne(deps: DeliveryDeps, sub: Subscription, msg: JsMsg, event: DeliveredEvent): Promise<'done' | 'held'> {
  try {
    await deliverBatch(deps.transaction, sub, [event], deps.metrics);
    msg.ack();
    observeLag(deps, sub, event);
    return 'done';
  } catch (error) {
    deps.onError(error, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
    try {
      if (!sub.ordered) {
        // The retry table owns further attempts; the stream moves on.
        await parkOrBury(deps, sub, event, error);
        msg.ack();
        return 'done';
      }
      if (event.attempt >= sub.maxAttempts) {
        await deadLetter(deps.transaction, sub, event, error, deps.metrics);
        msg.term();
        return 'done';
      }
      deps.metrics.retries.inc({ consumer: sub.consumer });
      msg.nak(backoffDelay(sub.backoff, event.attempt));
      return 'held';
    } catch (bookkeepingError) {
      // The database refused the retry or dead-letter row too: let JetStream bring the event back later.
      deps.onError(bookkeepingError, { consumer: sub.consumer, eventId: event.id, attempt: event.attempt });
      msg.nak(backoffDelay(sub.backoff, event.attempt));
      return 'held';
    }
  }
}

/** The group's messages the subscription takes, decoded; the others are settled here (term or ack). */
function decodeGroup(deps: DeliveryDeps, sub: Subscription, group: JsMsg[]): { msg: JsMsg; event: DeliveredEvent }[] {
  const ready: { msg: JsMsg; event: DeliveredEvent }[] = [];
  for (const msg of group) {
    let event: DeliveredEvent;
    try {
      event = decodeEvent(msg);
    } catch (error) {
      deps.onError(error, { consumer: sub.consumer, streamSequence: msg.info.streamSequence });
      msg.term();
      continue;
    }
    // The filter subject may be wider than the patterns (several patterns on a 2.9 server).
    if (matchesType(sub.types, event.type)) ready.push({ msg, event });
    else msg.ack();
  }
  return ready;
}

export async function handleGroup(deps: DeliveryDeps, sub: Subscription, group: JsMsg[]): Promise<void> {
  const ready = decodeGroup(deps, sub, group);
  if (ready.length === 0) return;

  if (!sub.ordered && ready.length > 1) {
    try {
      await deliverBatch(deps.transaction, sub, ready.map((r) => r.event), deps.metrics);
      for (const { msg, event } of ready) {
        msg.ack();
        observeLag(deps, sub, event);
      }
      return;
    } catch {
      // Something in the batch failed and rolled it all back: one by one, so only the culprit retries.
    }
  }
  for (let i = 0; i < ready.length; i++) {
    const { msg, event } = ready[i]!;
    const outcome = await handleOne(deps, sub, msg, event);
    if (outcome === 'held' && sub.ordered) {
      // Strict order: whatever came after the held event waits for it (only happens if max_ack_pending > 1).
      for (const later of ready.slice(i + 1)) later.msg.nak(backoffDelay(sub.backoff, event.attempt));
      return;
    }
  }
}
