// CPU per flash-sale purchase attempt with the risk engine off and on, in one process: an embedded Souk
// (PGlite in memory) answering purchases through Fastify's inject, so no HTTP client, no other process
// and no network share the measurement, and the difference on minus off is what the risk hook (the
// decision, its metrics and the recorder storing 5 % of allows into PGlite) costs per attempt. The shop,
// the shoppers' headers and the policy are the rush's (bench/risk-rush.ts): 50 concurrent shoppers with
// their own device, no user agent, customers taken in turn, a sale of --quantity units (two per customer)
// per phase that sells out early, the bench's 20-rule policy with thresholds out of reach (all allows).
// Phases alternate off, on, off, on …; each reports CPU µs per attempt (user + system of this process).
//   node --import tsx bench/tools/risk-hook-cost.ts [--attempts 20000] [--phases 4] [--buyers 2000] [--quantity 100]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/tools/risk-hook-cost.ts --phases 1 --only on
import { parseArgs } from 'node:util';
import { createSouk } from '../../src/server.ts';
import { loginAsNewOwner, testConfig, type TestEnv } from '../../test/harness.ts';
import { COMMERCE_MODULES, createShop, stockedVariants } from '../../test/commerce.ts';
import { seedCustomers } from '../lib/seed-customers.ts';
import { allowingPolicy } from '../risk-rush.ts';
import { benchPolicy } from '../scenarios/risk.ts';

const { values: flags } = parseArgs({
  options: {
    attempts: { type: 'string', default: '20000' },
    phases: { type: 'string', default: '4' },
    buyers: { type: 'string', default: '2000' },
    quantity: { type: 'string', default: '100' },
    shoppers: { type: 'string', default: '50' },
    /** Run only phases with risk on (or off): for a CPU profile of one side. */
    only: { type: 'string' },
  },
});
const attempts = Number(flags.attempts);
const phases = Number(flags.phases);
const shoppers = Number(flags.shoppers);

const souk = await createSouk({ inMemory: true, logger: false, config: { ...testConfig, seedDemo: false } });
const env: TestEnv = { engine: 'pglite', souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
const shop = await createShop(env, 'hook-cost', { 'flash-sales': { purchasesPerIpPerMinute: 10_000_000, purchasesPerDevicePerMinute: 1_000_000 } });
const variant = (await stockedVariants(shop, 1, 1_000_000))[0]!;
const buyers = (await seedCustomers(souk, shop.platform.platform.id, Number(flags.buyers))).map((c) => c.token);

const setRisk = async (on: boolean) => {
  const res = await shop.env.app.inject({
    method: 'PATCH',
    url: `/admin/platforms/${shop.slug}`,
    headers: { authorization: `Bearer ${env.ownerToken}` },
    payload: { modules: on ? [...COMMERCE_MODULES, 'risk'] : COMMERCE_MODULES },
  });
  if (res.statusCode !== 200) throw new Error(`switching risk ${on ? 'on' : 'off'}: ${res.statusCode} ${res.body}`);
};
await setRisk(true);
const policy = await shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/risk/policies/flash_sale`, payload: { document: allowingPolicy(benchPolicy()) } });
if (policy.statusCode !== 200) throw new Error(`policy: ${policy.statusCode} ${policy.body}`);

async function newSale(): Promise<string> {
  const res = await shop.admin({
    method: 'POST',
    url: `/admin/platforms/${shop.slug}/flash-sales`,
    payload: {
      name: `Hook cost ${Date.now()}`,
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      perCustomerLimit: 2,
      minAccountAgeHours: 0,
      paymentTimeoutSeconds: 3600,
      items: [{ variantId: variant, salePrice: 500, quantity: Number(flags.quantity) }],
    },
  });
  if (res.statusCode !== 201) throw new Error(`sale: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}

async function phase(on: boolean): Promise<{ cpuUs: number; wallUs: number; answers: Record<string, number> }> {
  await setRisk(on);
  const saleId = await newSale();
  const payload = JSON.stringify({ variantId: variant, quantity: 1 });
  const answers: Record<string, number> = {};
  let next = 0;
  let sent = 0;
  const shopper = async (s: number) => {
    const headers = { ...shop.platform.store, 'content-type': 'application/json', 'x-device-id': `bench-device-${s}`, accept: 'application/json' };
    while (sent < attempts) {
      sent += 1;
      const token = buyers[next++ % buyers.length]!;
      const res = await souk.app.inject({ method: 'POST', url: `/store/flash-sales/${saleId}/purchase`, payload, headers: { ...headers, authorization: `Bearer ${token}` } });
      const key = String(res.statusCode);
      answers[key] = (answers[key] ?? 0) + 1;
    }
  };
  // Untimed: the first attempts of a sale load its caches and the gate.
  const cpu = process.cpuUsage();
  const began = performance.now();
  await Promise.all(Array.from({ length: shoppers }, (_, s) => shopper(s)));
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - began;
  return { cpuUs: (used.user + used.system) / attempts, wallUs: (wall * 1000) / attempts, answers };
}

const results: { risk: string; cpuUs: number; wallUs: number }[] = [];
// One unmeasured phase each way first (JIT, the platform's compiled risk state).
if (!flags.only) {
  await phase(true);
  await phase(false);
}
for (let p = 0; p < phases; p++) {
  const on = flags.only ? flags.only === 'on' : p % 2 === 1;
  const r = await phase(on);
  results.push({ risk: on ? 'on' : 'off', cpuUs: r.cpuUs, wallUs: r.wallUs });
  console.log(`phase ${p + 1}: risk ${on ? 'on ' : 'off'}  ${r.cpuUs.toFixed(1)} µs CPU per attempt, ${r.wallUs.toFixed(1)} µs wall  ${JSON.stringify(r.answers)}`);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const off = median(results.filter((r) => r.risk === 'off').map((r) => r.cpuUs));
const on = median(results.filter((r) => r.risk === 'on').map((r) => r.cpuUs));
if (Number.isFinite(off) && Number.isFinite(on)) {
  console.log(`median CPU per attempt: off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs, risk costs ${(on - off).toFixed(1)} µs (${((100 * off) / on).toFixed(0)} % of off's throughput per CPU-second)`);
}
await souk.close();
