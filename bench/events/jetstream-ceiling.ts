// The raw JetStream ceiling for the events bench: publish+ack and fetch+ack on a stream set up like
// Souk's, without Souk, to compare the JetStream transport with what the server itself does.
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { encodeEvents, eventJson } from '../../src/modules/events/jetstream-wire.ts';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { latencyPercentiles, round, SampleBuffer } from '../lib/stats.ts';
import { randomTraceparent, type CeilingResult } from './ceilings.ts';
import { runClosedLoop } from './emit-and-drain.ts';
import { cpuWatch } from './harness-cpu.ts';
import { deleteStream } from './jetstream-admin.ts';
import type { PhaseSettings } from './phases.ts';
import { EVENT_TYPE, PLATFORM_ID } from './souk-rig.ts';

export interface RawJetStream {
  publish(round_: number, seconds: number, window: number, s: PhaseSettings): Promise<{ publish: CeilingResult; consume: CeilingResult }>;
  close(): Promise<void>;
}

/** Raw JetStream: a stream set up like Souk's, Souk-sized messages with a Nats-Msg-Id, `window` publishes in flight. */
export async function prepareRawJetStream(natsUrl: string, context: ScenarioContext, retentionHours: number): Promise<RawJetStream> {
  const tag = randomBytes(4).toString('hex');
  const stream = `SOUK_BENCH_RAW_${tag.toUpperCase()}`;
  const prefix = `souk_bench_raw.${tag}`;
  const nc: NatsConnection = await connect({ servers: natsUrl, timeout: 3000 });
  const closeNc = context.cleanup.add('close raw NATS connection', () => nc.close().catch(() => undefined));
  context.cleanup.add(`delete JetStream stream ${stream}`, () => deleteStream(natsUrl, stream));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: stream,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(retentionHours * 3600_000),
    duplicate_window: nanos(10 * 60_000),
    num_replicas: 1,
  });
  const js = jetstream(nc, { timeout: 5000 });
  const subject = `${prefix}.${EVENT_TYPE}`;
  return {
    async publish(round_, seconds, window, s) {
      await jsm.streams.purge(stream);
      let backgroundBeforePercent = await waitForQuietIfAsked(s.quietWaitSeconds, s.log);
      let published = 0;
      const latency = new SampleBuffer();
      let stopCpu = cpuWatch(s.cores);
      let startedAt = performance.now();
      const endAt = startedAt + seconds * 1000;
      await runClosedLoop(window, endAt, async (worker) => {
        const id = randomUUID();
        const row = {
          id,
          platform_id: PLATFORM_ID,
          type: EVENT_TYPE,
          key: null,
          payload: { p: 'raw', e: worker, k: published },
          traceparent: randomTraceparent(),
          caused_by: null,
          emitted_at: new Date(),
        };
        const { body, headers } = encodeEvents([row], [eventJson(row)]);
        const t0 = performance.now();
        await js.publish(subject, body, { msgID: id, headers });
        latency.push(performance.now() - t0);
        published += 1;
      });
      let elapsed = (performance.now() - startedAt) / 1000;
      const publish: CeilingResult = {
        id: 'js-publish',
        label: `raw JetStream publish+ack (${window} in flight)`,
        round: round_,
        perSecond: round(published / elapsed, 0),
        latency: latencyPercentiles(latency, 1),
        cpu: stopCpu(),
        backgroundBeforePercent,
        count: published,
        seconds: round(elapsed, 2),
      };

      // Fetch+ack of what was just published, in fetches of `window` like Souk's consumer (bounded in time).
      backgroundBeforePercent = await waitForQuietIfAsked(s.quietWaitSeconds, s.log);
      const durable = `raw_${round_}`;
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: Math.max(1000, window * 4) });
      const consumer = await js.consumers.get(stream, durable);
      let consumed = 0;
      stopCpu = cpuWatch(s.cores);
      startedAt = performance.now();
      const consumeUntil = startedAt + Math.max(10, seconds * 3) * 1000;
      while (consumed < published && performance.now() < consumeUntil) {
        const messages = await consumer.fetch({ max_messages: window, expires: 1000 });
        for await (const msg of messages) {
          msg.ack();
          consumed += 1;
        }
      }
      await nc.flush();
      elapsed = (performance.now() - startedAt) / 1000;
      const consume: CeilingResult = {
        id: 'js-consume',
        label: `raw JetStream fetch+ack (fetches of ${window})`,
        round: round_,
        perSecond: round(consumed / elapsed, 0),
        latency: latencyPercentiles(new SampleBuffer(), 1),
        cpu: stopCpu(),
        backgroundBeforePercent,
        count: consumed,
        seconds: round(elapsed, 2),
      };
      await jsm.consumers.delete(stream, durable).catch(() => undefined);
      return { publish, consume };
    },
    async close() {
      await deleteStream(natsUrl, stream).catch(() => undefined);
      await closeNc();
    },
  };
}
