// The delivery loop of one subscription on JetStream: a durable pull consumer, fetched in rounds. Each
// round's messages are handed to the shared delivery path (inbox + handler in one database transaction)
// and acknowledged after the commit, so a crash between the two redelivers a message the inbox then skips.
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { deadLetter, deliverBatch } from './deliver.ts';
import { deliverDueRetries, parkOrBury, type DeliveryDeps } from './consumer-loop.ts';
import { NatsUnavailable, type NatsLink } from './jetstream-link.ts';
import { decodeEvent, durableDescription, durableName, filterFor } from './jetstream-wire.ts';
import type { ConsumerRunner } from './transport.ts';
import { backoffDelay, matchesType, type DeliveredEvent, type Subscription } from './types.ts';

/** A message not acknowledged within this time is redelivered; long batches send "working" meanwhile. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

export interface JetStreamConsumerContext {
  deps: DeliveryDeps;
  js: JetStreamClient;
  jsm: JetStreamManager;
  link: NatsLink;
  stream: string;
  subjectPrefix: string;
  /** Messages per fetch round. */
  batchSize: number;
  /** How long an idle fetch waits for messages (at least 1000 ms, the client's minimum). */
  expiresMs: number;
  /**
   * The durable's ack_wait. Also how long a message the server sent just before it went down (or whose
   * ack it never got) waits before it comes again.
   */
  ackWaitMs: number;
}

export interface JetStreamRunner extends ConsumerRunner {
  /**
   * Ends the current fetch round and keeps the loop idle until the returned release is called (replay
   * re-creates the durable meanwhile). Resolves once the loop holds no message and makes no request.
   */
  hold(): Promise<() => void>;
}

export function isConsumerNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
}

type ConsumerPlace = Pick<JetStreamConsumerContext, 'subjectPrefix' | 'batchSize' | 'ackWaitMs'>;

type Settings = Required<Pick<ConsumerConfig, 'description' | 'filter_subject' | 'ack_wait' | 'max_deliver' | 'max_ack_pending'>>;

/** What Souk sets on a durable, derived from the subscription; the rest is JetStream's default. */
export function consumerSettings(sub: Subscription, where: ConsumerPlace): Settings {
  return {
    description: durableDescription(sub.consumer),
    filter_subject: filterFor(where.subjectPrefix, sub.types),
    ack_wait: nanos(where.ackWaitMs),
    // Attempts are counted by Souk (nak until maxAttempts, then term), never cut off by the server.
    max_deliver: -1,
    // One unacknowledged message at a time keeps an ordered consumer in stream order across nodes.
    max_ack_pending: sub.ordered ? 1 : Math.max(1000, where.batchSize * 4),
  };
}

export function consumerConfig(sub: Subscription, where: ConsumerPlace, start: { seq?: number; time?: Date } = {}): Partial<ConsumerConfig> {
  const from: Partial<ConsumerConfig> =
    start.seq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, start.seq) }
      : start.time !== undefined
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: start.time.toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  return {
    durable_name: durableName(sub.consumer),
    ack_policy: AckPolicy.Explicit,
    replay_policy: ReplayPolicy.Instant,
    ...from,
    ...consumerSettings(sub, where),
  };
}

/**
 * Creates the durable (from the start of the stream, like a new embedded consumer) or brings an existing
 * one in line with the subscription, and returns a handle for fetching.
 */
export async function ensureConsumer(ctx: JetStreamConsumerContext, sub: Subscription): Promise<Consumer> {
  const durable = durableName(sub.consumer);
  const want = consumerSettings(sub, ctx);
  let info: ConsumerInfo | undefined;
  try {
    info = await ctx.jsm.consumers.info(ctx.stream, durable);
  } catch (error) {
    if (!isConsumerNotFound(error)) throw error;
  }
  if (!info) {
    await ctx.jsm.consumers.add(ctx.stream, consumerConfig(sub, ctx));
  } else {
    const current = info.config;
    if (current.description?.startsWith('souk consumer ') && current.description !== want.description) {
      throw new Error(`JetStream durable "${durable}" belongs to "${current.description.slice(14)}", not "${sub.consumer}": rename one of the two consumers.`);
    }
    const changed = (Object.keys(want) as (keyof Settings)[]).filter((k) => current[k] !== want[k]);
    if (changed.length > 0) {
      try {
        await ctx.jsm.consumers.update(ctx.stream, durable, want);
      } catch (error) {
        if (!changed.includes('filter_subject')) throw error;
        // A server that cannot change a filter: a new durable continues where the old one was acknowledged.
        await ctx.jsm.consumers.delete(ctx.stream, durable);
        await ctx.jsm.consumers.add(ctx.stream, consumerConfig(sub, ctx, { seq: info.ack_floor.stream_seq + 1 }));
      }
    }
  }
  return ctx.js.consumers.get(ctx.stream, durable);
}

export function startJetStreamConsumer(ctx: JetStreamConsumerContext, sub: Subscription): JetStreamRunner {
  const { deps } = ctx;
  const label = { consumer: sub.consumer };
  let running = true;
  let interrupted = false;
  let current: ConsumerMessages | undefined;
  let iteration: Promise<void> | undefined;
  let held: Promise<void> | undefined;
  let wakePause: (() => void) | undefined;
  let signalStop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    signalStop = resolve;
  });

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakePause = undefined;
        resolve();
      }
      wakePause = done;
    });

  function observeLag(event: DeliveredEvent) {
    deps.metrics.deliveryLagSeconds.observe(label, (Date.now() - Date.parse(event.emittedAt)) / 1000);
  }

  /** One message in its own transaction; every outcome ends in ack, nak or term. */
  async function handleOne(msg: JsMsg, event: DeliveredEvent): Promise<'done' | 'held'> {
    try {
      await deliverBatch(deps.transaction, sub, [event], deps.metrics);
      msg.ack();
      observeLag(event);
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
        deps.metrics.retries.inc(label);
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

  async function handleGroup(group: JsMsg[]): Promise<void> {
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
    if (ready.length === 0) return;

    if (!sub.ordered && ready.length > 1) {
      try {
        await deliverBatch(deps.transaction, sub, ready.map((r) => r.event), deps.metrics);
        for (const { msg, event } of ready) {
          msg.ack();
          observeLag(event);
        }
        return;
      } catch {
        // Something in the batch failed and rolled it all back: one by one, so only the culprit retries.
      }
    }
    for (let i = 0; i < ready.length; i++) {
      const { msg, event } = ready[i]!;
      const outcome = await handleOne(msg, event);
      if (outcome === 'held' && sub.ordered) {
        // Strict order: whatever came after the held event waits for it (only happens if max_ack_pending > 1).
        for (const later of ready.slice(i + 1)) later.msg.nak(backoffDelay(sub.backoff, event.attempt));
        return;
      }
    }
  }

  async function fetchRound(consumer: Consumer): Promise<void> {
    const messages = await consumer.fetch({ max_messages: ctx.batchSize, expires: ctx.expiresMs });
    current = messages;
    const queue: JsMsg[] = [];
    let inHand: JsMsg[] = [];
    let ended = false;
    let failure: unknown;
    let notify: (() => void) | undefined;
    // The iterator yields messages as the server sends them; whatever piled up while a group was being
    // handled becomes the next group, so a busy stream is handled in batches and a quiet one at once.
    const pump = (async () => {
      try {
        for await (const msg of messages) {
          queue.push(msg);
          notify?.();
        }
      } catch (error) {
        failure = error;
      } finally {
        ended = true;
        notify?.();
      }
    })();
    const keepAlive = setInterval(() => {
      for (const msg of inHand) msg.working();
      for (const msg of queue) msg.working();
    }, ctx.ackWaitMs / 3);
    let handled = false;
    try {
      while (running && !interrupted) {
        if (queue.length === 0) {
          if (ended) break;
          await new Promise<void>((resolve) => {
            notify = resolve;
          });
          notify = undefined;
          continue;
        }
        inHand = queue.splice(0, queue.length);
        await handleGroup(inHand);
        inHand = [];
      }
      handled = true;
    } finally {
      clearInterval(keepAlive);
      current = undefined;
      await messages.close().catch(() => undefined);
      await pump;
      // Fetched but not handled (stop, replay): give it back now rather than after ack_wait. Messages that
      // were already acknowledged ignore the nak.
      for (const msg of queue.splice(0)) msg.nak();
      for (const msg of inHand) msg.nak(1000);
    }
    if (handled && failure !== undefined && running && !interrupted) throw failure;
  }

  const loop = (async () => {
    let consumer: Consumer | undefined;
    let failures = 0;
    while (running) {
      if (held) {
        await Promise.race([held, stopped]);
        continue;
      }
      // From here to the first await inside `step` nothing yields, so hold() either sees `iteration` set
      // or finds the loop about to read `held` again.
      interrupted = false;
      const step = (async () => {
        // Parked retries and re-queued dead letters live in the database, whatever NATS is doing.
        await deliverDueRetries(deps, sub);
        if (!ctx.link.connected) throw new NatsUnavailable();
        // API requests wait up to their timeout while NATS is away; stop() need not.
        consumer ??= await Promise.race([ensureConsumer(ctx, sub), stopped.then(() => Promise.reject(new Error('stopped')))]);
        if (running && !interrupted) await fetchRound(consumer);
      })();
      iteration = step.catch(() => undefined);
      try {
        await step;
        failures = 0;
        if (interrupted) consumer = undefined;
      } catch (error) {
        // NATS restarting, the consumer deleted by a replay on another node, the database away: log,
        // wait a little longer each time, look the consumer up again.
        consumer = undefined;
        if (!running || interrupted) continue;
        if (!ctx.link.connected) {
          // Resume as soon as the client is back (the database retries above still run every 5 s).
          if (!(error instanceof NatsUnavailable)) deps.onError(error, { consumer: sub.consumer, transport: 'jetstream' });
          await Promise.race([ctx.link.waitUntilConnected(5000), stopped]);
          continue;
        }
        failures += 1;
        deps.onError(error, { consumer: sub.consumer, transport: 'jetstream', failures });
        await pause(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      } finally {
        iteration = undefined;
      }
    }
  })();

  return {
    async hold() {
      let release!: () => void;
      const previous = held;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const mine = held;
      if (previous) await previous;
      interrupted = true;
      wakePause?.();
      await current?.close().catch(() => undefined);
      await iteration;
      return () => {
        if (held === mine) held = undefined;
        release();
      };
    },
    async stop() {
      running = false;
      signalStop();
      wakePause?.();
      await current?.close().catch(() => undefined);
      await loop;
    },
  };
}
