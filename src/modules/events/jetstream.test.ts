// The JetStream transport against a real nats-server (NATS_URL), on each database engine: exactly-once
// effects, rollbacks, retries (unordered and ordered), dead letters, replay, and 10,000 events across a
// NATS server restart. Every suite uses its own stream and subject prefix and deletes the stream after.
//
// The restart suite starts a private nats-server (same binary, a free port, a temporary store) and restarts
// that one, so suites of other files that share NATS_URL never see their server go away.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { engines, startTestSouk, type Engine, type StartedSouk } from '../../../test/harness.ts';
import { findBinary, PrivateServer } from '../../../test/private-server.ts';
import type { Souk } from '../../server.ts';
import { EventBus } from './bus.ts';
import type { DeliveryDeps } from './consumer-loop.ts';
import { createEventMetrics, type EventMetrics } from './metrics.ts';
import { openJetStreamTransport, type JetStreamOptions } from './jetstream.ts';
import { decodeEvents, durableName, encodeEvents, eventJson, packEvents } from './jetstream-wire.ts';
import { loadConfig } from '../../kernel/config.ts';
import type { Transport } from './transport.ts';
import type { DeliveredEvent, EventHandler, SubscribeOptions } from './types.ts';

const natsUrl = process.env.NATS_URL;
if (!natsUrl && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but NATS_URL is not set: the JetStream suites cannot run.');
}
const skip = natsUrl ? false : 'NATS_URL is not set';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function uniqueNames(engine: Engine, tag: string) {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return { stream: `SOUK_T_${tag}_${engine}_${run}`.toUpperCase(), subjectPrefix: `souk_t.${tag}.${engine}.${run}` };
}

async function deleteStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** A Souk (database, migrations) whose own bus stays idle, plus a bus on a JetStream transport of our own. */
interface Rig {
  souk: Souk;
  bus: EventBus;
  transport: Transport;
  metrics: EventMetrics;
  errors: { error: unknown; context: Record<string, unknown> }[];
  emit(type: string, payload: unknown): Promise<string>;
  effects(consumer: string): Promise<number>;
  count(sql: string, params: unknown[]): Promise<number>;
  close(): Promise<void>;
}

async function startRig(engine: Engine, url: string, names: JetStreamOptions & { stream: string }): Promise<Rig> {
  // eventsWorker false: the server's embedded transport must not drain the outbox our relay reads.
  const started: StartedSouk = await startTestSouk(engine, { eventsWorker: false, natsUrl: url, eventsPollMs: 20, eventsBatchSize: 500 });
  const { souk } = started;
  try {
    await souk.database.execute('create table jst_effects (consumer text not null, event_id uuid not null, primary key (consumer, event_id))');
    const metrics = createEventMetrics(new Registry());
    const errors: Rig['errors'] = [];
    const deps: DeliveryDeps = {
      db: souk.ctx.db,
      transaction: souk.ctx.transaction,
      metrics,
      onError: (error, context) => errors.push({ error, context }),
    };
    // Packing on (as an installation whose nodes all read format 2): the packed tests below need it.
    const config = { ...souk.config, natsUrl: url, natsEventsPerMessage: 100 };
    const transport = await openJetStreamTransport(deps, config, names);
    const bus = new EventBus({ config, db: souk.ctx.db, transaction: souk.ctx.transaction, metrics, log: souk.ctx.log });
    await bus.start(transport, true);
    const count = async (sql: string, params: unknown[]) => {
      const [row] = await souk.database.query<{ n: number }>(sql, params);
      return Number(row?.n ?? 0);
    };
    let closed = false;
    return {
      souk,
      bus,
      transport,
      metrics,
      errors,
      emit: (type, payload) => souk.ctx.transaction((tx) => bus.emit(tx.db, type, payload)),
      effects: (consumer) => count('select count(*)::int as n from jst_effects where consumer = $1', [consumer]),
      count,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await bus.stop();
          await deleteStream(url, names.stream);
        } finally {
          await started.close();
        }
      },
    };
  } catch (error) {
    await started.close();
    throw error;
  }
}

/** A handler that records its calls and writes one row per event (the primary key refuses a second). */
function recorder(consumer: string, fail: (event: DeliveredEvent, calls: DeliveredEvent[]) => boolean = () => false) {
  const calls: DeliveredEvent[] = [];
  const handler: EventHandler = async (event, tx) => {
    calls.push(event);
    if (fail(event, calls)) throw new Error(`handler of ${consumer} refused ${event.id} (attempt ${event.attempt})`);
    await tx.db.execute('insert into jst_effects (consumer, event_id) values ($1, $2)', [consumer, event.id]);
  };
  return { calls, handler };
}

const quickRetries: SubscribeOptions = { maxAttempts: 5, backoff: { initialMs: 20, maxMs: 100 } };

async function lagObservations(metrics: EventMetrics, consumer: string): Promise<number> {
  const { values } = await metrics.deliveryLagSeconds.get();
  return values.find((v) => v.metricName === 'souk_events_delivery_lag_seconds_count' && v.labels.consumer === consumer)?.value ?? 0;
}

// Without NATS_URL the suites are declared once, skipped, so the report says why.
// Nodes older than format 2 read only format 1 (a bare event) and drop anything else: a mixed-version
// installation must not be sent packed messages unless it is told all its nodes read them.
describe('JetStream wire format across versions', () => {
  const row = (n: number) => ({ id: randomUUID(), platform_id: null, type: 'wire.item', key: null, payload: { n }, traceparent: null, caused_by: null, emitted_at: new Date() });

  it('packs nothing by default: SOUK_NATS_EVENTS_PER_MESSAGE is 1 unless set, at most 100', () => {
    const saved = process.env.SOUK_NATS_EVENTS_PER_MESSAGE;
    try {
      delete process.env.SOUK_NATS_EVENTS_PER_MESSAGE;
      assert.equal(loadConfig().natsEventsPerMessage, 1);
      process.env.SOUK_NATS_EVENTS_PER_MESSAGE = '500';
      assert.equal(loadConfig().natsEventsPerMessage, 100);
    } finally {
      if (saved === undefined) delete process.env.SOUK_NATS_EVENTS_PER_MESSAGE;
      else process.env.SOUK_NATS_EVENTS_PER_MESSAGE = saved;
    }
  });

  it('a message of one event is format 1, the event itself; only several events make format 2', () => {
    const rows = [1, 2, 3].map(row);
    const single = packEvents(rows, { maxEvents: 1, maxBytes: 1 << 20 });
    assert.equal(single.length, 3);
    for (const [i, message] of single.entries()) {
      const body = JSON.parse(encodeEvents(message.rows, message.json).body) as Record<string, unknown>;
      assert.equal('v' in body, false);
      assert.deepEqual({ id: body.id, type: body.type, payload: body.payload }, { id: rows[i]!.id, type: 'wire.item', payload: { n: i + 1 } });
    }
    const [packed] = packEvents(rows, { maxEvents: 100, maxBytes: 1 << 20 });
    const body = JSON.parse(encodeEvents(packed!.rows, packed!.json).body) as { v: number; events: { id: string }[] };
    assert.equal(body.v, 2);
    assert.deepEqual(body.events.map((e) => e.id), rows.map((r) => r.id));
    assert.equal(eventJson(rows[0]!), single[0]!.json[0]);
  });
});

for (const engine of natsUrl ? engines() : (['pglite'] as Engine[])) {
  describe(`JetStream transport [${engine}]`, { skip }, () => {
    const url = natsUrl!;
    let rig: Rig;
    const names = uniqueNames(engine, 'main');
    before(async () => {
      rig = await startRig(engine, url, names);
    });
    after(async () => {
      await rig?.close();
    });

    it('handles an event emitted in a committed transaction exactly once', async () => {
      const { calls, handler } = recorder('jst.once');
      rig.bus.subscribe('jst.once', ['once.created'], handler);
      const id = await rig.emit('once.created', { n: 1 });
      await waitFor('the event to be handled', async () => (await rig.effects('jst.once')) === 1);
      await waitFor('the consumer to catch up', async () => (await rig.transport.lag('jst.once')) === 0);
      await sleep(300);
      assert.equal(calls.length, 1);
      const [event] = calls;
      assert.equal(event?.id, id);
      assert.equal(event?.type, 'once.created');
      assert.deepEqual(event?.payload, { n: 1 });
      assert.equal(event?.attempt, 1);
      assert.ok((event?.offset ?? 0) > 0, 'offset is the stream sequence');
      assert.equal(await rig.effects('jst.once'), 1);
      assert.equal(await rig.count('select count(*)::int as n from event_outbox', []), 0);
    });

    it('emits nothing from a rolled-back transaction', async () => {
      const { calls, handler } = recorder('jst.rollback');
      rig.bus.subscribe('jst.rollback', ['rollback.*'], handler);
      await assert.rejects(
        rig.souk.ctx.transaction(async (tx) => {
          await rig.bus.emit(tx.db, 'rollback.lost', {});
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      const kept = await rig.emit('rollback.kept', {});
      await waitFor('the committed event', () => calls.length === 1);
      await sleep(300);
      assert.deepEqual(calls.map((c) => [c.id, c.type]), [[kept, 'rollback.kept']]);
    });

    it('retries an unordered handler that fails twice, then succeeds', async () => {
      const { calls, handler } = recorder('jst.flaky', (_event, all) => all.length <= 2);
      rig.bus.subscribe('jst.flaky', ['flaky.unordered'], handler, quickRetries);
      await rig.emit('flaky.unordered', {});
      await waitFor('the third attempt to succeed', async () => (await rig.effects('jst.flaky')) === 1);
      assert.deepEqual(calls.map((c) => c.attempt), [1, 2, 3]);
      assert.equal(await rig.count('select count(*)::int as n from event_retries where consumer = $1', ['jst.flaky']), 0);
      assert.equal(await rig.count('select count(*)::int as n from event_dead_letters where consumer = $1', ['jst.flaky']), 0);
      assert.ok(rig.errors.some((e) => e.context.consumer === 'jst.flaky'), 'failures reach onError');
    });

    it('holds back an ordered consumer while its handler fails, then continues in order', async () => {
      let failures = 0;
      const { calls, handler } = recorder('jst.ordered', (event) => {
        if ((event.payload as { n: number }).n === 1 && failures < 2) {
          failures += 1;
          return true;
        }
        return false;
      });
      rig.bus.subscribe('jst.ordered', ['ordered.step'], handler, { ...quickRetries, ordered: true });
      for (const n of [1, 2, 3]) await rig.emit('ordered.step', { n });
      await waitFor('all three steps', async () => (await rig.effects('jst.ordered')) === 3);
      assert.deepEqual(
        calls.map((c) => [(c.payload as { n: number }).n, c.attempt]),
        [[1, 1], [1, 2], [1, 3], [2, 1], [3, 1]],
      );
      const offsets = calls.map((c) => c.offset);
      assert.deepEqual([...offsets].sort((a, b) => a - b), offsets, 'stream order');
      await waitFor('the consumer to catch up', async () => (await rig.transport.lag('jst.ordered')) === 0);
    });

    it('dead-letters an event whose handler always fails, ordered or not', async () => {
      const failing = (event: DeliveredEvent) => (event.payload as { fail: boolean }).fail;
      const unordered = recorder('jst.doomed', failing);
      const ordered = recorder('jst.doomed-ordered', failing);
      const options = { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 50 } };
      rig.bus.subscribe('jst.doomed', ['doomed.x'], unordered.handler, options);
      rig.bus.subscribe('jst.doomed-ordered', ['doomed.x'], ordered.handler, { ...options, ordered: true });
      const dead = await rig.emit('doomed.x', { fail: true });
      const fine = await rig.emit('doomed.x', { fail: false });
      const deadLetters = (consumer: string) =>
        rig.souk.database.query<{ event_id: string; attempts: number; last_error: string; event: DeliveredEvent }>(
          'select event_id, attempts, last_error, event from event_dead_letters where consumer = $1',
          [consumer],
        );
      for (const consumer of ['jst.doomed', 'jst.doomed-ordered']) {
        await waitFor(`a dead letter of ${consumer}`, async () => (await deadLetters(consumer)).length === 1);
        await waitFor(`${consumer} to handle the next event`, async () => (await rig.effects(consumer)) === 1);
        const [letter] = await deadLetters(consumer);
        assert.equal(letter?.event_id, dead);
        assert.equal(letter?.attempts, 3);
        assert.match(letter?.last_error ?? '', /refused/);
        assert.equal(letter?.event.type, 'doomed.x');
        assert.equal(await rig.count('select count(*)::int as n from event_retries where consumer = $1', [consumer]), 0);
      }
      assert.deepEqual(ordered.calls.filter((c) => c.id === dead).map((c) => c.attempt), [1, 2, 3]);
      assert.equal(ordered.calls.at(-1)?.id, fine, 'the ordered consumer went on after the dead letter');
      await waitFor('the ordered consumer to catch up', async () => (await rig.transport.lag('jst.doomed-ordered')) === 0);
    });

    it('replays from an offset or a time; the inbox keeps each effect once', async () => {
      const { calls, handler } = recorder('jst.replay');
      rig.bus.subscribe('jst.replay', ['replay.item'], handler);
      await rig.emit('replay.item', { n: 1 });
      await waitFor('the first event', () => calls.length === 1);
      await sleep(20);
      const between = new Date();
      await sleep(20);
      await rig.emit('replay.item', { n: 2 });
      await rig.emit('replay.item', { n: 3 });
      await waitFor('three events', async () => (await rig.effects('jst.replay')) === 3);
      await waitFor('the consumer to catch up', async () => (await rig.transport.lag('jst.replay')) === 0);
      const offsets = calls.map((c) => c.offset);
      const sub = rig.bus.subscription('jst.replay')!;

      const seen = await lagObservations(rig.metrics, 'jst.replay');
      const fromOffset = await rig.transport.replay(sub, { offset: offsets[0]! });
      assert.deepEqual(fromOffset, { fromOffset: offsets[0] });
      await waitFor('the three events delivered again', async () => (await lagObservations(rig.metrics, 'jst.replay')) === seen + 3);
      await waitFor('the consumer to catch up again', async () => (await rig.transport.lag('jst.replay')) === 0);

      const since = await rig.transport.replay(sub, { since: between });
      assert.deepEqual(since, { fromOffset: offsets[1] });
      await waitFor('two events delivered again', async () => (await lagObservations(rig.metrics, 'jst.replay')) === seen + 5);
      await waitFor('the consumer to catch up once more', async () => (await rig.transport.lag('jst.replay')) === 0);

      assert.equal(calls.length, 3, 'the handler never saw a replayed event twice');
      assert.equal(await rig.effects('jst.replay'), 3);
      const future = await rig.transport.replay(sub, { since: new Date(Date.now() + 60_000) });
      assert.ok(future.fromOffset > offsets[2]!, 'a time after the last event starts after it');
      assert.equal(await rig.transport.lag('jst.nobody'), 0);
    });

    /** Emits `payloads` in one transaction, so one relay batch (and one stream message) carries them. */
    const emitTogether = (type: string, payloads: unknown[]) =>
      rig.souk.ctx.transaction(async (tx) => {
        const ids: string[] = [];
        for (const payload of payloads) ids.push(await rig.bus.emit(tx.db, type, payload));
        return ids;
      });
    const messagesOn = async (type: string) => {
      const nc = await connect({ servers: url, timeout: 3000 });
      try {
        const subject = `${names.subjectPrefix}.${type}`;
        const info = await (await jetstreamManager(nc)).streams.info(names.stream, { subjects_filter: subject });
        return info.state.subjects?.[subject] ?? 0;
      } finally {
        await nc.close();
      }
    };

    it('carries a batch in one message; a poison event in it is retried alone and its batch-mates take effect once', async () => {
      const poison = (event: DeliveredEvent) => (event.payload as { n: number }).n === 2;
      const { calls, handler } = recorder('jst.packed', poison);
      rig.bus.subscribe('jst.packed', ['packed.item'], handler, { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 50 } });
      const ids = await emitTogether('packed.item', [1, 2, 3, 4, 5].map((n) => ({ n })));
      await waitFor('the dead letter', async () => (await rig.count('select count(*)::int as n from event_dead_letters where consumer = $1', ['jst.packed'])) === 1);
      await waitFor('the other four effects', async () => (await rig.effects('jst.packed')) === 4);
      await waitFor('the consumer to catch up', async () => (await rig.transport.lag('jst.packed')) === 0);
      await sleep(200);
      assert.equal(await messagesOn('packed.item'), 1, 'five events, one stream message');
      assert.equal(await rig.count('select count(*)::int as n from event_inbox where consumer = $1', ['jst.packed']), 4);
      assert.equal(await rig.count('select count(*)::int as n from event_retries where consumer = $1', ['jst.packed']), 0);
      const [letter] = await rig.souk.database.query<{ event_id: string; attempts: number }>('select event_id, attempts from event_dead_letters where consumer = $1', ['jst.packed']);
      assert.deepEqual([letter?.event_id, letter?.attempts], [ids[1], 3]);
      // Each batch-mate ran at most twice (in the batch that rolled back, then alone) and committed once.
      for (const id of [ids[0], ids[2], ids[3], ids[4]]) assert.ok(calls.filter((c) => c.id === id).length <= 2, `calls of ${id}`);
      assert.deepEqual(new Set(calls.map((c) => c.offset)).size, 1, 'one stream sequence for the five');
    });

    it('holds an ordered consumer at a poison event inside a message, then goes on in order with fresh attempts', async () => {
      const poison = (event: DeliveredEvent) => (event.payload as { n: number }).n === 2;
      const { calls, handler } = recorder('jst.packed-ordered', poison);
      rig.bus.subscribe('jst.packed-ordered', ['packed.step'], handler, { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 50 }, ordered: true });
      await emitTogether('packed.step', [1, 2, 3, 4].map((n) => ({ n })));
      await waitFor('the last step', async () => (await rig.effects('jst.packed-ordered')) === 3);
      await waitFor('the consumer to catch up', async () => (await rig.transport.lag('jst.packed-ordered')) === 0);
      await sleep(200);
      assert.equal(await messagesOn('packed.step'), 1);
      assert.deepEqual(
        calls.map((c) => [(c.payload as { n: number }).n, c.attempt]),
        [[1, 1], [2, 1], [2, 2], [2, 3], [3, 1], [4, 1]],
      );
      assert.equal(await rig.count('select count(*)::int as n from event_dead_letters where consumer = $1', ['jst.packed-ordered']), 1);
    });

    it('still reads a message in the first format (one event as the body)', async () => {
      const { calls, handler } = recorder('jst.legacy');
      rig.bus.subscribe('jst.legacy', ['legacy.item'], handler);
      const id = randomUUID();
      const nc = await connect({ servers: url, timeout: 3000 });
      try {
        const body = { id, type: 'legacy.item', platformId: null, key: 'k1', payload: { old: true }, emittedAt: new Date().toISOString(), traceparent: null, causedBy: null };
        await jetstream(nc).publish(`${names.subjectPrefix}.legacy.item`, JSON.stringify(body), { msgID: id });
      } finally {
        await nc.close();
      }
      await waitFor('the old message handled', async () => (await rig.effects('jst.legacy')) === 1);
      assert.deepEqual([calls[0]?.id, calls[0]?.key, calls[0]?.payload, calls[0]?.attempt], [id, 'k1', { old: true }, 1]);
    });

    it('refuses a replay offset beyond the stream head and reports a durable parked beyond it with a negative lag', async () => {
      const { calls, handler } = recorder('jst.far');
      rig.bus.subscribe('jst.far', ['far.item'], handler);
      await rig.emit('far.item', { n: 1 });
      await waitFor('the first event', () => calls.length === 1);
      const sub = rig.bus.subscription('jst.far')!;
      const nc = await connect({ servers: url, timeout: 3000 });
      try {
        const jsm = await jetstreamManager(nc);
        const head = (await jsm.streams.info(names.stream)).state.last_seq;
        await assert.rejects(rig.transport.replay(sub, { offset: head + 1000 }), (error: { status?: number; code?: string }) => error.status === 422 && error.code === 'offset_beyond_head');
        // head + 1 is "from the next event".
        assert.deepEqual(await rig.transport.replay(sub, { offset: head + 1 }), { fromOffset: head + 1 });
        await rig.emit('far.item', { n: 2 });
        await waitFor('the event after the replay', () => calls.length === 2);
        // A durable left beyond the head (as a replay could before) is not shown as caught up.
        const top = (await jsm.streams.info(names.stream)).state.last_seq;
        await jsm.consumers.add(names.stream, { durable_name: durableName('jst.parked'), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: top + 1000 });
        const lag = await rig.transport.lag('jst.parked');
        assert.ok(lag < 0 && lag >= -1000, `lag ${lag}`);
      } finally {
        await nc.close();
      }
    });
  });

  describe(`JetStream transport across a NATS server restart [${engine}]`, { skip }, () => {
    const binary = findBinary('nats-server');
    let server: PrivateServer | undefined;
    let rig: Rig | undefined;
    after(async () => {
      try {
        await rig?.close();
      } finally {
        await server?.destroy();
      }
    });

    it('handles 10,000 events exactly once while the server restarts', { timeout: 120_000 }, async (t) => {
      if (!binary) {
        if (process.env.SOUK_REQUIRE_SERVICES === '1') assert.fail('nats-server is not installed: cannot run the restart test');
        t.skip('nats-server binary not found');
        return;
      }
      const nats = await privateNats(binary);
      server = nats.server;
      const names = uniqueNames(engine, 'restart');
      // Messages in flight when the server stops come back after ack_wait: 5 s rather than 30 keeps the test short.
      const r = await startRig(engine, nats.url, { ...names, ackWaitMs: 5000 });
      rig = r;
      const { handler } = recorder('jst.bulk');
      r.bus.subscribe('jst.bulk', ['bulk.item'], handler);

      const total = 10_000;
      const perTransaction = 100;
      const started = performance.now();
      const emitting = (async () => {
        for (let i = 0; i < total; i += perTransaction) {
          await r.souk.ctx.transaction(async (tx) => {
            for (let j = i; j < i + perTransaction; j++) await r.bus.emit(tx.db, 'bulk.item', { n: j });
          });
        }
      })();

      await waitFor('a third of the events', async () => (await r.effects('jst.bulk')) >= total / 3, 60_000);
      const handledBeforeRestart = await r.effects('jst.bulk');
      await server.restart();
      await emitting;
      await waitFor('every event', async () => (await r.effects('jst.bulk')) >= total, 90_000);
      const seconds = (performance.now() - started) / 1000;
      t.diagnostic(`${engine}: ${total} events emitted→handled in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s) including a NATS restart after ${handledBeforeRestart}`);

      // Every event can be handled before the client has even seen the restart; lag() answers only once it
      // has reconnected.
      await waitFor('the consumer to catch up', async () => (await r.transport.lag('jst.bulk').catch(() => Number.NaN)) === 0, 30_000);
      assert.equal(await r.effects('jst.bulk'), total);
      assert.equal(await r.count('select count(*)::int as n from event_log', []), total);
      assert.equal(await r.count('select count(*)::int as n from event_inbox where consumer = $1', ['jst.bulk']), total);
      assert.equal(await r.count('select count(*)::int as n from event_retries where consumer = $1', ['jst.bulk']), 0);
      assert.equal(await r.count('select count(*)::int as n from event_dead_letters where consumer = $1', ['jst.bulk']), 0);
      // Re-sent batches (the relay retried while the server was away) were packed as before and dropped by
      // Nats-Msg-Id: the stream holds each event once, in far fewer messages than events.
      const nc = await connect({ servers: nats.url });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(names.stream);
        const reader = await jetstream(nc).consumers.get(names.stream);
        const ids: string[] = [];
        for (let read = 0; read < info.state.messages; ) {
          const messages = await reader.fetch({ max_messages: 500, expires: 2000 });
          for await (const msg of messages) {
            read += 1;
            for (const event of decodeEvents(msg)) ids.push(event.id);
          }
        }
        assert.equal(new Set(ids).size, total);
        assert.equal(ids.length, total);
        t.diagnostic(`${engine}: ${total} events in ${info.state.messages} stream messages`);
      } finally {
        await nc.close();
      }
    });
  });
}

/** A nats-server with JetStream that this test starts, restarts and stops (by its own process handle). */
async function privateNats(binary: string): Promise<{ server: PrivateServer; url: string }> {
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'souk-nats-'));
  const server = await PrivateServer.start(binary, (port) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], () => rmSync(storeDir, { recursive: true, force: true }));
  return { server, url: `nats://127.0.0.1:${server.port}` };
}
