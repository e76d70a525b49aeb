// One engine's checkout run: Souk on the checkout entry, the shop, the warm-up, per round bare Fastify
// then every mode × concurrency of virtual customers, and the count in SQL.
import { setTimeout as sleep } from 'node:timers/promises';
import { measureBareRound, newBareRounds, type BareRounds } from '../lib/bare-rounds.ts';
import { BENCH_ADMIN, countInSql, engineDatabase, startBenchSouk, type SoukEngineRecord } from '../lib/engine-run.ts';
import { freePort } from '../lib/processes.ts';
import { waitForQuiet } from '../lib/rounds.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import type { Engine, StartedServer } from '../lib/servers.ts';
import { adminLogin } from '../lib/souk-api.ts';
import { round, sum } from '../lib/stats.ts';
import { runCustomers, type Mode } from './customers.ts';
import { summarize, toPhase, type Phase, type PhaseSummary } from './phases.ts';
import { seedShop } from './shop.ts';
import { verify, type Verification } from './verify.ts';

export interface EngineRun extends SoukEngineRecord {
  variants?: number;
  stockPerVariant?: number;
  seedSeconds?: number;
  bare?: BareRounds;
  phases: Phase[];
  summaries: PhaseSummary[];
  verification?: Verification;
}

function parseList(raw: string, name: string): number[] {
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${name} must be a list of positive integers, got "${raw}"`);
  return values;
}

export async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
  const { options, flags, log } = context;
  const run: EngineRun = { engine, phases: [], summaries: [] };
  const customersList = parseList(flags.customers ?? '8,32,64', 'customers');
  const modes = (flags.modes ?? 'distinct,hot').split(',').map((m) => m.trim()) as Mode[];
  for (const mode of modes) if (mode !== 'distinct' && mode !== 'hot') throw new Error(`--modes: unknown mode "${mode}" (distinct, hot)`);
  const variants = Number(flags.variants);
  const stock = Number(flags.stock);

  const scratch = await engineDatabase(engine, context, notes, run);
  if (run.skipped) return run;

  const signerPort = await freePort();
  const { souk, readyAfterSeconds } = await startBenchSouk(context, { engine, scratch, entry: 'checkout-server.ts', env: { SIGNER_PORT: String(signerPort) } });
  run.readyAfterSeconds = readyAfterSeconds;

  const seedStarted = Date.now();
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const shop = await seedShop(session, variants, stock, log);
  run.variants = shop.variants.length;
  run.stockPerVariant = stock;
  await scratch?.analyze();
  run.seedSeconds = round((Date.now() - seedStarted) / 1000, 1);

  // Unmeasured warm-up: JIT, connection pool, caches.
  if (options.warmupSeconds > 0) {
    log(`  warm-up (${options.warmupSeconds} s, distinct, ${customersList[0]} customers)`);
    const warm = await runCustomers(souk.port, signerPort, shop, 'distinct', customersList[0]!, options.warmupSeconds, souk.pid);
    run.phases.push(toPhase('distinct', customersList[0]!, 0, warm, options.warmupSeconds));
    if (warm.recorder.failed > 0) log(`  warm-up failures: ${JSON.stringify(warm.recorder.failures)}`);
  }

  run.bare = newBareRounds();
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuiet(options.quietWaitSeconds, log);
    await measureBareRound(bare, context, r, run.bare);
    for (const mode of modes) {
      for (const customers of customersList) {
        const backgroundBeforePercent = await waitForQuiet(options.quietWaitSeconds, log);
        const result = await runCustomers(souk.port, signerPort, shop, mode, customers, options.durationSeconds, souk.pid);
        const phase = { ...toPhase(mode, customers, r, result, options.durationSeconds), backgroundBeforePercent };
        run.phases.push(phase);
        const failures = phase.failedFlows > 0 ? `  !! ${phase.failedFlows} failed flows ${JSON.stringify(phase.failures)}` : '';
        log(
          `  round ${r}/${options.rounds} ${mode} × ${customers}: ${phase.ordersPerSecond} orders/s, checkout p50 ${phase.steps.checkout.p50Ms} / p99 ${phase.steps.checkout.p99Ms} ms, ` +
            `flow p50 ${phase.flowP50Ms} ms, cpu server ${phase.cpu.serverPercent}% / loadgen ${phase.cpu.loadGeneratorPercent}% / other ${phase.cpu.otherPercent}% (PostgreSQL ${phase.cpu.databasePercent}%), ` +
            `CPU per order: Souk ${phase.soukMsPerOrder} ms, PostgreSQL ${phase.databaseMsPerOrder} ms${failures}`,
        );
      }
    }
  }
  run.summaries = summarize(run.phases.filter((p) => p.round > 0));

  // The independent count, after every flow has ended.
  const flows = sum(run.phases.map((p) => p.ordersCompleted + p.finishedAfterDeadline));
  await sleep(500);
  run.verification = await countInSql(souk, scratch, (query) => verify(query, shop, stock, flows));
  const v = run.verification;
  log(`${engine}: check: ${JSON.stringify(v)}`);
  if (!v.consistent) notes.push(`${engine}: the database check FAILED: ${JSON.stringify(v)}`);
  return run;
}
