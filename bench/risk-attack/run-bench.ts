// `npm run bench -- risk --attack`: the scripted attack of issue 14 over real HTTP against a listening
// Souk (`souk start`, demo seed off, SOUK_TRUST_PROXY=1 so each actor's X-Forwarded-For is its client
// address), on the first engine of --engines: the confusion table, the goals, and the visits per second.
import { adminLogin } from '../lib/souk-api.ts';
import { BENCH_ADMIN, engineDatabase, type EngineDatabaseRecord } from '../lib/engine-run.ts';
import { httpRequest } from '../lib/http.ts';
import type { ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startSoukServer } from '../lib/servers.ts';
import { scaledAttack } from './actors.ts';
import { ATTACK_GOALS, attackTables, summarise } from './report.ts';
import { setupTargetShop } from './shop.ts';
import { runAttack, type Send } from './simulate.ts';

export async function runAttackBench(context: ScenarioContext): Promise<ScenarioReport> {
  const { options, cleanup, log } = context;
  const engine = options.engines[0] ?? 'embedded';
  const notes: string[] = [];
  const record: EngineDatabaseRecord = {};
  const scratch = await engineDatabase(engine, context, notes, record);
  log(`${engine}: starting souk (bin/souk.js start, SOUK_TRUST_PROXY=1)…`);
  const souk = await startSoukServer({
    engine: scratch ? 'postgres' : 'embedded',
    databaseUrl: scratch?.url,
    cleanup,
    // A loaded two-core machine can take minutes to boot PGlite and run the migrations.
    readyTimeoutMs: 600_000,
    // The per-IP sign-up/login limit would stop the farm before the risk engine sees it (429): raised so the
    // tables measure the engine alone, as the test's configuration does.
    env: { SOUK_LOGIN_LIMIT_PER_IP: '1000000', SOUK_LOGIN_LIMIT_PER_ACCOUNT: '1000000', SOUK_SEED_DEMO: '0', SOUK_ADMIN_EMAIL: BENCH_ADMIN.email, SOUK_ADMIN_PASSWORD: BENCH_ADMIN.password, SOUK_TRUST_PROXY: '1', ...options.soukEnv },
  });
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const send: Send = async (r) => {
    const res = await httpRequest(`${souk.baseUrl}${r.url}`, {
      method: r.method,
      headers: { ...(r.headers ?? {}), ...(r.ip ? { 'x-forwarded-for': r.ip } : {}) },
      ...(r.payload === undefined ? {} : { json: r.payload }),
      timeoutMs: 60_000,
    });
    return { status: res.status, body: res.text.length > 0 ? (JSON.parse(res.text) as Record<string, unknown>) : {} };
  };
  const divisor = Number(context.flags.scale);
  if (!Number.isInteger(divisor) || divisor < 1) throw new Error(`--scale must be a whole number ≥ 1, got "${context.flags.scale}"`);
  const shape = scaledAttack(divisor);
  const shop = await setupTargetShop(send, session.token, 'attack-target', shape.attackers + shape.shoppers);
  log(`${engine}: ${shape.attackers} attackers (${shape.attackerIps} IPs, ${shape.attackerDevices} devices) and ${shape.shoppers} shoppers, ${options.connections} at a time`);
  const run = await runAttack(send, shop, shape, options.connections, (done, total) => log(`  ${done}/${total} visits`));
  await souk.stop();
  const summary = summarise(run.results);
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  const tables = attackTables(run.results);
  tables.unshift({
    title: `Scripted bonus-hunter attack, default policies (${engine}, over HTTP, ${run.seconds.toFixed(1)} s, ${Math.round(run.results.length / run.seconds)} visits/s)`,
    columns: ['measure', 'value', 'goal', 'met'],
    rows: [
      ['farm coupon redemptions stopped', `${(100 * summary.couponStopped).toFixed(1)} %`, `≥ ${100 * ATTACK_GOALS.attackerStopped} %`, met(summary.couponStopped >= ATTACK_GOALS.attackerStopped)],
      ['farm flash-sale wins stopped', `${(100 * summary.saleStopped).toFixed(1)} %`, `≥ ${100 * ATTACK_GOALS.attackerStopped} %`, met(summary.saleStopped >= ATTACK_GOALS.attackerStopped)],
      ['ordinary shoppers affected', `${(100 * summary.shoppersAffected).toFixed(1)} %`, `≤ ${100 * ATTACK_GOALS.shopperAffected} %`, met(summary.shoppersAffected <= ATTACK_GOALS.shopperAffected)],
    ],
  });
  if (summary.errors.length > 0) notes.push(`${summary.errors.length} answers were neither a success nor a risk answer, e.g. ${summary.errors.slice(0, 3).join('; ')}`);
  notes.push('The farm never solves a challenge (its scripts do not run the proof of work); a shopper challenged, denied or held counts as affected.');
  return { tables, notes, data: { engine, database: record.database, seconds: run.seconds, summary: { ...summary, errors: summary.errors.length }, shape } };
}
