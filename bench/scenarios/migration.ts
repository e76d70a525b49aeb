// Migration (issue 21, phase 1): import rows per second of a generated Shopify product CSV (default
// 100,000 rows: 25,000 products of 4 variants, every third with a Chinese title, stock on every variant),
// read from a file as `souk import` reads it, into an empty platform, on embedded PGlite (a data
// directory on disk) and on PostgreSQL. Per engine, three runs of the same file:
//   1. first import: every product, variant, price and stock level created;
//   2. the same file again: every row compared and found unchanged (the idempotent re-run);
//   3. a dry run of it on a second, empty platform: everything counted, then rolled back.
// Reported: rows/s, seconds, CPU per 1,000 rows of this process (importer, and PGlite when embedded) and of
// the PostgreSQL backends of its scratch database (the figures to compare on a busy machine), the counts
// (to show the run did what it says) and the process's peak
// resident memory while importing, which stays flat whatever the file's size (it is streamed).
// In process, no HTTP: the figure is the importer's, so there is no bare-Fastify ratio (like risk).
// The events worker is off, so the relay does not compete with the import for the CPU; events stay in
// the outbox (one per product created and per stock change), as written by a real import.
import { createWriteStream, createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { createSouk, type Souk } from '../../src/server.ts';
import { applyPlatform } from '../../src/modules/platforms/service.ts';
import { generateSecretKey } from '../../src/kernel/secret-key.ts';
import { runImport, type ImportSummary } from '../../src/modules/migration/index.ts';
import { SHOPIFY_PRODUCT_COLUMNS } from '../../src/modules/migration/import/shopify-products.ts';
import { createScratchDatabase } from '../lib/postgres.ts';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { round } from '../lib/stats.ts';
import { cpuSecondsOf } from '../lib/cpu.ts';
import type { Cell } from '../lib/table.ts';
import { moveBenchmark, moveFlags } from '../migration/move.ts';

const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** Writes `rows` rows (4 per product) in Shopify's layout; returns the file's size. */
async function writeShopifyCsv(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  const column = new Map(SHOPIFY_PRODUCT_COLUMNS.map((c, i) => [c, i]));
  const line = (cells: Record<string, string>) => {
    const values = SHOPIFY_PRODUCT_COLUMNS.map(() => '');
    for (const [name, value] of Object.entries(cells)) values[column.get(name as (typeof SHOPIFY_PRODUCT_COLUMNS)[number])!] = quote(value);
    return `${values.join(',')}\n`;
  };
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(line(Object.fromEntries(SHOPIFY_PRODUCT_COLUMNS.map((c) => [c, c]))));
  const sizes = ['S', 'M', 'L', 'XL'];
  for (let i = 0; i < rows; i++) {
    const product = Math.floor(i / 4);
    const handle = `bench-product-${product}`;
    const size = sizes[i % 4]!;
    const cells: Record<string, string> = {
      Handle: handle,
      'Option1 Value': size,
      'Variant SKU': `BENCH-${product}-${size}`,
      'Variant Inventory Tracker': 'shopify',
      'Variant Inventory Qty': String((i * 7) % 50),
      'Variant Price': `${(product % 500) + 9}.90`,
      'Variant Compare At Price': product % 4 === 0 ? `${(product % 500) + 19}.90` : '',
    };
    if (i % 4 === 0) {
      Object.assign(cells, {
        Title: product % 3 === 0 ? `测试商品 ${product} 号 — 真丝围巾` : `Bench product ${product}`,
        'Body (HTML)': `<p>Product ${product}, made for the import benchmark.</p>`,
        Vendor: 'Bench',
        Tags: 'bench, import',
        Published: 'TRUE',
        Status: 'active',
        'Option1 Name': 'Size',
        'Image Src': `https://cdn.example.com/bench/${product}.jpg`,
        'Image Position': '1',
        'SEO Title': `Bench product ${product}`,
      });
    }
    await write(line(cells));
  }
  out.end();
  await once(out, 'finish');
  return statSync(file).size;
}

interface RunResult {
  engine: string;
  run: string;
  seconds: number;
  rowsPerSecond: number;
  summary: ImportSummary;
  peakRssMb: number;
  /** CPU of this process (the importer, and PGlite when embedded) per 1,000 rows, in ms. */
  soukCpuMsPer1000: number;
  /** CPU of the PostgreSQL backends serving this Souk's database per 1,000 rows, in ms (0 when embedded). */
  postgresCpuMsPer1000: number;
}

/** The PostgreSQL backends of Souk's own (scratch) database: its pool's connections. */
async function backendPids(souk: Souk): Promise<number[]> {
  if (souk.ctx.db.kind !== 'postgres') return [];
  const rows = await souk.ctx.db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  return rows.map((r) => r.pid);
}

async function platformFor(souk: Souk, slug: string): Promise<string> {
  const { platform } = await applyPlatform(
    { db: souk.ctx.db, directory: souk.ctx.platforms, events: souk.ctx.events, modules: souk.modules },
    { slug, name: slug, hosts: [`${slug}.bench`], defaultCurrency: 'CNY', currencies: ['CNY'], defaultLocale: 'zh-CN', locales: ['zh-CN', 'en'], modules: ['catalog', 'inventory', 'migration'] },
  );
  return platform.id;
}

interface Timed {
  seconds: number;
  summary: ImportSummary;
  peakRssMb: number;
  soukCpuSeconds: number;
  postgresCpuSeconds: number;
}

async function timedImport(souk: Souk, platformId: string, file: string, dryRun: boolean): Promise<Timed> {
  const platform = souk.ctx.platforms.byId(platformId)!;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  // The pool opens its connections up front or on demand: pids are read before and after, and a backend
  // that appears meanwhile counts from zero (it started during the import).
  const pidsBefore = await backendPids(souk);
  const postgresBefore = new Map(pidsBefore.map((pid) => [pid, cpuSecondsOf([pid])]));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const summary = await runImport(
      { deps: souk.ctx, platform, pdb: souk.ctx.platformDb(platformId), dryRun, actor: { id: 'system', label: 'bench' }, reference: 'bench' },
      'shopify-products',
      createReadStream(file),
      { onError: () => undefined },
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    let postgresCpuSeconds = 0;
    for (const pid of await backendPids(souk)) postgresCpuSeconds += cpuSecondsOf([pid]) - (postgresBefore.get(pid) ?? 0);
    return { seconds, summary, peakRssMb: Math.round(peak / 1024 / 1024), soukCpuSeconds: (cpu.user + cpu.system) / 1e6, postgresCpuSeconds };
  } finally {
    clearInterval(sampler);
  }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const move = context.flags.part === 'import' ? undefined : await moveBenchmark(context); // bench/migration/move.ts
  if (context.flags.part === 'move') return move!;
  const { options, log } = context;
  const rows = Number(context.flags.rows);
  if (!Number.isInteger(rows) || rows < 4) throw new Error(`--rows must be a whole number of at least 4, got ${context.flags.rows}`);
  const dir = mkdtempSync(join(tmpdir(), 'souk-bench-migration-'));
  context.cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'products.csv');
  log(`writing ${rows.toLocaleString('en-US')} rows of Shopify product CSV`);
  const bytes = await writeShopifyCsv(file, rows);
  log(`${(bytes / 1024 / 1024).toFixed(1)} MiB`);

  const notes: string[] = [];
  const results: RunResult[] = [];
  for (const engine of options.engines) {
    let database: { dataDir: string; databaseUrl: undefined } | { databaseUrl: string; secretKey: string };
    if (engine === 'embedded') {
      database = { dataDir: join(dir, `pglite-${results.length}`), databaseUrl: undefined };
    } else {
      const scratch = await createScratchDatabase(options.pgAdminUrl, context.cleanup);
      if (!scratch.ok) {
        notes.push(`PostgreSQL skipped: ${scratch.reason}`);
        continue;
      }
      database = { databaseUrl: scratch.database.url, secretKey: generateSecretKey() };
    }
    log(`${engine}: starting Souk`);
    const souk = await createSouk({ logger: false, config: { ...database, seedDemo: false, platformRefreshMs: 0, eventsWorker: false, redisUrl: undefined, eventsTransport: 'embedded' } });
    try {
      const first = await platformFor(souk, 'import-bench');
      const second = await platformFor(souk, 'import-bench-dry');
      for (const [label, platformId, dryRun] of [['first import', first, false], ['same file again', first, false], ['dry run, empty platform', second, true]] as const) {
        await waitForQuietIfAsked(options.quietWaitSeconds, log);
        const { seconds, summary, peakRssMb, soukCpuSeconds, postgresCpuSeconds } = await timedImport(souk, platformId, file, dryRun);
        const rowsPerSecond = Math.round(rows / seconds);
        const soukCpuMsPer1000 = round((soukCpuSeconds * 1e6) / rows, 1);
        const postgresCpuMsPer1000 = round((postgresCpuSeconds * 1e6) / rows, 1);
        log(
          `${engine}, ${label}: ${rowsPerSecond.toLocaleString('en-US')} rows/s (${seconds.toFixed(1)} s), CPU per 1,000 rows: Souk ${soukCpuMsPer1000} ms, ` +
            `PostgreSQL ${postgresCpuMsPer1000} ms; products ${JSON.stringify(summary.counts.products)}, refused ${summary.counts.refused}, peak RSS ${peakRssMb} MB`,
        );
        results.push({ engine, run: label, seconds, rowsPerSecond, summary, peakRssMb, soukCpuMsPer1000, postgresCpuMsPer1000 });
      }
    } finally {
      await souk.close();
    }
  }

  const table: Cell[][] = results.map((r) => [
    r.engine,
    r.run,
    r.rowsPerSecond,
    round(r.seconds, 1),
    r.soukCpuMsPer1000,
    r.postgresCpuMsPer1000,
    `${r.summary.counts.products.created}/${r.summary.counts.products.updated}/${r.summary.counts.products.unchanged}`,
    `${r.summary.counts.variants.created}/${r.summary.counts.variants.updated}/${r.summary.counts.variants.unchanged}`,
    `${r.summary.counts.stock.set}/${r.summary.counts.stock.unchanged}`,
    r.summary.counts.refused,
    r.peakRssMb,
  ]);
  return {
    ...(move ? { notes: [...notes, ...move.notes] } : {}),
    tables: [
      ...(move?.tables ?? []),
      {
        title: `Import of a ${rows.toLocaleString('en-US')}-row Shopify product CSV (${(bytes / 1024 / 1024).toFixed(1)} MiB), in process`,
        columns: ['engine', 'run', 'rows/s', 'seconds', 'Souk CPU ms/1k rows', 'PostgreSQL CPU ms/1k rows', 'products new/upd/same', 'variants new/upd/same', 'stock set/same', 'refused', 'peak RSS MB'],
        rows: table,
      },
    ],
    notes,
    data: { rows, bytes, results, ...(move ? { move: move.data } : {}) },
  };
}

export const migrationScenario: Scenario = {
  name: 'migration',
  description: 'import rows/s of a generated Shopify product CSV (first import, idempotent re-run, dry run; embedded and PostgreSQL), and the smooth database move of the demo shop plus --orders orders',
  flags: {
    rows: { description: 'rows in the generated CSV (4 per product)', default: '100000' },
    ...moveFlags,
  },
  run,
};
