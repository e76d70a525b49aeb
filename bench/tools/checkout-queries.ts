// Counts database round trips per step of the storefront checkout flow (create cart, 2 × add line,
// shipping method, checkout, start payment, sandbox webhook), on PostgreSQL (DATABASE_URL, a scratch
// database is created and dropped) or PGlite (no DATABASE_URL). On PostgreSQL every query pg's Client sends
// counts (each waits for its ReadyForQuery: one round trip; a `begin` that rides with the transaction's
// first statement is no round trip of its own); on PGlite every statement counts, and a transaction adds two
// (begin, commit). Prints the SQL of one checkout with --sql (--sql=webhook: that step). --cpu=<n> then runs
// n more flows one after another and prints the CPU per flow of this process (Souk, in-process requests,
// no HTTP) and, on PostgreSQL, of the scratch database's backends: figures that other work on a shared
// machine disturbs far less than a throughput bench's.
//   DATABASE_URL=postgres://root@127.0.0.1:5432/test node --import tsx bench/tools/checkout-queries.ts [--sql[=<step>]] [--cpu=<n>]
import { countedDatabase } from '../lib/counted-db.ts';
import { openPglite } from '../../src/kernel/db/pglite.ts';
import { openPostgres } from '../../src/kernel/db/postgres.ts';
import { databaseBackendsCpu } from '../lib/cpu.ts';
import { createSouk } from '../../src/server.ts';
import { paymentsModule, signedSandboxWebhook } from '../../src/modules/payments/index.ts';
import { createTempPostgres, createTestPlatform, loginAsNewOwner, testConfig, type TestEnv } from '../../test/harness.ts';
import { COMMERCE_MODULES } from '../../test/commerce.ts';
import { watchPgQueries } from '../../test/pg-round-trips.ts';

let count = 0;
/** --sql prints the statements of the checkout; --sql=<step> those of another step. */
const sqlArg = process.argv.find((a) => a === '--sql' || a.startsWith('--sql='));
const sqlStep = sqlArg ? (sqlArg.split('=')[1] ?? 'checkout') : undefined;
let log: string[] | undefined;
const cpuFlows = Number(process.argv.find((a) => a.startsWith('--cpu='))?.split('=')[1] ?? 0);
const onPostgres = Boolean(process.env.DATABASE_URL);
const note = (text: string, roundTrip = !onPostgres) => {
  if (!roundTrip) return;
  count += 1;
  log?.push(text.replace(/\s+/g, ' ').trim().slice(0, 160));
};

// Every Client.query is one round trip; pg.Pool's query goes through it too.
if (onPostgres) {
  watchPgQueries((text, config) => {
    // A Batched query carries `begin` in front and/or `commit` after the statement (pipelined-begin.ts).
    const batch = typeof config !== 'string' && config.constructor.name === 'Batched' ? (config as unknown as { around: { begin?: string; commit: boolean } }).around : undefined;
    note(batch ? `${batch.begin ? 'begin + ' : ''}${text}${batch.commit ? ' + commit' : ''}` : text, true);
  });
}

const temp = process.env.DATABASE_URL ? await createTempPostgres() : undefined;
const raw = temp ? await openPostgres(temp.url, 10) : await openPglite(undefined);
const database = countedDatabase(raw, note);
const souk = await createSouk({ database, logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp?.url, eventsWorker: false } });
try {
  const env: TestEnv = { engine: temp ? 'postgres' : 'pglite', souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
  const platform = await createTestPlatform(env, { slug: 'count', modules: COMMERCE_MODULES });
  const admin = { authorization: `Bearer ${platform.adminToken}` };
  const product = await souk.app.inject({
    method: 'POST',
    url: '/admin/platforms/count/products',
    headers: admin,
    payload: {
      handle: 'p',
      title: 'P',
      status: 'published',
      options: [{ name: 'size', values: ['a', 'b', 'c', 'd'] }],
      variants: ['a', 'b', 'c', 'd'].map((size) => ({ sku: `p-${size}`, options: { size }, prices: [{ currency: 'USD', amount: 1000 }] })),
    },
  });
  const variants = product.json<{ variants: { id: string }[] }>().variants.map((v) => v.id);
  for (const id of variants) {
    await souk.app.inject({ method: 'PUT', url: `/admin/platforms/count/inventory/levels/${id}`, headers: admin, payload: { onHand: 1000, reason: 'stock' } });
  }
  const store = platform.store;
  const rows: [string, number][] = [];
  const backendsCpu = temp ? databaseBackendsCpu(new URL(temp.url).pathname.slice(1)) : () => Number.NaN;
  let cpuStart = { souk: process.cpuUsage(), database: 0, at: 0 };
  for (let round = 0; round < 3 + cpuFlows; round++) {
    if (round === 3) cpuStart = { souk: process.cpuUsage(), database: backendsCpu(), at: performance.now() };
    const measureStep = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const before = count;
      if (round === 2 && name === sqlStep) log = [];
      const result = await fn();
      if (round === 2) rows.push([name, count - before]);
      if (log) {
        console.log(`SQL of one ${name}:\n  ${log.join('\n  ')}`);
        log = undefined;
      }
      return result;
    };
    const expect = <R extends { statusCode: number; body: string }>(res: R, status: number): R => {
      if (res.statusCode !== status) throw new Error(`${res.statusCode}: ${res.body}`);
      return res;
    };
    const cart = await measureStep('create cart', async () => expect(await souk.app.inject({ method: 'POST', url: '/store/carts', headers: store, payload: { email: 'a@b.c', shippingAddress: { firstName: 'Bench', line1: '1 Bench Road', city: 'Berlin', postalCode: '10115', country: 'DE' } } }), 201).json<{ id: string }>().id);
    for (const [i, variantId] of [variants[round % 4], variants[(round + 1) % 4]].entries()) {
      await measureStep(`add line ${i + 1}`, async () => expect(await souk.app.inject({ method: 'POST', url: `/store/carts/${cart}/lines`, headers: store, payload: { variantId, quantity: 1 } }), 200));
    }
    await measureStep('shipping method', async () => expect(await souk.app.inject({ method: 'PUT', url: `/store/carts/${cart}/shipping-method`, headers: store, payload: { methodId: 'standard' } }), 200));
    const order = await measureStep('checkout', async () =>
      expect(await souk.app.inject({ method: 'POST', url: `/store/carts/${cart}/checkout`, headers: { ...store, 'idempotency-key': `k${round}` }, payload: {} }), 201).json<{ id: string; accessToken: string }>(),
    );
    const payment = await measureStep('start payment', async () =>
      expect(await souk.app.inject({ method: 'POST', url: `/store/orders/${order.id}/payments`, headers: { ...store, 'x-order-token': order.accessToken }, payload: { provider: 'sandbox' } }), 201).json<{ paymentId: string }>(),
    );
    const webhook = await measureStep('sandbox approve + sign (provider side)', () => signedSandboxWebhook(souk.runtimeOf(paymentsModule), { platformId: platform.platform.id, paymentId: payment.paymentId }));
    await measureStep('webhook', async () => expect(await souk.app.inject({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: { ...webhook.headers, ...store }, payload: webhook.body }), 200));
  }
  console.log(`Database round trips per step (${env.engine}${onPostgres ? '; queries sent by pg' : '; a transaction counts begin and commit'}):`);
  for (const [name, n] of rows) console.log(`  ${name.padEnd(40)} ${n}`);
  console.log(`  ${'whole flow'.padEnd(40)} ${rows.reduce((a, [, n]) => a + n, 0)}`);
  if (cpuFlows > 0) {
    const souk = process.cpuUsage(cpuStart.souk);
    const perFlow = (ms: number) => (ms / cpuFlows).toFixed(2);
    console.log(
      `CPU per paid order over ${cpuFlows} flows in ${((performance.now() - cpuStart.at) / 1000).toFixed(1)} s: ` +
        `Souk ${perFlow((souk.user + souk.system) / 1000)} ms (user ${perFlow(souk.user / 1000)}, system ${perFlow(souk.system / 1000)}), ` +
        `PostgreSQL backends ${perFlow(backendsCpu() - cpuStart.database)} ms`,
    );
  }
} finally {
  await souk.close();
  await raw.close();
  await temp?.drop();
}
