// Catalog (issue 2): how close do storefront catalogue reads come to the machine's HTTP ceiling, and does
// serving 1,000 platforms from one process cost more than serving 2?
//
// Per engine (embedded PGlite, then PostgreSQL in a scratch database):
//   1. start Souk with the demo seed (2 platforms, ≥ 60 products each) next to a bare Fastify server;
//   2. measure bare hello, product detail (rotating over the seeded products by handle and by id) and the
//      20-item product list, alternating, for --rounds rounds;
//   3. add platforms through the admin API up to --platforms, each with copies of a few demo products, and
//      measure bare, detail on the original platform, and detail spread over every platform by Host
//      header and by publishable key;
//   4. read the Souk process's resident memory after each phase; on PostgreSQL also count database
//      transactions per request, which shows how often the response cache is missed.
import { setTimeout as sleep } from 'node:timers/promises';
import type autocannon from 'autocannon';
import type { LoadTarget } from '../lib/load.ts';
import { engineDatabase } from '../lib/engine-run.ts';
import { httpJson, httpRequest, UnexpectedStatusError } from '../lib/http.ts';
import type { ScratchDatabase } from '../lib/postgres.ts';
import { readMemory, type MemoryReading } from '../lib/processes.ts';
import { runRounds, type Counter, type RoundsSettings, type TargetSummary } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer, startSoukServer, type Engine, type SoukServer, type StartedServer } from '../lib/servers.ts';
import {
  adminLogin,
  adminProducts,
  copyProduct,
  countStoreProducts,
  createPlatform,
  createProducts,
  productWriteMode,
  storeProducts,
  type AdminSession,
  type ProductWriteMode,
  type StoreProductRef,
} from '../lib/souk-api.ts';
import { median, round } from '../lib/stats.ts';
import type { Cell, Table } from '../lib/table.ts';

// What the demo seed (src/seed/demo.ts) promises; checked before measuring.
const DEMO = {
  admin: { email: 'admin@souk.local', password: 'souk-demo-admin' },
  global: { slug: 'souk-global', host: '127.0.0.1', currency: 'USD' },
  cn: { slug: 'souk-cn', host: 'cn.localhost', currency: 'CNY' },
  minProducts: 60,
};

// Targets from the issue: detail at least half of bare throughput, p99 under 20 ms, and 1,000 platforms
// within 10 % of 2.
const GOALS = { detailRatioToBare: 0.5, p99Ms: 20, manyPlatformsTolerance: 0.1 };

interface AddedPlatform {
  slug: string;
  host: string;
  publishableKey: string;
  handles: string[];
}

interface PlatformSetup {
  requested: number;
  existing: number;
  created: number;
  productsPerPlatform: number;
  productWriteMode: ProductWriteMode;
  totalSeconds: number;
  /** Median latency of POST /admin/platforms for the first and last 50 platforms created. */
  createPlatformMsFirst50: number;
  createPlatformMsLast50: number;
  /** Median latency of writing one platform's products. */
  writeProductsMs: number;
  /**
   * Platforms whose product write answered 404 platform_not_found although POST /admin/platforms had
   * just answered 201 (the write is retried every 500 ms until it succeeds).
   */
  notFoundAfterCreate: number;
  /** Seconds after the last create until GET /admin/platforms listed every platform. */
  convergedAfterSeconds: number;
}

interface EngineRun {
  engine: Engine;
  skipped?: string;
  database?: { name: string; serverVersion: string };
  readyAfterSeconds?: number;
  /** Transactions per second the idle server runs (background pollers), PostgreSQL only. */
  dbIdleTransactionsPerSecond?: number;
  seed?: { globalProducts: number; cnProducts: number; globalCurrency: string; cnCurrency: string };
  twoPlatforms?: TargetSummary[];
  platformSetup?: PlatformSetup;
  manyPlatforms?: TargetSummary[];
  memory: { atStart?: MemoryReading; afterTwoPlatforms?: MemoryReading; afterManyPlatforms?: MemoryReading };
  /** Per target: how many different requests the connections cycle through, and the mean body size. */
  distinctRequests: Record<string, number>;
  meanResponseBytes: Record<string, number>;
}

const pct = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : '–');
const signedPct = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${Math.round(value * 1000) / 10}%` : '–');

function find(summaries: TargetSummary[] | undefined, id: string): TargetSummary | undefined {
  return summaries?.find((s) => s.id === id);
}

/**
 * Sends a sample of a target's requests once and insists on 200, so a broken setup fails before any
 * load; returns the mean response body size in bytes.
 */
async function preflight(target: LoadTarget, samples = 40): Promise<number> {
  const step = Math.max(1, Math.floor(target.requests.length / samples));
  const sizes: number[] = [];
  for (let i = 0; i < target.requests.length; i += step) {
    const spec = target.requests[i];
    if (!spec) continue;
    const response = await httpRequest(`${target.url}${spec.path ?? '/'}`, { headers: spec.headers ?? {}, timeoutMs: 10_000 });
    if (response.status !== 200) {
      throw new Error(`${target.label}: GET ${spec.path} (${JSON.stringify(spec.headers ?? {})}) answered ${response.status}: ${response.text.slice(0, 300)}`);
    }
    sizes.push(Buffer.byteLength(response.text));
  }
  return Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length));
}

function bareTarget(bare: StartedServer): LoadTarget {
  return { id: 'bare', label: 'bare fastify hello', url: bare.baseUrl, requests: [{ path: '/' }], serverPid: bare.pid };
}

function detailRequests(products: StoreProductRef[], headers?: Record<string, string>): autocannon.RequestSpec[] {
  // Alternate lookups by handle and by id: the route accepts both and shoppers' links use both.
  return products.flatMap((p) => [
    { path: `/store/products/${encodeURIComponent(p.handle)}`, ...(headers ? { headers } : {}) },
    { path: `/store/products/${p.id}`, ...(headers ? { headers } : {}) },
  ]);
}

interface Seeded {
  info: NonNullable<EngineRun['seed']>;
  globalProducts: StoreProductRef[];
  cnProducts: StoreProductRef[];
}

async function checkSeed(souk: SoukServer, notes: string[]): Promise<Seeded> {
  const global = { host: DEMO.global.host };
  const cn = { host: DEMO.cn.host };
  const [globalCount, cnCount, globalProducts, cnProducts] = await Promise.all([
    countStoreProducts(souk.baseUrl, global),
    countStoreProducts(souk.baseUrl, cn),
    storeProducts(souk.baseUrl, global, 100),
    storeProducts(souk.baseUrl, cn, 100),
  ]);
  const currencyOf = async (host: string) => {
    const page = await httpJson<{ items?: { currency?: string }[] }>(`${souk.baseUrl}/store/products?limit=1`, { headers: { host } });
    return page.items?.[0]?.currency ?? 'none';
  };
  const info = { globalProducts: globalCount, cnProducts: cnCount, globalCurrency: await currencyOf(global.host), cnCurrency: await currencyOf(cn.host) };
  if (globalCount < DEMO.minProducts || cnCount < DEMO.minProducts) {
    notes.push(`${souk.engine}: the demo seed has ${globalCount} (souk-global) and ${cnCount} (souk-cn) published products; expected ≥ ${DEMO.minProducts} each.`);
  }
  if (info.globalCurrency !== DEMO.global.currency || info.cnCurrency !== DEMO.cn.currency) {
    notes.push(`${souk.engine}: storefront currencies are ${info.globalCurrency}/${info.cnCurrency}; expected USD/CNY.`);
  }
  if (globalProducts.length === 0) throw new Error(`${souk.engine}: souk-global lists no products; nothing to benchmark`);
  return { info, globalProducts, cnProducts };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

async function addPlatforms(
  souk: SoukServer,
  total: number,
  productsPerPlatform: number,
  concurrency: number,
  log: ScenarioContext['log'],
): Promise<{ setup: PlatformSetup; added: AddedPlatform[] }> {
  const session: AdminSession = await adminLogin(souk.baseUrl, DEMO.admin.email, DEMO.admin.password);
  const mode = await productWriteMode(souk.baseUrl);
  const listed = await httpJson<{ items: unknown[] }>(`${souk.baseUrl}/admin/platforms`, { headers: { authorization: `Bearer ${session.token}` } });
  const existing = listed.items.length;
  const count = Math.max(0, total - existing);
  // Copies of demo products, so a detail response on an added platform is about the size of one on the
  // original platform and the comparison measures platforms, not payloads.
  const templates = await adminProducts(session, DEMO.global.slug, productsPerPlatform);
  if (templates.length < productsPerPlatform) throw new Error(`souk-global has only ${templates.length} published products to copy`);
  log(`  creating ${count} platforms (${productsPerPlatform} products each, ${mode} product writes, ${concurrency} in flight)`);

  const slugs = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(4, '0')}`);
  const added: AddedPlatform[] = new Array<AddedPlatform>(count);
  const createMs: number[] = new Array<number>(count);
  const productsMs: number[] = [];
  let notFoundAfterCreate = 0;
  const started = Date.now();
  await inPool(slugs, concurrency, async (slug, index) => {
    const host = `${slug}.bench`;
    const t0 = performance.now();
    const created = await createPlatform(session, {
      slug,
      name: `Bench ${slug}`,
      hosts: [host],
      defaultCurrency: 'USD',
      defaultLocale: 'en',
      modules: ['catalog'],
    });
    const t1 = performance.now();
    const products = templates.map((template, p) => copyProduct(template, `${slug}-${template.handle}`, `${slug.toUpperCase()}-${p + 1}`, 'USD'));
    for (let attempt = 1; ; attempt++) {
      try {
        await createProducts(session, slug, products, mode);
        break;
      } catch (error) {
        const vanished = error instanceof UnexpectedStatusError && error.status === 404 && error.body.includes('platform_not_found');
        if (!vanished || attempt >= 30) throw error;
        if (attempt === 1) notFoundAfterCreate++;
        await sleep(500);
      }
    }
    createMs[index] = t1 - t0;
    productsMs.push(performance.now() - t1);
    added[index] = { slug, host, publishableKey: created.publishableKey, handles: products.map((p) => p.handle) };
    if ((index + 1) % 100 === 0) log(`    ${index + 1}/${count} platforms`);
  });
  const totalSeconds = round((Date.now() - started) / 1000, 1);

  // The node's platform directory must list them all before measuring (see notFoundAfterCreate).
  const expected = existing + count;
  const convergeStarted = Date.now();
  for (;;) {
    const now = await httpJson<{ items: unknown[] }>(`${souk.baseUrl}/admin/platforms`, { headers: { authorization: `Bearer ${session.token}` } });
    if (now.items.length >= expected) break;
    if (Date.now() - convergeStarted > 30_000) throw new Error(`the server lists ${now.items.length} platforms 30 s after creating ${expected}`);
    await sleep(250);
  }
  const setup: PlatformSetup = {
    requested: total,
    existing,
    created: count,
    productsPerPlatform,
    productWriteMode: mode,
    totalSeconds,
    createPlatformMsFirst50: round(median(createMs.slice(0, 50)), 1),
    createPlatformMsLast50: round(median(createMs.slice(-50)), 1),
    writeProductsMs: round(median(productsMs), 1),
    notFoundAfterCreate,
    convergedAfterSeconds: round((Date.now() - convergeStarted) / 1000, 2),
  };
  log(
    `  created in ${setup.totalSeconds} s; POST /admin/platforms median ${setup.createPlatformMsFirst50} ms (first 50) → ` +
      `${setup.createPlatformMsLast50} ms (last 50); products ${setup.writeProductsMs} ms per platform; ` +
      `${notFoundAfterCreate} platform(s) answered 404 right after their 201; directory complete after ${setup.convergedAfterSeconds} s more`,
  );
  return { setup, added };
}

/** Interleaves platforms so consecutive requests (and neighbouring connections) hit different platforms. */
function spreadRequests(entries: { headers: Record<string, string>; handles: string[] }[]): autocannon.RequestSpec[] {
  const requests: autocannon.RequestSpec[] = [];
  const depth = Math.max(0, ...entries.map((e) => e.handles.length));
  for (let i = 0; i < depth; i++) {
    for (const entry of entries) {
      const handle = entry.handles[i];
      if (handle !== undefined) requests.push({ path: `/store/products/${encodeURIComponent(handle)}`, headers: entry.headers });
    }
  }
  return requests;
}

async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
  const { options, flags, cleanup, log } = context;
  const run: EngineRun = { engine, memory: {}, distinctRequests: {}, meanResponseBytes: {} };
  const settings: RoundsSettings = {
    durationSeconds: options.durationSeconds,
    connections: options.connections,
    rounds: options.rounds,
    warmupSeconds: options.warmupSeconds,
    quietWaitSeconds: options.quietWaitSeconds,
  };

  const scratch = await engineDatabase(engine, context, notes, run);
  if (run.skipped) return run;
  const databaseUrl = scratch?.url;

  log(`${engine}: starting souk (migrate + demo seed)…`);
  const souk = await startSoukServer({ engine, databaseUrl, cleanup, env: options.soukEnv });
  run.readyAfterSeconds = round(souk.readyAfterMs / 1000, 1);
  run.memory.atStart = await readMemory(souk.pid);
  log(`${engine}: souk pid ${souk.pid} ready on ${souk.baseUrl} after ${run.readyAfterSeconds} s, RSS ${run.memory.atStart?.rssMiB} MiB`);

  const seeded = await checkSeed(souk, notes);
  run.seed = seeded.info;
  log(`${engine}: demo seed: souk-global ${seeded.info.globalProducts} products (${seeded.info.globalCurrency}), souk-cn ${seeded.info.cnProducts} (${seeded.info.cnCurrency})`);

  const bareT = bareTarget(bare);
  const detail: LoadTarget = {
    id: 'detail',
    label: 'product detail',
    url: souk.baseUrl,
    requests: detailRequests(seeded.globalProducts),
    serverPid: souk.pid,
  };
  const list: LoadTarget = { id: 'list', label: 'product list (20)', url: souk.baseUrl, requests: [{ path: '/store/products?limit=20' }], serverPid: souk.pid };
  for (const target of [bareT, detail, list]) {
    run.meanResponseBytes[target.id] = await preflight(target);
    run.distinctRequests[target.id] = target.requests.length;
  }

  if (scratch) {
    settings.counters = [await transactionCounter(scratch, log)];
    run.dbIdleTransactionsPerSecond = settings.counters[0]?.idlePerSecond;
    notes.push(`${engine}: with no requests at all, the server ran ${run.dbIdleTransactionsPerSecond} database transactions/s (background work).`);
  }
  log(`${engine}: measuring with 2 platforms`);
  run.twoPlatforms = await runRounds([bareT, detail, list], settings, log);
  run.memory.afterTwoPlatforms = await readMemory(souk.pid);

  const totalPlatforms = Number(flags.platforms);
  if (totalPlatforms > 2) {
    const { setup, added } = await addPlatforms(
      souk,
      totalPlatforms,
      Number(flags['products-per-platform']),
      Number(flags['create-concurrency']),
      log,
    );
    run.platformSetup = setup;
    if (setup.notFoundAfterCreate > 0) {
      notes.push(
        `${engine}: ${setup.notFoundAfterCreate} of ${setup.created} platforms answered 404 platform_not_found on their first product write right after ` +
          `POST /admin/platforms answered 201 (creates ran ${flags['create-concurrency']} at a time); retried until the directory caught up.`,
      );
    }
    const perPlatform = Math.min(setup.productsPerPlatform, Number(flags['spread-products']));
    const originals = [
      { headers: { host: DEMO.global.host }, handles: seeded.globalProducts.slice(0, perPlatform).map((p) => p.handle) },
      { headers: { host: DEMO.cn.host }, handles: seeded.cnProducts.slice(0, perPlatform).map((p) => p.handle) },
    ];
    const detailAfter: LoadTarget = { ...detail, id: 'detail-original', label: 'detail, original platform' };
    const byHost: LoadTarget = {
      id: 'detail-spread-host',
      label: 'detail, all platforms by Host',
      url: souk.baseUrl,
      requests: spreadRequests([...originals, ...added.map((a) => ({ headers: { host: a.host }, handles: a.handles.slice(0, perPlatform) }))]),
      serverPid: souk.pid,
    };
    const byKey: LoadTarget = {
      id: 'detail-spread-key',
      label: 'detail, added platforms by key',
      url: souk.baseUrl,
      requests: spreadRequests(added.map((a) => ({ headers: { 'x-publishable-key': a.publishableKey }, handles: a.handles.slice(0, perPlatform) }))),
      serverPid: souk.pid,
    };
    for (const target of [detailAfter, byHost, byKey]) {
      run.meanResponseBytes[target.id] = await preflight(target);
      run.distinctRequests[target.id] = target.requests.length;
    }
    if (scratch) settings.counters = [await transactionCounter(scratch, log)];
    log(`${engine}: measuring with ${existingPlusAdded(setup)} platforms`);
    run.manyPlatforms = await runRounds([bareT, detailAfter, byHost, byKey], settings, log);
    run.memory.afterManyPlatforms = await readMemory(souk.pid);
  }

  await souk.stop();
  if (scratch) await scratch.drop();
  return run;
}

// PostgreSQL publishes a backend's statistics when it goes idle, at most once a second and otherwise
// after an idle interval of 10 s; waiting that long after each run makes the per-run counts exact.
const STATS_SETTLE_MS = 11_000;

/** Database transactions per request (PostgreSQL only), after measuring the idle background rate. */
async function transactionCounter(db: ScratchDatabase, log: ScenarioContext['log']): Promise<Counter> {
  const first = await db.transactions();
  await sleep(STATS_SETTLE_MS);
  const second = await db.transactions();
  await sleep(5_000);
  const third = await db.transactions();
  const idlePerSecond = round((third - second) / 5, 1);
  log(`  idle background: ${idlePerSecond} database transactions/s (settling delta ${second - first})`);
  return { name: 'dbXacts', read: () => db.transactions(), settleMs: STATS_SETTLE_MS, idlePerSecond };
}

function existingPlusAdded(setup: PlatformSetup): number {
  return setup.existing + setup.created;
}

function flagProblems(engine: Engine, summaries: TargetSummary[] | undefined, notes: string[]): void {
  for (const s of summaries ?? []) {
    if (s.non2xx + s.errors + s.timeouts > 0) {
      notes.push(`${engine} / ${s.label}: ${s.non2xx} non-2xx (${JSON.stringify(s.statusCodes)}), ${s.errors} errors, ${s.timeouts} timeouts — figures are suspect.`);
    }
  }
}

function buildTables(runs: EngineRun[], context: ScenarioContext): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const two: Table = {
    title: 'Catalog, 2 platforms (demo seed): medians of rounds',
    columns: ['engine', 'target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'CPU server', 'CPU loadgen', 'CPU other', 'mean body B', 'DB xacts/req', 'non-2xx/err'],
    rows: [],
    notes: [
      'CPU columns: % of one core; "other" is every other process (PostgreSQL backends, concurrent jobs).',
      'DB xacts/req: PostgreSQL transactions per request (pg_stat_database, idle background rate subtracted); – on PGlite.',
    ],
  };
  for (const run of measured) {
    const bare = find(run.twoPlatforms, 'bare');
    for (const s of run.twoPlatforms ?? []) {
      two.rows.push([
        run.engine,
        s.label,
        s.requestsPerSecond,
        s.p50Ms,
        s.p99Ms,
        bare ? pct(s.requestsPerSecond / bare.requestsPerSecond) : null,
        `${s.serverCpuPercent}%`,
        `${s.loadGeneratorCpuPercent}%`,
        `${s.otherCpuPercent}%`,
        run.meanResponseBytes[s.id] ?? null,
        s.id === 'bare' ? null : s.counterPerRequest.dbXacts,
        s.non2xx + s.errors + s.timeouts,
      ]);
    }
  }
  const tables = [two];

  const withMany = measured.filter((r) => r.manyPlatforms);
  if (withMany.length > 0) {
    const many: Table = {
      title: `Catalog, ${Number(context.flags.platforms).toLocaleString('en-US')} platforms: medians of rounds`,
      columns: ['engine', 'target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'vs 2-platform detail', 'distinct requests', 'mean body B', 'DB xacts/req', 'non-2xx/err'],
      rows: [],
    };
    for (const run of withMany) {
      const bare = find(run.manyPlatforms, 'bare');
      const before = find(run.twoPlatforms, 'detail');
      for (const s of run.manyPlatforms ?? []) {
        many.rows.push([
          run.engine,
          s.label,
          s.requestsPerSecond,
          s.p50Ms,
          s.p99Ms,
          bare ? pct(s.requestsPerSecond / bare.requestsPerSecond) : null,
          s.id === 'bare' || !before ? null : signedPct(s.requestsPerSecond / before.requestsPerSecond - 1),
          run.distinctRequests[s.id] ?? null,
          run.meanResponseBytes[s.id] ?? null,
          s.id === 'bare' ? null : s.counterPerRequest.dbXacts,
          s.non2xx + s.errors + s.timeouts,
        ]);
      }
    }
    tables.push(many);
  }

  const memory: Table = {
    title: 'Souk process: start-up, platform creation and resident memory (VmRSS; peak = VmHWM)',
    columns: ['engine', 'ready s', 'RSS start MiB', 'RSS after 2-pl. MiB', 'RSS after many MiB', 'peak MiB', 'create platforms s', 'POST platform ms first→last 50'],
    rows: measured.map((run): Cell[] => [
      run.engine,
      run.readyAfterSeconds,
      run.memory.atStart?.rssMiB,
      run.memory.afterTwoPlatforms?.rssMiB,
      run.memory.afterManyPlatforms?.rssMiB,
      (run.memory.afterManyPlatforms ?? run.memory.afterTwoPlatforms)?.peakRssMiB,
      run.platformSetup?.totalSeconds,
      run.platformSetup ? `${run.platformSetup.createPlatformMsFirst50} → ${run.platformSetup.createPlatformMsLast50}` : null,
    ]),
  };
  tables.push(memory);

  const goals: Table = { title: 'Goals from issue 2', columns: ['engine', 'goal', 'measured', 'met'], rows: [] };
  for (const run of measured) {
    const bare = find(run.twoPlatforms, 'bare');
    const detail = find(run.twoPlatforms, 'detail');
    const list = find(run.twoPlatforms, 'list');
    if (bare && detail) {
      const ratio = detail.requestsPerSecond / bare.requestsPerSecond;
      goals.rows.push([run.engine, `detail ≥ ${pct(GOALS.detailRatioToBare)} of bare req/s`, pct(ratio), ratio >= GOALS.detailRatioToBare ? 'yes' : 'NO']);
    }
    for (const s of [detail, list]) {
      if (s) goals.rows.push([run.engine, `${s.label} p99 < ${GOALS.p99Ms} ms`, `${s.p99Ms} ms`, s.p99Ms < GOALS.p99Ms ? 'yes' : 'NO']);
    }
    for (const id of ['detail-original', 'detail-spread-host', 'detail-spread-key']) {
      const s = find(run.manyPlatforms, id);
      if (!s || !detail) continue;
      const change = s.requestsPerSecond / detail.requestsPerSecond - 1;
      goals.rows.push([
        run.engine,
        `${s.label} within ${pct(GOALS.manyPlatformsTolerance)} of 2-platform detail`,
        signedPct(change),
        change >= -GOALS.manyPlatformsTolerance ? 'yes' : 'NO',
      ]);
    }
  }
  tables.push(goals);
  return tables;
}

export const catalogScenario: Scenario = {
  name: 'catalog',
  description: 'Storefront catalogue reads vs bare Fastify, on PGlite and PostgreSQL, with 2 and 1,000 platforms.',
  flags: {
    platforms: { description: 'platforms in the multi-platform run (≤ 2 skips it)', default: '1000' },
    'products-per-platform': { description: 'products created on each added platform', default: '3' },
    'create-concurrency': { description: 'admin requests in flight while creating platforms', default: '4' },
    'spread-products': { description: 'products per platform the spread detail targets rotate over', default: '1' },
  },
  async run(context): Promise<ScenarioReport> {
    const { flags, cleanup, log } = context;
    for (const flag of ['platforms', 'products-per-platform', 'create-concurrency', 'spread-products']) {
      const value = Number(flags[flag]);
      if (!Number.isInteger(value) || value < (flag === 'platforms' ? 0 : 1)) throw new Error(`--${flag} must be a positive integer, got "${flags[flag]}"`);
    }
    const notes: string[] = [
      `The load generator (autocannon, in the harness process) runs on the same ${context.machine.cores} cores as the server it measures.`,
    ];
    const bare = await startBareServer(cleanup);
    log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
    const runs: EngineRun[] = [];
    for (const engine of context.options.engines) {
      const run = await runEngine(engine, bare, context, notes);
      flagProblems(engine, run.twoPlatforms, notes);
      flagProblems(engine, run.manyPlatforms, notes);
      runs.push(run);
    }
    await bare.stop();
    return { tables: buildTables(runs, context), notes, data: { goals: GOALS, engines: runs } };
  },
};
