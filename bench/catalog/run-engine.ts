// One engine's catalog run: a Souk server on PGlite or a scratch PostgreSQL, the seed checked, the
// two-platform and many-platform rounds against bare Fastify, memory and database transactions.
import { setTimeout as sleep } from 'node:timers/promises';
import { engineDatabase, type SoukEngineRecord } from '../lib/engine-run.ts';
import { httpRequest } from '../lib/http.ts';
import type { LoadTarget } from '../lib/load.ts';
import type { ScratchDatabase } from '../lib/postgres.ts';
import { readMemory, type MemoryReading } from '../lib/processes.ts';
import { runRounds, type Counter, type RoundsSettings, type TargetSummary } from '../lib/rounds.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { startSoukServer, type Engine, type StartedServer } from '../lib/servers.ts';
import { round } from '../lib/stats.ts';
import { type PlatformSetup, addPlatforms, spreadRequests, existingPlusAdded } from './platforms.ts';
import { DEMO, detailRequests, checkSeed, type SeedInfo } from './seed.ts';

export interface EngineRun extends SoukEngineRecord {
  /** Transactions per second the idle server runs (background pollers), PostgreSQL only. */
  dbIdleTransactionsPerSecond?: number;
  seed?: SeedInfo;
  twoPlatforms?: TargetSummary[];
  platformSetup?: PlatformSetup;
  manyPlatforms?: TargetSummary[];
  memory: { atStart?: MemoryReading; afterTwoPlatforms?: MemoryReading; afterManyPlatforms?: MemoryReading };
  /** Per target: how many different requests the connections cycle through, and the mean body size. */
  distinctRequests: Record<string, number>;
  meanResponseBytes: Record<string, number>;
}


export function find(summaries: TargetSummary[] | undefined, id: string): TargetSummary | undefined {
  return summaries?.find((s) => s.id === id);
}

/**
 * Sends a sample of a target's requests once and insists on 200, so a broken setup fails before any
 * load; returns the mean response body size in bytes.
 */
export async function preflight(target: LoadTarget, samples = 40): Promise<number> {
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

export function bareTarget(bare: StartedServer): LoadTarget {
  return { id: 'bare', label: 'bare fastify hello', url: bare.baseUrl, requests: [{ path: '/' }], serverPid: bare.pid };
}

export async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
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
export const STATS_SETTLE_MS = 11_000;

/** Database transactions per request (PostgreSQL only), after measuring the idle background rate. */
export async function transactionCounter(db: ScratchDatabase, log: ScenarioContext['log']): Promise<Counter> {
  const first = await db.transactions();
  await sleep(STATS_SETTLE_MS);
  const second = await db.transactions();
  await sleep(5_000);
  const third = await db.transactions();
  const idlePerSecond = round((third - second) / 5, 1);
  log(`  idle background: ${idlePerSecond} database transactions/s (settling delta ${second - first})`);
  return { name: 'dbXacts', read: () => db.transactions(), settleMs: STATS_SETTLE_MS, idlePerSecond };
}
