// The smooth database move (issue 21), measured: the demo shop plus --orders paid orders (each with a
// line, a payment and a history row, inserted with SQL in batches), moved to an empty PostgreSQL
// database while a writer keeps adding orders (so there is a backlog to catch up), from each source:
//   postgres → postgres  the mover of `souk db move --mode smooth`, in process, on its own connections;
//   embedded → postgres  the move run by the server itself (POST /admin/db/move), the server's statements
//                        held during the freeze and then sent to PostgreSQL (the writer goes through them).
// Reported per source: rows copied and the copy's rows/s, changes caught up and their rate, the freeze
// (writes paused) with its verification part, and what the writer saw: its longest insert (the freeze as
// a client met it) and whether every insert it was told about is in the target.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSouk, type Souk } from '../../src/server.ts';
import { seedDemo } from '../../src/seed/demo.ts';
import { generateSecretKey } from '../../src/kernel/secret-key.ts';
import { openPostgres } from '../../src/kernel/db/postgres.ts';
import type { Database, Queryable } from '../../src/kernel/db/types.ts';
import { collectMigrations, migrate } from '../../src/kernel/migrations.ts';
import { ensureGatewaySchema } from '../../src/gateway/schema.ts';
import { moveSmooth, type SmoothReport } from '../../src/modules/migration/move/smooth.ts';
import type { MoveView } from '../../src/modules/migration/move/in-server.ts';
import { createAdminUser } from '../../src/modules/accounts/index.ts';
import { createScratchDatabase } from '../lib/postgres.ts';
import type { ScenarioContext, ScenarioFlag, ScenarioReport } from '../lib/scenario.ts';
import { round } from '../lib/stats.ts';
import type { Cell } from '../lib/table.ts';

export const moveFlags: Record<string, ScenarioFlag> = {
  orders: { description: 'orders added to the demo shop before the database move (each with a line, a payment and a history row)', default: '100000' },
  part: { description: 'import, move, or both', default: 'both' },
};

interface Shop {
  platformId: string;
  currency: string;
  variantId: string;
  productId: string;
  sku: string;
}

async function demoShop(db: Queryable): Promise<Shop> {
  const [row] = await db.query<{ platform_id: string; currency: string; variant_id: string; product_id: string; sku: string }>(
    `select p.id::text as platform_id, p.default_currency as currency, v.id::text as variant_id, v.product_id::text as product_id, v.sku
     from platforms p join catalog_variants v on v.platform_id = p.id where p.slug = 'souk-global' order by v.sku limit 1`,
  );
  if (!row) throw new Error('the demo shop has no variant');
  return { platformId: row.platform_id, currency: row.currency, variantId: row.variant_id, productId: row.product_id, sku: row.sku };
}

/** Orders numbered from..to (inclusive), paid, each with one line, one payment and one history row, in one statement. */
function insertOrders(db: Queryable, shop: Shop, from: number, to: number, tag: string): Promise<unknown> {
  return db.query(
    `with o as (
       insert into orders (platform_id, id, number, cart_id, email, access_token_hash, status, payment_status, currency, subtotal, discount_total,
                           shipping_total, tax_total, tax_included, total, paid_amount, shipping_method, shipping_address, payment_due_at, created_at, updated_at)
       select $1, gen_random_uuid(), $3 || '-' || lpad(g::text, 8, '0'), gen_random_uuid(), 'buyer' || g || '@bench.test', md5($3 || g::text), 'paid', 'paid', $2,
              2000, 0, 500, 178, false, 2678, 2678, '{"id":"standard","amount":500}', '{"city":"Testville","country":"DE","line1":"12 Test Street"}',
              now() + interval '30 minutes', now() - make_interval(secs => g), now()
       from generate_series($4::int, $5::int) g
       returning id, total
     ), l as (
       insert into order_lines (platform_id, order_id, position, id, variant_id, product_id, sku, title, product_title, quantity, unit_price, line_total)
       select $1, o.id, 0, gen_random_uuid(), $6, $7, $8, 'Default', 'Bench product', 2, 1000, 2000 from o
     ), p as (
       insert into payments (platform_id, id, order_id, provider, provider_ref, amount, currency, status, captured_amount)
       select $1, gen_random_uuid(), o.id, 'sandbox', 'bench-' || o.id, o.total, $2, 'succeeded', o.total from o
     )
     insert into order_history (platform_id, id, order_id, kind, from_status, to_status, actor)
     select $1, gen_random_uuid(), o.id, 'status', 'pending_payment', 'paid', 'system' from o`,
    [shop.platformId, shop.currency, tag, from, to, shop.variantId, shop.productId, shop.sku],
  );
}

async function addOrders(db: Queryable, shop: Shop, count: number, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  for (let from = 1; from <= count; from += 10_000) await insertOrders(db, shop, from, Math.min(count, from + 9_999), 'BENCH');
  const seconds = (performance.now() - started) / 1000;
  log(`added ${count.toLocaleString('en-US')} orders in ${seconds.toFixed(1)} s`);
  return seconds;
}

/** Inserts 5 orders every 20 ms until stopped; records each insert's time and how many were acknowledged. */
function startWriter(db: Queryable, shop: Shop): { stop(): Promise<{ acknowledged: number; longestMs: number; failed: number }> } {
  let stopped = false;
  let acknowledged = 0;
  let failed = 0;
  let longestMs = 0;
  let next = 1;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const from = next;
      next += 5;
      try {
        await insertOrders(db, shop, from, from + 4, 'LIVE');
        acknowledged += 5;
      } catch {
        failed += 1;
      }
      longestMs = Math.max(longestMs, performance.now() - started);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { acknowledged, longestMs, failed };
    },
  };
}

interface MoveResult {
  source: string;
  orders: number;
  report: Pick<SmoothReport, 'copiedRows' | 'copySeconds' | 'caughtUp' | 'freeze' | 'ok'>;
  writer: { acknowledged: number; longestMs: number; failed: number; inTarget: number };
  wallSeconds: number;
}

async function liveOrdersIn(url: string): Promise<number> {
  const db = await openPostgres(url, 1);
  try {
    const [row] = await db.query<{ n: number }>(`select count(*)::int as n from orders where number like 'LIVE-%'`);
    return row?.n ?? 0;
  } finally {
    await db.close();
  }
}

async function seededSouk(config: Record<string, unknown>): Promise<Souk> {
  const souk = await createSouk({ logger: false, config: { seedDemo: false, platformRefreshMs: 0, eventsWorker: false, redisUrl: undefined, eventsTransport: 'embedded', ...config } });
  await seedDemo(souk);
  return souk;
}

async function postgresToPostgres(context: ScenarioContext, orders: number): Promise<MoveResult | string> {
  const { options, log } = context;
  const source = await createScratchDatabase(options.pgAdminUrl, context.cleanup);
  const target = await createScratchDatabase(options.pgAdminUrl, context.cleanup);
  if (!source.ok || !target.ok) return `PostgreSQL skipped: ${!source.ok ? source.reason : !target.ok ? target.reason : ''}`;
  const souk = await seededSouk({ databaseUrl: source.database.url, secretKey: generateSecretKey() });
  try {
    const shop = await demoShop(souk.database);
    await addOrders(souk.database, shop, orders, log);
    await source.database.analyze();
    const mover = await openPostgres(source.database.url, 4);
    const to = await openPostgres(target.database.url, 4);
    const writer = startWriter(souk.database, shop);
    const started = performance.now();
    try {
      await sleep(1000);
      const migrations = collectMigrations(souk.modules);
      const report = await moveSmooth({
        source: mover,
        target: to,
        shownTargetUrl: target.database.url,
        migrate: async (db: Database) => {
          await migrate(db, migrations);
          await ensureGatewaySchema(db);
        },
        log: (line) => log(`postgres → postgres: ${line}`),
      });
      const wallSeconds = (performance.now() - started) / 1000;
      const seen = await writer.stop();
      // After the switch the source refuses the writer's inserts: those are the failed ones.
      return { source: 'postgres → postgres', orders, report, writer: { ...seen, inTarget: await liveOrdersIn(target.database.url) }, wallSeconds };
    } finally {
      await writer.stop();
      await mover.close();
      await to.close();
    }
  } finally {
    await souk.close();
  }
}

async function embeddedToPostgres(context: ScenarioContext, orders: number, dir: string): Promise<MoveResult | string> {
  const { options, log } = context;
  const target = await createScratchDatabase(options.pgAdminUrl, context.cleanup);
  if (!target.ok) return `embedded → PostgreSQL skipped: ${target.reason}`;
  const souk = await seededSouk({ dataDir: join(dir, 'pglite-move'), databaseUrl: undefined });
  try {
    const shop = await demoShop(souk.database);
    await addOrders(souk.database, shop, orders, log);
    await createAdminUser(souk.ctx.db, souk.ctx.platforms, { email: 'mover@bench.test', password: 'bench-password-1', role: 'owner' });
    const login = await souk.app.inject({ method: 'POST', url: '/admin/auth/login', payload: { email: 'mover@bench.test', password: 'bench-password-1' } });
    const headers = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    // The writer uses the server's own database handle, as its routes do: held at the freeze, then on PostgreSQL.
    const writer = startWriter(souk.database, shop);
    const started = performance.now();
    try {
      await sleep(1000);
      const posted = await souk.app.inject({ method: 'POST', url: '/admin/db/move', headers, payload: { to: target.database.url, mode: 'smooth' } });
      if (posted.statusCode !== 202) throw new Error(`POST /admin/db/move answered ${posted.statusCode}: ${posted.body}`);
      let view = posted.json<MoveView>();
      while (view.status === 'running') {
        await sleep(250);
        view = (await souk.app.inject({ method: 'GET', url: '/admin/db/move', headers })).json<MoveView>();
      }
      const wallSeconds = (performance.now() - started) / 1000;
      for (const line of view.log.slice(-4)) log(`embedded → postgres: ${line}`);
      await sleep(500); // a few inserts on PostgreSQL after the switch
      const seen = await writer.stop();
      if (!view.report) throw new Error(`the move ended ${view.status}: ${view.error}`);
      return { source: 'embedded → postgres (in the server)', orders, report: view.report, writer: { ...seen, inTarget: await liveOrdersIn(target.database.url) }, wallSeconds };
    } finally {
      await writer.stop();
    }
  } finally {
    await souk.close();
  }
}

export async function moveBenchmark(context: ScenarioContext): Promise<ScenarioReport> {
  const orders = Number(context.flags.orders);
  if (!Number.isInteger(orders) || orders < 0) throw new Error(`--orders must be a whole number, got ${context.flags.orders}`);
  const dir = mkdtempSync(join(tmpdir(), 'souk-bench-move-'));
  context.cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const notes: string[] = [];
  const results: MoveResult[] = [];
  for (const run of [() => postgresToPostgres(context, orders), () => embeddedToPostgres(context, orders, dir)]) {
    const outcome = await run();
    if (typeof outcome === 'string') notes.push(outcome);
    else {
      results.push(outcome);
      const r = outcome.report;
      context.log(`${outcome.source}: copied ${r.copiedRows} rows in ${r.copySeconds.toFixed(1)} s, caught up ${r.caughtUp.entries} changes in ${r.caughtUp.seconds.toFixed(2)} s, freeze ${r.freeze.seconds.toFixed(2)} s`);
    }
  }
  notes.push('The writer adds 5 orders (with lines, payments, history) every 20 ms during the move; "writer ok" means every insert it was told about is in the target. On PostgreSQL → PostgreSQL its inserts after the switch are refused by the old database (restart on the new one); the embedded server carries on against PostgreSQL.');
  const rows: Cell[][] = results.map((r) => [
    r.source,
    r.report.copiedRows,
    round(r.report.copySeconds, 1),
    Math.round(r.report.copiedRows / Math.max(r.report.copySeconds, 1e-3)),
    r.report.caughtUp.entries,
    r.report.caughtUp.seconds > 0 ? Math.round(r.report.caughtUp.entries / r.report.caughtUp.seconds) : '—',
    round(r.report.freeze.seconds, 2),
    round(r.report.freeze.verifySeconds, 2),
    r.report.freeze.entries,
    Math.round(r.writer.longestMs),
    `${r.writer.acknowledged}/${r.writer.inTarget}${r.writer.acknowledged === r.writer.inTarget ? ' ok' : ' MISMATCH'}`,
    round(r.wallSeconds, 1),
  ]);
  return {
    tables: [
      {
        title: `Smooth database move of the demo shop plus ${orders.toLocaleString('en-US')} orders, a writer adding orders meanwhile`,
        columns: ['source → target', 'rows copied', 'copy s', 'copy rows/s', 'changes caught up', 'catch-up changes/s', 'freeze s', 'of which verify s', 'changes in freeze', "writer's longest insert ms", 'writer acked/in target', 'move wall s'],
        rows,
      },
    ],
    notes,
    data: { orders, results },
  };
}
