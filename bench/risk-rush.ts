// The flash-sale rush with the risk engine off and on, in one run, against one Souk and one bare Fastify
// (issue 14's third target: rush throughput with risk on >= 90 % of risk off). It reuses the flash-sale
// harness (bench/flash-sale/: the shop, the sales, the closed-loop shoppers) on the embedded engine:
//   1. bare Fastify and Souk (bench/flash-sale-server.ts), the flash shop with --rush-buyers customers;
//      its platform gets the risk module and a flash_sale policy: the bench's 20 rules, every one
//      evaluated on every attempt, with thresholds out of reach and no forced action, so every decision
//      is an allow (a refused attempt is cheaper than a purchase and would flatter "risk on"); allows
//      are stored at the policy's 5 % sample, as in production;
//   2. an unmeasured warm-up rush with risk on (JIT, the platform's compiled risk state);
//   3. per round: bare GET / with autocannon (the machine's HTTP ceiling), then one rush with risk off
//      and one with risk on (the order alternates between rounds), each on a new sale of --rush-quantity
//      units (two per customer) that sells out early in the rush, as in `npm run bench -- flash-sale`.
//      The risk hook judges every attempt while units are left; after the sell-out (most of a rush)
//      the node's sold-out flag answers first and no decision is made. With --rush-quantity at least
//      twice --rush-buyers the sale cannot sell out (two units per customer), so every attempt is
//      judged: the gate answers the losers "limit reached" after the risk hook;
// Risk is switched by the platform's module list (PATCH /admin/platforms/:platform), as an operator would.
// Reported: attempts/s (wall), attempts per server CPU-second (stable when other processes share the
// machine), p50/p99, ratio on/off, ratio to bare, and the 1-minute load average during each rush.
import { loadavg } from 'node:os';
import { adminLogin } from './lib/souk-api.ts';
import { measureBareRound, newBareRounds, type BareRounds } from './lib/bare-rounds.ts';
import { BENCH_ADMIN, startBenchSouk } from './lib/engine-run.ts';
import { positive } from './lib/flags.ts';
import { httpJson } from './lib/http.ts';
import { freePort } from './lib/processes.ts';
import { waitForQuietIfAsked } from './lib/rounds.ts';
import type { ScenarioContext, ScenarioReport } from './lib/scenario.ts';
import { startBareServer } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';
import { scheduleSale, waitForDrain } from './flash-sale/sales.ts';
import { seedShop, SHOP } from './flash-sale/shop.ts';
import { runRush, type ShopperRun } from './flash-sale/shoppers.ts';
import type { PolicyDocument } from '../src/modules/risk/policy.ts';

const RUSH_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales'];

interface RushRound {
  risk: 'off' | 'on';
  round: number;
  run: ShopperRun;
  /** Attempts per CPU-second of the Souk process. */
  perServerCpuSecond: number;
  loadAverage: number;
}

/** Every rule scores and none forces an action; the thresholds are out of reach: all allows. */
export function allowingPolicy(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    rules: policy.rules.map(({ action: _action, ...rule }) => ({ ...rule, score: rule.score ?? 50 })),
    thresholds: [100_000 - 3, 100_000 - 2, 100_000 - 1, 100_000],
  };
}

export async function runRiskRush(context: ScenarioContext, policy: PolicyDocument): Promise<{ report: ScenarioReport['tables'][number]; notes: string[]; data: Record<string, unknown> }> {
  const { options, flags, cleanup, log } = context;
  const buyers = positive(flags, 'rush-buyers');
  const notes: string[] = [];
  const bare = await startBareServer(cleanup);
  log(`rush: bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
  const seedPort = await freePort();
  const { souk } = await startBenchSouk(context, {
    engine: 'embedded',
    scratch: undefined,
    entry: 'flash-sale-server.ts',
    remark: 'risk on/off rush',
    // Orders drain fast enough that one rush's orders are made before the next rush starts.
    env: { SEED_PORT: String(seedPort), REDIS_URL: undefined, SOUK_FLASH_DRAIN_PER_SECOND: '2000' },
  });
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const quantity = positive(flags, 'rush-quantity');
  const shop = await seedShop(souk.baseUrl, seedPort, session, buyers, quantity * (options.rounds * 2 + 2), log);
  const auth = { authorization: `Bearer ${session.token}` };
  const setRisk = async (on: boolean) => {
    await httpJson(`${souk.baseUrl}/admin/platforms/${SHOP.slug}`, { method: 'PATCH', headers: auth, json: { modules: on ? [...RUSH_MODULES, 'risk'] : RUSH_MODULES } });
  };
  await setRisk(true);
  await httpJson(`${souk.baseUrl}/admin/platforms/${SHOP.slug}/risk/policies/flash_sale`, { method: 'PUT', headers: auth, json: { document: allowingPolicy(policy) } });

  const rush = async (risk: 'off' | 'on', seconds: number) => {
    await setRisk(risk === 'on');
    const { saleId, startsAt } = await scheduleSale(session, shop.hotVariant, quantity, 2, seconds);
    const loadBefore = loadavg()[0]!;
    const run = await runRush([souk], shop, saleId, shop.hotVariant, quantity, startsAt, options.connections, seconds);
    const loadAverage = round((loadBefore + loadavg()[0]!) / 2, 2);
    if (!(await waitForDrain(session, saleId, 120))) notes.push(`rush (risk ${risk}): orders not drained within 120 s`);
    const serverCpuSeconds = (run.cpu.serverPercent / 100) * run.durationSeconds;
    return { run, loadAverage, perServerCpuSecond: serverCpuSeconds > 0 ? Math.round(run.attempts / serverCpuSeconds) : 0 };
  };

  const sides = flags['rush-sides'] ?? 'both';
  if (sides !== 'both' && sides !== 'on' && sides !== 'off') throw new Error(`--rush-sides must be both, on or off, not "${sides}"`);
  const measured = (risk: 'off' | 'on') => sides === 'both' || sides === risk;
  if (options.warmupSeconds > 0) {
    log(`rush: warm-up ${options.warmupSeconds} s with risk on, then off`);
    if (measured('on')) await rush('on', options.warmupSeconds);
    if (measured('off')) await rush('off', options.warmupSeconds);
  }
  const bareRounds: BareRounds = newBareRounds();
  const rushes: RushRound[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuietIfAsked(options.quietWaitSeconds, log);
    await measureBareRound(bare, context, r, bareRounds);
    const order: ('off' | 'on')[] = r % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
    for (const risk of order.filter(measured)) {
      await waitForQuietIfAsked(options.quietWaitSeconds, log);
      const result = await rush(risk, options.durationSeconds);
      rushes.push({ risk, round: r, ...result });
      const odd = Object.entries(result.run.answers).filter(([k]) => !k.startsWith('202') && !k.startsWith('409'));
      log(
        `  round ${r}/${options.rounds} rush, risk ${risk}: ${result.run.attemptsPerSecond} attempts/s (${result.perServerCpuSecond} per server CPU-second), ` +
          `p50 ${result.run.p50Ms} / p99 ${result.run.p99Ms} ms, cpu server ${result.run.cpu.serverPercent}%, load average ${result.loadAverage}` +
          `${odd.length > 0 ? `  !! ${JSON.stringify(Object.fromEntries(odd))}` : ''}`,
      );
      if (odd.length > 0) notes.push(`rush round ${r}, risk ${risk}: unexpected answers ${JSON.stringify(Object.fromEntries(odd))}`);
    }
  }
  await souk.stop();
  await bare.stop();

  const bareRps = median(bareRounds.requestsPerSecond);
  const of = (risk: 'off' | 'on') => rushes.filter((x) => x.risk === risk);
  const med = (risk: 'off' | 'on', pick: (x: RushRound) => number) => median(of(risk).map(pick));
  const offRate = med('off', (x) => x.run.attemptsPerSecond);
  const offCpu = med('off', (x) => x.perServerCpuSecond);
  const row = (risk: 'off' | 'on') => {
    const rate = med(risk, (x) => x.run.attemptsPerSecond);
    const cpu = med(risk, (x) => x.perServerCpuSecond);
    return [
      `risk ${risk}`,
      Math.round(rate),
      Math.round(cpu),
      `${round((100 * rate) / offRate, 0)}%`,
      `${round((100 * cpu) / offCpu, 0)}%`,
      `${round((100 * rate) / bareRps, 0)}%`,
      round(med(risk, (x) => x.run.p50Ms), 2),
      round(med(risk, (x) => x.run.p99Ms), 2),
      `${round(med(risk, (x) => x.run.cpu.serverPercent), 0)}%`,
      round(med(risk, (x) => x.loadAverage), 2),
    ];
  };
  notes.push(
    `Rush: embedded engine, ${options.connections} closed-loop shoppers on one hot variant, ${buyers.toLocaleString('en-US')} buyers taken in turn, a sale of ${quantity} units (two per customer) per rush; ${quantity >= 2 * buyers ? 'the sale cannot sell out, so every attempt passes the risk hook before the stock gate' : 'every attempt passes the risk hook while units are left; after the sell-out the node\'s sold-out flag answers first, without a decision'}; bare Fastify GET / (autocannon) median ${Math.round(bareRps).toLocaleString('en-US')} req/s in the same run.`,
    `Risk on: the bench's ${policy.rules.length}-rule policy on the flash_sale point, every rule evaluated, thresholds out of reach (all allows, 5 % stored). The goal is risk on ≥ 90 % of risk off.`,
  );
  return {
    report: {
      title: `Flash-sale rush with the risk engine off and on (embedded, ${options.connections} shoppers), medians of ${options.rounds} round(s)`,
      columns: ['rush', 'attempts/s', 'per server CPU-s', 'vs risk off', 'vs risk off (per CPU-s)', 'vs bare (autocannon)', 'p50 ms', 'p99 ms', 'CPU server', 'load avg'],
      rows: (['off', 'on'] as const).filter(measured).map(row),
    },
    notes,
    data: { bare: bareRounds, rushes, buyers },
  };
}
