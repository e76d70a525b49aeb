// CPU per risk screen of a flash-sale purchase, the gate alone: an embedded Souk with the risk module on
// and the rush's policy (the bench's 20 rules, thresholds out of reach: all allows, 5 % stored), then
// ctx.riskGate.screen called as the flash-sale hook calls it — the rush's facts, 50 devices, 2,000
// accounts in turn, no user agent — in batches, each batch awaited only if the gate answered with a
// promise. Reported: CPU µs per screen (user + system of this process, the recorder's writes into
// PGlite included, as they happen during the run), and how many screens answered without a promise.
//   node --import tsx bench/tools/risk-gate-cost.ts [--screens 200000] [--rounds 5] [--sample 0.05 (the allows stored)]
import { parseArgs } from 'node:util';
import { createSouk } from '../../src/server.ts';
import { loginAsNewOwner, testConfig, type TestEnv } from '../../test/harness.ts';
import { COMMERCE_MODULES, createShop } from '../../test/commerce.ts';
import type { RiskVerdict } from '../../src/kernel/risk-gate.ts';
import { riskModule } from '../../src/modules/risk/index.ts';
import { allowingPolicy } from '../risk-rush.ts';
import { benchPolicy } from '../scenarios/risk.ts';

const { values: flags } = parseArgs({ options: { screens: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' }, sample: { type: 'string', default: '0.05' } } });
const screens = Number(flags.screens);
const souk = await createSouk({ inMemory: true, logger: false, config: { ...testConfig, seedDemo: false } });
const env: TestEnv = { engine: 'pglite', souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
const shop = await createShop(env, 'gate-cost', undefined, [...COMMERCE_MODULES, 'risk']);
const put = await shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/risk/policies/flash_sale`, payload: { document: { ...allowingPolicy(benchPolicy()), allowSampleRate: Number(flags.sample) } } });
if (put.statusCode !== 200) throw new Error(`policy: ${put.statusCode} ${put.body}`);
const platform = { id: shop.platform.platform.id, modules: [...COMMERCE_MODULES, 'risk'] };
const gate = souk.ctx.riskGate;
const created = new Date(Date.now() - 30 * 86_400_000).toISOString();
const accounts = Array.from({ length: 2000 }, (_, i) => ({ id: `acct-${i}`, email: `shopper${i}@example.com` }));
const requests = Array.from({ length: 50 }, (_, s) => ({ ip: '127.0.0.1', headers: { 'x-device-id': `bench-device-${s}`, accept: 'application/json' } as Record<string, string> }));
const saleId = '01900000-0000-7000-8000-000000000001';

let sync = 0;
async function run(count: number): Promise<number> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i += 1000) {
    const pending: Promise<RiskVerdict>[] = [];
    for (let k = i; k < i + 1000 && k < count; k++) {
      const account = accounts[k % accounts.length]!;
      const verdict = gate.screen(platform, 'flash_sale', requests[k % requests.length]!, { accountId: account.id, email: account.email, accountCreatedAt: created, saleId, amount: 500, currency: 'USD' }, { holdable: true });
      if (verdict instanceof Promise) pending.push(verdict);
      else sync += 1;
    }
    await Promise.all(pending);
    // Lets the recorder's timer write its queue, as it does between requests in a server.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / count;
}

await run(20_000);
const results: number[] = [];
for (let r = 0; r < Number(flags.rounds); r++) {
  sync = 0;
  const us = await run(screens);
  results.push(us);
  console.log(`round ${r + 1}: ${us.toFixed(2)} µs CPU per screen, ${((100 * sync) / screens).toFixed(0)} % answered without a promise`);
}
results.sort((a, b) => a - b);
const runtime = souk.runtimeOf(riskModule);
await runtime.recorder.flush();
console.log(`median ${results[Math.floor(results.length / 2)]!.toFixed(2)} µs CPU per screen (${Math.round(1e6 / results[Math.floor(results.length / 2)]!).toLocaleString('en-US')} per CPU-second); decisions dropped by the recorder: ${runtime.recorder.dropped}`);
await souk.close();
