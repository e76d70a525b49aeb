// The delivery loop of one subscription on JetStream: a durable pull consumer read by a continuous pull
// (consume()). Its messages are handed to the shared delivery path (inbox + handler in one database
// transaction) and acknowledged after the commit, so a crash between the two redelivers a message the
// inbox then skips.
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
import type { DeliveryDeps } from './consumer-loop.ts';
import { AttemptBook, handleGroup } from './jetstream-handling.ts';
import { NatsUnavailable, type NatsLink } from './jetstream-link.ts';
import { durableDescription, durableName, filterFor } from './jetstream-wire.ts';
import type { ConsumerRunner } from './transport.ts';
import type { Subscription } from './types.ts';

/** A message not acknowledged within this time is redelivered; long batches send "working" meanwhile. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Heartbeats the server sends on an idle pull request (see pull()). */
const PULL_HEARTBEAT_MS = 1000;

export interface JetStreamConsumerContext {
  deps: DeliveryDeps;
  js: JetStreamClient;
  jsm: JetStreamManager;
  link: NatsLink;
  stream: string;
  subjectPrefix: string;
  /** Messages the pull keeps asked for, and events per delivery transaction. */
  batchSize: number;
  /**
   * How long each pull request stays open on the server (at least twice PULL_HEARTBEAT_MS, the server
   * checks). The client asks again before a request runs out, so this bounds how long an idle one lives.
   */
  expiresMs: number;
  /**
   * The durable's ack_wait. Also how long a message the server sent just before it went down (or whose
   * ack it never got) waits before it comes again.
   */
  ackWaitMs: number;
}

export interface JetStreamRunner extends ConsumerRunner {
  /**
   * Ends the current pull and keeps the loop idle until the returned release is called (replay
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

/**
 * The delivery loop of one subscription, with its state in fields: each step makes sure the durable
 * exists and runs one pull until it ends (an error, hold() or stop()); failures back off; hold() pauses
 * it around a replay and stop() ends it.
 */
class JetStreamConsumerLoop implements JetStreamRunner {
  private running = true;
  /** Set by hold(): the current pull ends and the durable is looked up again afterwards. */
  private interrupted = false;
  private consumer: Consumer | undefined;
  /** Attempts of the events of messages sent back (several events per message, see jetstream-handling.ts). */
  private readonly book = new AttemptBook();
  /** The pull in progress, closed by hold() and stop() to end it at once. */
  private current: ConsumerMessages | undefined;
  /** The step in progress (never rejects), awaited by hold(). */
  private iteration: Promise<void> | undefined;
  /** While set, the loop idles until it resolves (hold()'s release). */
  private held: Promise<void> | undefined;
  private wakePause: (() => void) | undefined;
  private signalStop!: () => void;
  private readonly stopped: Promise<void>;
  private readonly loop: Promise<void>;

  constructor(
    private readonly ctx: JetStreamConsumerContext,
    private readonly sub: Subscription,
  ) {
    this.stopped = new Promise<void>((resolve) => {
      this.signalStop = resolve;
    });
    this.loop = this.run();
  }

  async hold(): Promise<() => void> {
    let release!: () => void;
    const previous = this.held;
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const mine = this.held;
    if (previous) await previous;
    this.interrupted = true;
    this.wakePause?.();
    await this.current?.close().catch(() => undefined);
    await this.iteration;
    return () => {
      if (this.held === mine) this.held = undefined;
      release();
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signalStop();
    this.wakePause?.();
    await this.current?.close().catch(() => undefined);
    await this.loop;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakePause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakePause = done;
    });
  }

  private async run(): Promise<void> {
    const { deps, link } = this.ctx;
    let failures = 0;
    while (this.running) {
      if (this.held) {
        await Promise.race([this.held, this.stopped]);
        continue;
      }
      // From here to the first await inside `step` nothing yields, so hold() either sees `iteration` set
      // or finds the loop about to read `held` again.
      this.interrupted = false;
      const step = this.step();
      this.iteration = step.catch(() => undefined);
      try {
        await step;
        failures = 0;
        if (this.interrupted) this.consumer = undefined;
      } catch (error) {
        // NATS restarting, the consumer deleted by a replay on another node, the database away: log,
        // wait a little longer each time, look the consumer up again.
        this.consumer = undefined;
        if (!this.running || this.interrupted) continue;
        if (!link.connected) {
          // Resume as soon as the client is back (the database retries above still run every 5 s).
          if (!(error instanceof NatsUnavailable)) deps.onError(error, { consumer: this.sub.consumer, transport: 'jetstream' });
          await Promise.race([link.waitUntilConnected(5000), this.stopped]);
          continue;
        }
        failures += 1;
        deps.onError(error, { consumer: this.sub.consumer, transport: 'jetstream', failures });
        await this.pause(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      } finally {
        this.iteration = undefined;
      }
    }
  }

  /** One pull from the durable, NATS permitting (parked retries are the bus's retry loop). */
  private async step(): Promise<void> {
    if (!this.ctx.link.connected) throw new NatsUnavailable();
    // API requests wait up to their timeout while NATS is away; stop() need not.
    this.consumer ??= await Promise.race([ensureConsumer(this.ctx, this.sub), this.stopped.then(() => Promise.reject(new Error('stopped')))]);
    if (this.running && !this.interrupted) await this.pull(this.consumer);
  }

  /**
   * Why consume() rather than rounds of fetch(): a fetch that does not fill (the usual case once a message
   * carries many events) ends when its request expires, and against nats-server 2.9 some rounds never saw
   * the server's end-of-request: the client waited for two missed heartbeats (another second, with no
   * request open on the server) and then backed off, so events published meanwhile waited ~1.2 s. The
   * continuous pull asks for more once a quarter of what it asked for has come, after the end of a
   * request, after missed heartbeats and after a reconnect, so one is nearly always open. It ends with
   * an error only when the durable or stream is gone (abort_on_missing_resource), and the loop then looks
   * the durable up again as after any failure.
   */
  private async pull(consumer: Consumer): Promise<void> {
    const { ctx } = this;
    const messages = await consumer.consume({
      max_messages: ctx.batchSize,
      expires: ctx.expiresMs,
      // A request that ends without the server saying so is noticed after two missed heartbeats and asked
      // again: 1 s keeps that gap near 2 s (the default is half of expires).
      idle_heartbeat: PULL_HEARTBEAT_MS,
      abort_on_missing_resource: true,
    });
    this.current = messages;
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
      while (this.running && !this.interrupted) {
        if (queue.length === 0) {
          if (ended) break;
          await new Promise<void>((resolve) => {
            notify = resolve;
          });
          notify = undefined;
          continue;
        }
        inHand = queue.splice(0, queue.length);
        await handleGroup(ctx.deps, this.sub, inHand, this.book, ctx.batchSize);
        inHand = [];
      }
      handled = true;
    } finally {
      clearInterval(keepAlive);
      this.current = undefined;
      await messages.close().catch(() => undefined);
      await pump;
      // Fetched but not handled (stop, replay): give it back now rather than after ack_wait. Messages that
      // were already acknowledged ignore the nak.
      for (const msg of queue.splice(0)) msg.nak();
      for (const msg of inHand) msg.nak(1000);
    }
    if (handled && failure !== undefined && this.running && !this.interrupted) throw failure;
  }
}

export function startJetStreamConsumer(ctx: JetStreamConsumerContext, sub: Subscription): JetStreamRunner {
  return new JetStreamConsumerLoop(ctx, sub);
}
