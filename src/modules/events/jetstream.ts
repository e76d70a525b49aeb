// The NATS JetStream transport. The outbox, inbox, retry table and dead letters stay in the database as
// with the embedded transport; JetStream replaces the log table as the stream consumers read from.
//
//  - relay: the shared relay (relay.ts) publishes each batch before it commits, packed into a few messages
//    (runs of one type, up to 100 events each, jetstream-wire.ts) with a Nats-Msg-Id naming their events,
//    and waits for every PubAck. A crash or rollback after publishing re-sends the batch, packed the same
//    way, and the stream's duplicate window drops the copies.
//  - consumers: one durable pull consumer per subscription (jetstream-consumer.ts); a message is acknowledged
//    after the transactions of all its events committed; the inbox absorbs the redeliveries at-least-once
//    implies (a message with one failing event comes again whole, and its handled events are skipped).
//  - replay: re-creates the durable at the requested sequence or time (see replay() below).
import { createHash } from 'node:crypto';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamUpdateConfig,
} from '@nats-io/jetstream';
import type { Config } from '../../kernel/config.ts';
import type { DeliveryDeps } from './consumer-loop.ts';
import { NatsLink, NatsUnavailable } from './jetstream-link.ts';
import {
  consumerConfig,
  isConsumerNotFound,
  DEFAULT_ACK_WAIT_MS,
  startJetStreamConsumer,
  type JetStreamConsumerContext,
  type JetStreamRunner,
} from './jetstream-consumer.ts';
import {
  assertStreamName,
  assertSubjectPrefix,
  DEFAULT_STREAM,
  DEFAULT_SUBJECT_PREFIX,
  durableName,
  encodeEvents,
  packEvents,
  subjectFor,
} from './jetstream-wire.ts';
import { BatchPublisher } from './jetstream-publish.ts';
import { relayOutbox, type LoggedEvent } from './relay.ts';
import { assertOffsetWithinHead, type ConsumerRunner, type Transport } from './transport.ts';
import type { Subscription } from './types.ts';

export { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from './jetstream-wire.ts';

export interface JetStreamOptions {
  /** Stream name; default SOUK_EVENTS. Tests pass a unique one per run so parallel suites never share it. */
  stream?: string;
  /**
   * Subject prefix: the stream holds `<prefix>.>` and each event goes to `<prefix>.<event type>`; default
   * "souk.events". Two streams on one server need prefixes that do not overlap.
   */
  subjectPrefix?: string;
  /**
   * ack_wait of the durables, default 30 s: how long an unacknowledged message waits before it is sent
   * again. Messages in flight when the NATS server went down come back after this (tests shorten it).
   */
  ackWaitMs?: number;
}

/** How long JetStream remembers a Nats-Msg-Id: longer than any relay retry loop (capped by retention). */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
const PUBLISH_TIMEOUT_MS = 5000;
/**
 * A consumer's pull request lives this long on the server. The continuous pull asks again before it runs
 * out, so under traffic requests end by filling. Kept short because the client, after a reconnect or
 * missed heartbeats, waits about this long (jittered) before asking again when its check of the durable
 * fails while JetStream is still recovering: 30 s (the client's default) stalled a consumer 15-45 s.
 */
const PULL_EXPIRES_MS = 5_000;
/** The header by which JetStream de-duplicates a message sent again (see messageId). */
const MSG_ID_HEADER = 'Nats-Msg-Id';

/** Body size a message may reach (also at most half the server's max_payload). */
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * The Nats-Msg-Id of a message: the event id when it carries one (as format 1 did), else the first id, the
 * count and a hash of all ids. Identical only for the same events, so the stream's duplicate window never
 * drops a message that carries an event the stored copy lacks. A batch re-sent by another node may be
 * packed differently and then stored twice: the consumers' inbox skips the events they already handled.
 */
function messageId(rows: readonly { id: string }[]): string {
  const [first] = rows;
  if (rows.length === 1) return first!.id;
  const hash = createHash('sha256');
  for (const row of rows) hash.update(row.id);
  return `${first!.id}+${rows.length}.${hash.digest('base64url').slice(0, 22)}`;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

function streamSettings(config: Config, subjectPrefix: string): Pick<StreamUpdateConfig, 'subjects' | 'max_age' | 'duplicate_window' | 'num_replicas'> {
  const maxAgeMs = config.eventsRetentionHours * 3600_000;
  return {
    subjects: [`${subjectPrefix}.>`],
    // 0 keeps messages forever; the duplicate window must not exceed a non-zero max_age.
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, maxAgeMs) : DUPLICATE_WINDOW_MS),
    num_replicas: Math.max(1, config.natsReplicas),
  };
}

/** Creates the stream, or updates the settings Souk owns on an existing one. Safe to run on every node at once. */
async function ensureStream(jsm: JetStreamManager, name: string, config: Config, subjectPrefix: string): Promise<void> {
  const want = streamSettings(config, subjectPrefix);
  for (let attempt = 1; ; attempt++) {
    try {
      const { config: current } = await jsm.streams.info(name);
      const same =
        current.subjects.length === 1 &&
        current.subjects[0] === want.subjects[0] &&
        current.max_age === want.max_age &&
        current.duplicate_window === want.duplicate_window &&
        current.num_replicas === want.num_replicas;
      if (!same) await jsm.streams.update(name, { ...current, ...want });
      return;
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    const add: Partial<StreamConfig> & { name: string } = {
      name,
      description: 'Souk events (see src/modules/events/jetstream.ts)',
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      ...want,
    };
    try {
      await jsm.streams.add(add);
      return;
    } catch (error) {
      // Another node created it between our info and add: go round once more and update it instead.
      if (attempt >= 3) throw error;
    }
  }
}

/**
 * Connects to NATS (config.natsUrl), creates or updates the stream and returns the transport. `options`
 * picks the stream name and subject prefix (defaults SOUK_EVENTS and souk.events).
 */
export async function openJetStreamTransport(deps: DeliveryDeps, config: Config, options: JetStreamOptions = {}): Promise<Transport> {
  if (!config.natsUrl) throw new Error('The JetStream transport needs NATS_URL (or set SOUK_EVENTS_TRANSPORT=embedded).');
  const stream = options.stream ?? DEFAULT_STREAM;
  const subjectPrefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  assertStreamName(stream);
  assertSubjectPrefix(subjectPrefix);

  const nc: NatsConnection = await connect({
    servers: config.natsUrl.split(',').map((s) => s.trim()),
    name: 'souk',
    // Keep trying for ever while the server restarts; fetch loops and the relay ride it out.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: PUBLISH_TIMEOUT_MS });
    const js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
    await ensureStream(jsm, stream, config, subjectPrefix);
    const ackWaitMs = Math.max(1000, options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
    return jetStreamTransport(deps, config, nc, { stream, subjectPrefix, ackWaitMs, jsm, js, link: new NatsLink(nc) });
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
}

function jetStreamTransport(
  deps: DeliveryDeps,
  config: Config,
  nc: NatsConnection,
  where: Pick<JetStreamConsumerContext, 'stream' | 'subjectPrefix' | 'ackWaitMs' | 'jsm' | 'js' | 'link'>,
): Transport {
  const { stream, jsm, link } = where;
  const batchSize = Math.max(1, config.eventsBatchSize);
  const ctx: JetStreamConsumerContext = {
    ...where,
    deps,
    batchSize,
    expiresMs: PULL_EXPIRES_MS,
  };
  const runners = new Map<string, Set<JetStreamRunner>>();
  /** Replays of one durable run one after the other. */
  const replays = new Map<string, Promise<unknown>>();

  const publisher = new BatchPublisher(nc);
  /** The last batch's packing (event ids by first id), reused if the batch has to be sent again. */
  let lastPacking = new Map<string, readonly string[]>();

  async function publish(events: LoggedEvent[]): Promise<void> {
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const packed = packEvents(events, { maxEvents: config.natsEventsPerMessage, maxBytes: Math.min(MAX_MESSAGE_BYTES, Math.floor(maxPayload / 2)) }, lastPacking);
    // Remembered before publishing: the relay commit may fail after every PubAck came, too.
    lastPacking = new Map(packed.map((p) => [p.rows[0]!.id, p.rows.map((r) => r.id)]));
    // All at once, then wait for every PubAck: the relay deletes the outbox rows only after this returns.
    await publisher.publishAll(
      packed.map(({ rows, json }) => {
        const { body, headers } = encodeEvents(rows, json);
        headers.set(MSG_ID_HEADER, messageId(rows));
        return { subject: subjectFor(where.subjectPrefix, rows[0]!.type), body, headers };
      }),
      PUBLISH_TIMEOUT_MS,
    );
  }

  /** The stream's last sequence. JetStream keeps it when max_age removes messages, so retention cannot lower it. */
  async function head(): Promise<number> {
    return (await jsm.streams.info(stream)).state.last_seq;
  }

  async function recreateAt(sub: Subscription, from: { offset?: number; since?: Date }): Promise<number> {
    const durable = durableName(sub.consumer);
    // A durable started past the head waits there and skips every message published before it.
    if (from.offset !== undefined) assertOffsetWithinHead(from.offset, await head());
    const start = from.offset !== undefined ? { seq: from.offset } : { time: from.since ?? new Date(0) };
    for (let attempt = 1; ; attempt++) {
      try {
        await jsm.consumers.delete(stream, durable);
      } catch (error) {
        if (!isConsumerNotFound(error)) throw error;
      }
      try {
        const info = await jsm.consumers.add(stream, consumerConfig(sub, ctx, start));
        // A new consumer reports the sequence before its first message as delivered.
        return info.delivered.stream_seq + 1;
      } catch (error) {
        // A runner on another node re-created the durable in between: delete it again.
        if (attempt >= 3) throw error;
      }
    }
  }

  return {
    kind: 'jetstream',

    async relay(limit) {
      // While the client reconnects a publish would only fail after its timeout: wait a little for the
      // connection instead, then give up for this round (the outbox keeps the rows, the bus retries).
      await link.waitUntilConnected(1000);
      if (!link.connected) throw new NatsUnavailable();
      return relayOutbox(deps.db, limit, publish);
    },

    startConsumer(sub): ConsumerRunner {
      const durable = durableName(sub.consumer);
      const runner = startJetStreamConsumer(ctx, sub);
      const set = runners.get(durable) ?? new Set<JetStreamRunner>();
      set.add(runner);
      runners.set(durable, set);
      return {
        async stop() {
          set.delete(runner);
          await runner.stop();
        },
      };
    },

    /**
     * Moves the durable back: the consumer is deleted and re-created with DeliverPolicy.StartSequence or
     * StartTime and the subscription's usual settings. Chosen over an ephemeral side consumer because the
     * replay then lives in JetStream (it survives a restart of this process, every worker node picks it
     * up), ordered consumers stay in order, and there is one delivery path. Events the consumer already
     * handled come again and the inbox skips them; retries and dead letters are in the database and keep.
     * Local runners of the consumer pause while the durable is swapped.
     */
    async replay(sub, from) {
      const durable = durableName(sub.consumer);
      const previous = replays.get(durable) ?? Promise.resolve();
      const run = previous.catch(() => undefined).then(async () => {
        const releases = await Promise.all([...(runners.get(durable) ?? [])].map((r) => r.hold()));
        try {
          return { fromOffset: await recreateAt(sub, from) };
        } finally {
          for (const release of releases) release();
        }
      });
      replays.set(durable, run);
      try {
        return await run;
      } finally {
        if (replays.get(durable) === run) replays.delete(durable);
      }
    },

    async lag(consumer) {
      if (!link.connected) throw new NatsUnavailable();
      try {
        const info = await jsm.consumers.info(stream, durableName(consumer));
        // num_pending is 0 for a durable waiting beyond the head; the gap is reported (negative) instead.
        // A durable that has delivered nothing yet stands just before its start sequence.
        const at = Math.max(info.delivered.stream_seq, (info.config.opt_start_seq ?? 1) - 1);
        const last = await head();
        if (at > last) return last - at;
        return info.num_pending + info.num_ack_pending;
      } catch (error) {
        if (isConsumerNotFound(error) || isStreamNotFound(error)) return 0;
        throw error;
      }
    },

    async lags(consumers) {
      const lags = new Map<string, number>();
      for (const consumer of consumers) lags.set(consumer, await this.lag(consumer));
      return lags;
    },

    async close() {
      await Promise.all([...runners.values()].flatMap((set) => [...set].map((r) => r.stop())));
      runners.clear();
      publisher.close();
      if (nc.isClosed()) return;
      if (!link.connected) {
        await nc.close().catch(() => undefined);
        return;
      }
      // Drain flushes pending acks; a server that is away must not hold the shutdown.
      const drained = await Promise.race([
        nc.drain().then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
      ]);
      if (!drained && !nc.isClosed()) await nc.close().catch(() => undefined);
    },
  };
}
