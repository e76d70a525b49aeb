// Process roles (`souk start --role`), with real processes on one PostgreSQL database: an api node serves
// HTTP and runs no relay, consumer, timer or drain (an order it takes stays in the outbox, unhandled,
// while no worker runs); a worker node relays and handles it, and over HTTP answers only /healthz, /readyz
// and /metrics. How the role and the older SOUK_EVENTS_WORKER setting combine is checked on loadConfig.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../src/kernel/config.ts';
import { roleArgument } from '../src/cli/start.ts';
import { createTempPostgres } from './harness.ts';
import { call, demoCheckout } from './http-shop.ts';
import { startSoukProcess, type SoukProcess } from './souk-process.ts';
import { waitFor } from './wait.ts';

const METRICS_TOKEN = 'roles-test-metrics';

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

it('the role decides where the worker parts run; under all, SOUK_EVENTS_WORKER still does', () => {
  const of = (env: Record<string, string | undefined>) => withEnv(env, () => loadConfig()).eventsWorker;
  assert.equal(of({ SOUK_ROLE: undefined, SOUK_EVENTS_WORKER: undefined }), true);
  assert.equal(of({ SOUK_ROLE: undefined, SOUK_EVENTS_WORKER: '0' }), false);
  assert.equal(of({ SOUK_ROLE: 'all', SOUK_EVENTS_WORKER: '0' }), false);
  assert.equal(of({ SOUK_ROLE: 'api', SOUK_EVENTS_WORKER: '1' }), false);
  assert.equal(of({ SOUK_ROLE: 'worker', SOUK_EVENTS_WORKER: '0' }), true);
  assert.equal(withEnv({ SOUK_ROLE: undefined }, () => loadConfig({ role: 'api' })).eventsWorker, false);
  assert.throws(() => withEnv({ SOUK_ROLE: 'gateway' }, () => loadConfig()), /SOUK_ROLE .* must be one of all, api, worker/);
  assert.equal(roleArgument(['--role', 'api']), 'api');
  assert.equal(roleArgument(['--role=worker', '--allow-private-webhooks']), 'worker');
  assert.equal(roleArgument([]), undefined);
  assert.throws(() => roleArgument(['--role']), /--role must be one of/);
  assert.throws(() => roleArgument(['--role', 'live']), /got "live"/);
});

const postgres = process.env.DATABASE_URL || process.env.SOUK_REQUIRE_SERVICES === '1' ? undefined : 'needs PostgreSQL (DATABASE_URL)';

describe('an api node and a worker node on one PostgreSQL database', { skip: postgres }, () => {
  let database: Awaited<ReturnType<typeof createTempPostgres>>;
  let pool: pg.Pool;
  let api: SoukProcess | undefined;
  let worker: SoukProcess | undefined;
  const env = () => ({ DATABASE_URL: database.url, SOUK_METRICS_TOKEN: METRICS_TOKEN, SOUK_EVENTS_POLL_MS: '20', SOUK_EVENTS_IDLE_MAX_MS: '200', SOUK_EVENTS_TRANSPORT: 'embedded' });
  const metrics = async (node: SoukProcess) => (await (await fetch(`${node.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text());
  /** Samples of souk_events_handler_duration_seconds_count: how many events this process's consumers handled. */
  const handled = (text: string) => text.split('\n').filter((l) => l.startsWith('souk_events_handler_duration_seconds_count')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  const orderEvent = async (orderId: string) => {
    const { rows } = await pool.query<{ id: string; in_outbox: boolean; handlers: number }>(
      `select e.id, e.in_outbox, (select count(*)::int from event_inbox i where i.event_id = e.id) as handlers
         from (select id, true as in_outbox from event_outbox where type = 'order.created' and payload->>'orderId' = $1
               union all select id, false from event_log where type = 'order.created' and payload->>'orderId' = $1) e`,
      [orderId],
    );
    return rows[0];
  };

  before(async () => {
    database = await createTempPostgres();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await pool?.end();
    await database?.drop();
  });

  it('the api node takes an order and handles nothing; the worker relays and handles it', async () => {
    api = await startSoukProcess(['--role', 'api'], env());
    assert.match(api.output(), /Souk api node is running/);
    const first = String((await demoCheckout(api.base, 'roles-first')).json.id);
    const pending = await waitFor('the order.created event in the outbox', () => orderEvent(first));
    // Long enough for a relay or consumer polling every 20 ms to have acted many times over.
    await sleep(1500);
    assert.deepEqual(await orderEvent(first), { ...pending, in_outbox: true, handlers: 0 }, 'no relay and no consumer on the api node');

    worker = await startSoukProcess(['--role', 'worker'], env());
    assert.match(worker.output(), /Souk worker is running/);
    const consumed = await waitFor('the worker to relay and handle the first order', async () => {
      const event = await orderEvent(first);
      return event && !event.in_outbox && event.handlers > 0 ? event : undefined;
    }, 30_000);
    assert.ok(consumed!.handlers > 0);

    // A second order while both run: the worker handles it too, the api node still runs no consumer.
    const second = String((await demoCheckout(api.base, 'roles-second')).json.id);
    await waitFor('the worker to handle the second order', async () => ((await orderEvent(second))?.handlers ?? 0) > 0, 30_000);
    assert.equal(handled(await metrics(api)), 0, 'the api node handled no event');
    assert.ok(handled(await metrics(worker)) > 0, 'the worker handled the events');
  });

  it('the worker answers probes and /metrics only', async () => {
    assert.ok(worker, 'started by the test before');
    assert.equal((await call(worker.base, 'GET', '/healthz')).status, 200);
    assert.equal((await call(worker.base, 'GET', '/readyz')).status, 200);
    assert.equal((await fetch(`${worker.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
    for (const path of ['/store/products', '/openapi.json', '/docs', '/console/', '/admin/platforms']) {
      assert.equal((await call(worker.base, 'GET', path)).status, 404, path);
    }
    assert.equal((await call(api!.base, 'GET', '/store/products')).status, 200);
  });

  it('stops both cleanly on SIGTERM', async () => {
    assert.equal((await api!.stop()).code, 0);
    assert.equal((await worker!.stop()).code, 0);
  });
});
