// The "done when" on the JetStream transport, through a whole Souk: an order-like event emitted
// by a real HTTP request's transaction is handled once, its causal chain and trace show in the admin API,
// it reaches a signed webhook, and a replay from a time applies nothing twice. (SIGKILL on JetStream is in
// test/crash.test.ts; a broker restart in src/modules/events/jetstream.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deleteStream } from './nats-stream.ts';
import { asBearer, createTestPlatform, engines, loginAsNewOwner, startTestSouk, TEST_METRICS_TOKEN, type StartedSouk, type TestEnv } from './harness.ts';
import { waitFor } from './wait.ts';
import { startReceiver } from './receiver.ts';
import { verifyWebhookSignature } from '../src/modules/webhooks/index.ts';

// The webhook receivers here listen on 127.0.0.1: opt in to private targets (off by default).
process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';

const natsUrl = process.env.NATS_URL;
if (!natsUrl && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('SOUK_REQUIRE_SERVICES=1 but NATS_URL is not set');

for (const engine of natsUrl ? engines() : []) {
  describe(`an order-like flow on JetStream, end to end [${engine}]`, () => {
    const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const stream = `SOUK_T_FLOW_${engine}_${run}`.toUpperCase();
    const env = { engine } as TestEnv;
    let started: StartedSouk;

    before(async () => {
      started = await startTestSouk(engine, {
        eventsTransport: 'jetstream',
        natsUrl,
        natsStream: stream,
        natsSubjectPrefix: `souk_t.flow.${engine}.${run}`,
        eventsPollMs: 10,
      });
      env.souk = started.souk;
      env.app = started.souk.app;
      env.ownerToken = await loginAsNewOwner(started.souk);
    });

    after(async () => {
      await started?.close();
      await deleteStream(natsUrl!, stream);
    });

    it('handles the event once, shows its chain and trace, signs the webhook, and replays safely', async () => {
      const { souk } = env;
      assert.equal(souk.events.transportKind, 'jetstream');
      await souk.database.script('create table flow_effects (event_id uuid primary key, order_ref text not null)');
      // catalog.product_created (from the HTTP request) → order.created → order.confirmed.
      souk.events.subscribe('flow-orders', ['catalog.product_created'], async (event, tx) => {
        await souk.events.emit(tx.platform(event.platformId!), 'order.created', { orderRef: `order-for-${(event.payload as { handle: string }).handle}` });
      });
      let fulfilCalls = 0;
      souk.events.subscribe('flow-fulfil', ['order.created'], async (event, tx) => {
        fulfilCalls += 1;
        await tx.db.execute('insert into flow_effects (event_id, order_ref) values ($1, $2)', [event.id, (event.payload as { orderRef: string }).orderRef]);
        await souk.events.emit(tx.platform(event.platformId!), 'order.confirmed', { orderRef: (event.payload as { orderRef: string }).orderRef });
      });

      const receiver = await startReceiver();
      try {
        const shop = await createTestPlatform(env, { slug: `flow-${engine}`, modules: ['catalog', 'webhooks'] });
        const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
        const endpoint = await admin({ method: 'POST', url: `/admin/platforms/flow-${engine}/webhooks/endpoints`, payload: { url: receiver.url, eventTypes: ['order.*'] } });
        assert.equal(endpoint.statusCode, 201, endpoint.body);
        const secret = endpoint.json().secret as string;

        const traceId = randomBytes(16).toString('hex');
        const replayFrom = new Date(Date.now() - 1000).toISOString();
        const created = await admin({
          method: 'POST',
          url: `/admin/platforms/flow-${engine}/products`,
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
          payload: { handle: 'flow-thing', title: 'Flow', variants: [{ sku: 'FLOW-1', prices: [{ currency: 'USD', amount: 100 }] }] },
        });
        assert.equal(created.statusCode, 201, created.body);

        // Handled once.
        await waitFor('the order to be fulfilled', async () => (await souk.database.query('select 1 from flow_effects')).length === 1, 30_000);
        // The chain, with one trace id from the HTTP request to the last handler's event.
        const [origin] = await souk.database.query<{ id: string }>(`select id from event_log where type = 'catalog.product_created' and payload->>'handle' = 'flow-thing'`);
        const chain = await waitFor('the whole chain', async () => {
          const res = await asBearer(env.app, env.ownerToken, { url: `/admin/events/${origin!.id}` });
          return res.statusCode === 200 && res.json().effects.length === 2 ? res.json() : undefined;
        }, 30_000);
        assert.equal(chain.event.traceId, traceId);
        assert.deepEqual(chain.effects.map((e: { event: { type: string } }) => e.event.type), ['order.created', 'order.confirmed']);
        assert.ok(chain.effects.every((e: { event: { traceId: string } }) => e.event.traceId === traceId));

        // Both order events reach the receiver, signed, carrying the trace.
        await waitFor('two signed webhook deliveries', () => receiver.received.length >= 2, 30_000);
        for (const request of receiver.received) {
          assert.equal(verifyWebhookSignature(secret, String(request.headers['x-souk-signature']), request.body), true);
          assert.match(String(request.headers.traceparent), new RegExp(`^00-${traceId}-`));
        }
        assert.deepEqual(receiver.received.map((r) => JSON.parse(r.body).type).sort(), ['order.confirmed', 'order.created']);

        // Replay from before the flow: JetStream re-delivers, the inbox keeps the effect single.
        const callsBefore = fulfilCalls;
        const replay = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/events/consumers/flow-fulfil/replay', payload: { since: replayFrom } });
        assert.equal(replay.statusCode, 202, replay.body);
        const duplicates = async () => {
          const text = (await env.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).body;
          return Number(/souk_events_duplicates_total\{consumer="flow-fulfil"\} (\d+)/.exec(text)?.[1] ?? 0);
        };
        await waitFor('the replayed event to be re-delivered and skipped', async () => (await duplicates()) >= 1, 30_000);
        assert.equal((await souk.database.query('select 1 from flow_effects')).length, 1);
        assert.equal(fulfilCalls, callsBefore, 'the inbox skipped the replayed event before the handler ran');
      } finally {
        await receiver.close();
      }
    });
  });
}
