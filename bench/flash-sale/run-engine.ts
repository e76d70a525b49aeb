// One engine's flash-sale run: the stock gate, the Souk nodes, the shop, the warm-up, per round bare
// Fastify (autocannon and the same client) then the rush and its drain, and the count in SQL.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureBareRound, newBareRounds, type BareRounds } from '../lib/bare-rounds.ts';
import { BENCH_ADMIN, countInSql, engineDatabase, startBenchSouk, type SoukEngineRecord } from '../lib/engine-run.ts';
import { positive } from '../lib/flags.ts';
import { freePort } from '../lib/processes.ts';
import { waitForQuiet } from '../lib/rounds.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import type { Engine, SoukServer, StartedServer } from '../lib/servers.ts';
import { adminLogin } from '../lib/souk-api.ts';
import { round } from '../lib/stats.ts';
import { deleteRedisKeys, redisReachable } from './redis-gate.ts';
import { saleStats, scheduleSale, waitForDrain } from './sales.ts';
import { seedShop, waitForNodesToSeeShop } from './shop.ts';
import { runBareSameClient, runRush, type ShopperRun } from './shoppers.ts';
import { verify, type Verification } from './verify.ts';

export interface Rush extends ShopperRun {
  label: string;
  round: number;
  saleId: string;
  quantity: number;
  /** Orders created per second, first to last order of the sale (from the database at the end). */
  ordersPerSecond?: number;
  drainSeconds?: number;
  drainedInTime: boolean;
  backgroundBeforePercent: number;
  /** The sale's own attempt counter (admin stats) after the drain, against the shoppers' 202/409 answers. */
  soukCountedAttempts: number;
}

/** readyAfterSeconds is the first node's (the one that migrates the database); the others are in the log. */
export interface EngineRun extends SoukEngineRecord {
  gate: 'memory' | 'redis';
  /** Souk servers on the one database, the shoppers spread across them (1 on embedded). */
  nodes: number;
  buyers?: number;
  seedSeconds?: number;
  /** Bare Fastify GET / with autocannon, per round. */
  bare?: BareRounds;
  /** Bare Fastify POST /purchase with the rush's shopper client, per round (next to `bare`). */
  bareSameClient?: ShopperRun[];
  rushes: Rush[];
  verification?: Verification;
}

export async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
  const { options, flags, cleanup, log } = context;
  const buyers = positive(flags, 'buyers');
  const quantity = positive(flags, 'quantity');
  const limit = positive(flags, 'limit');
  const drainWait = positive(flags, 'drain-wait');
  const nodeCount = engine === 'postgres' ? positive(flags, 'nodes') : 1;
  if (engine !== 'postgres' && positive(flags, 'nodes') > 1) notes.push(`${engine}: --nodes ${flags.nodes} ignored, PGlite is one process: one node`);
  const run: EngineRun = { engine, gate: 'memory', nodes: nodeCount, rushes: [] };

  const scratch = await engineDatabase(engine, context, notes, run);
  if (run.skipped) return run;
  const soukEnv: Record<string, string | undefined> = {};
  if (engine === 'postgres') {
    const redisUrl = flags['redis-url']!;
    const unreachable = redisUrl === 'none' ? 'disabled by --redis-url none' : await redisReachable(redisUrl);
    if (unreachable && nodeCount > 1) {
      // Each node's in-process gate would hand out the whole stock on its own.
      run.skipped = `--nodes ${nodeCount} needs the shared Redis stock gate, and Redis at ${redisUrl} is not used (${unreachable})`;
      notes.push(`postgres skipped: ${run.skipped}`);
      log(`postgres skipped: ${run.skipped}`);
      await scratch?.drop();
      return run;
    }
    if (unreachable) {
      notes.push(`postgres: Redis at ${redisUrl} not used (${unreachable}); the stock gate ran in process`);
      soukEnv.REDIS_URL = undefined;
    } else {
      const prefix = `souk_bench:${randomBytes(5).toString('hex')}:`;
      soukEnv.REDIS_URL = redisUrl;
      soukEnv.SOUK_REDIS_PREFIX = prefix;
      run.gate = 'redis';
      cleanup.add(`delete Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
      log(`${engine}: Redis stock gate at ${redisUrl}, key prefix ${prefix}`);
    }
  } else {
    // The embedded engine is one process: the in-process gate, whatever the shell's REDIS_URL says.
    soukEnv.REDIS_URL = undefined;
  }

  // One node after the other: the first migrates the database and creates the admin. Only the first has
  // the side port; the others find its customers in the shared database.
  const seedPort = await freePort();
  const nodes: SoukServer[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const remark = nodeCount === 1 ? `${run.gate} gate` : `${run.gate} gate, node ${i + 1}/${nodeCount}`;
    const started = await startBenchSouk(context, { engine, scratch, entry: 'flash-sale-server.ts', remark, env: { SEED_PORT: i === 0 ? String(seedPort) : undefined, ...soukEnv } });
    nodes.push(started.souk);
    run.readyAfterSeconds ??= started.readyAfterSeconds;
  }
  const souk = nodes[0]!;
  const label = `${engine}${nodeCount > 1 ? ` ×${nodeCount}` : ''} ${run.gate}`;

  const seedStarted = Date.now();
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const hotStock = quantity * options.rounds + 100;
  const shop = await seedShop(souk.baseUrl, seedPort, session, buyers, hotStock, log);
  run.buyers = shop.buyers.length;
  run.seedSeconds = round((Date.now() - seedStarted) / 1000, 1);
  await waitForNodesToSeeShop(nodes, session, shop, log);
  const sales: { saleId: string; quantity: number }[] = [];

  // Unmeasured warm-up on the other variant: JIT, pools, the session cache of the first buyers.
  if (options.warmupSeconds > 0) {
    const warmQuantity = Math.min(quantity, 500);
    const { saleId, startsAt } = await scheduleSale(session, shop.warmVariant, warmQuantity, limit, options.warmupSeconds);
    sales.push({ saleId, quantity: warmQuantity });
    log(`  warm-up (${options.warmupSeconds} s, ${options.connections} shoppers, ${warmQuantity} units)`);
    const warm = await runRush(nodes, shop, saleId, shop.warmVariant, warmQuantity, startsAt, options.connections, options.warmupSeconds);
    log(`  warm-up: ${warm.attemptsPerSecond} attempts/s, answers ${JSON.stringify(warm.answers)}`);
    await waitForDrain(session, saleId, drainWait);
    log(`  warm-up bare POST /purchase, same client (${options.warmupSeconds} s)`);
    await runBareSameClient(bare, shop, options.connections, options.warmupSeconds);
  }

  run.bare = newBareRounds();
  run.bareSameClient = [];
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuiet(options.quietWaitSeconds, log);
    await measureBareRound(bare, context, r, run.bare);

    await waitForQuiet(options.quietWaitSeconds, log);
    const sc = await runBareSameClient(bare, shop, options.connections, options.durationSeconds);
    run.bareSameClient.push(sc);
    const scOdd = Object.entries(sc.answers).filter(([k]) => k !== '409 sold_out');
    if (scOdd.length > 0) notes.push(`${engine} round ${r}: bare POST /purchase (same client) answered ${JSON.stringify(Object.fromEntries(scOdd))}`);
    log(
      `  round ${r}/${options.rounds} bare POST /purchase (same client): ${sc.attemptsPerSecond} req/s, p50 ${sc.p50Ms} ms, p99 ${sc.p99Ms} ms, ` +
        `cpu server ${sc.cpu.serverPercent}% / loadgen ${sc.cpu.loadGeneratorPercent}%${scOdd.length > 0 ? `  !! ${JSON.stringify(Object.fromEntries(scOdd))}` : ''}`,
    );

    const backgroundBeforePercent = await waitForQuiet(options.quietWaitSeconds, log);
    const { saleId, startsAt } = await scheduleSale(session, shop.hotVariant, quantity, limit, options.durationSeconds);
    sales.push({ saleId, quantity });
    const result = await runRush(nodes, shop, saleId, shop.hotVariant, quantity, startsAt, options.connections, options.durationSeconds);
    const drainedInTime = await waitForDrain(session, saleId, drainWait);
    // Answers given before the gate reach the counters within 250 ms (flash-sales/tally.ts).
    await sleep(600);
    const soukCountedAttempts = (await saleStats(session, saleId)).gate.counters.attempts;
    const rush: Rush = { ...result, quantity, label, round: r, saleId, drainedInTime, backgroundBeforePercent, soukCountedAttempts };
    run.rushes.push(rush);
    const odd = Object.entries(rush.answers).filter(([k]) => !k.startsWith('202') && !k.startsWith('409'));
    log(
      `  round ${r}/${options.rounds} rush × ${options.connections}${nodeCount > 1 ? ` on ${nodeCount} nodes` : ''}: ${rush.attemptsPerSecond} attempts/s, p50 ${rush.p50Ms} / p99 ${rush.p99Ms} ms, ` +
        `won ${rush.unitsWon}/${quantity}${rush.soldOutAfterSeconds === null ? ' (not sold out)' : `, sold out after ${rush.soldOutAfterSeconds} s`}, ` +
        `cpu server ${rush.cpu.serverPercent}% / loadgen ${rush.cpu.loadGeneratorPercent}% / other ${rush.cpu.otherPercent}%` +
        `${drainedInTime ? '' : `, drain NOT finished within ${drainWait} s`}${odd.length > 0 ? `  !! ${JSON.stringify(Object.fromEntries(odd))}` : ''}`,
    );
  }

  // The independent count, after the drain.
  await sleep(300);
  const allNodes = {
    dataDir: souk.dataDir,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  run.verification = await countInSql(allNodes, scratch, (query) => verify(query, shop.platformId, sales, limit));
  for (const rush of run.rushes) {
    const check = run.verification.sales.find((s) => s.saleId === rush.saleId);
    if (check?.firstOrderAt != null && check.lastOrderAt != null && check.orders > 1) {
      rush.drainSeconds = round((check.lastOrderAt - check.firstOrderAt) / 1000, 2);
      rush.ordersPerSecond = rush.drainSeconds > 0 ? round((check.orders - 1) / rush.drainSeconds, 0) : undefined;
    }
  }
  const v = run.verification;
  log(`${engine}: check: ${v.consistent ? 'consistent' : 'FAILED'}${v.problems.length > 0 ? ` — ${v.problems.join('; ')}` : ''}`);
  if (!v.consistent) notes.push(`${engine}: the database check FAILED: ${v.problems.join('; ')}`);
  return run;
}
