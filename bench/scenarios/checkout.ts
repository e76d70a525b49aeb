// Checkout (issue: commerce flow): completed orders per second and latency per step of the whole
// storefront flow, over real HTTP on loopback, with a bare Fastify server measured in the same run.
//
// Per engine (embedded PGlite, then PostgreSQL in a scratch database):
//   1. start Souk (bench/checkout-server.ts: createSouk + listen as `souk start` does, plus a loopback
//      side port where the sandbox provider signs its webhook) with the demo seed off;
//   2. through the admin API: one platform with the commerce modules, --variants variants (100 per
//      product) at 10.00 USD, each stocked with --stock units;
//   3. bare Fastify hello with autocannon (the machine's HTTP ceiling in this run);
//   4. closed-loop virtual customers, each on its own keep-alive connection, doing the whole flow back to
//      back: create cart (email) → add line × 2 → shipping method → checkout (Idempotency-Key) → start a
//      sandbox payment (X-Order-Token) → the provider approves and signs the webhook (side port,
//      signedSandboxWebhook) → POST the webhook → the order is paid. For --duration s per phase, for each
//      concurrency in --customers, in two modes:
//        distinct: every customer buys 2 variants from a slice of the catalogue no other customer uses;
//        hot:      every customer's first line is the same variant (one stock row for everybody), the
//                  second line one of its own;
//      a customer starts no new flow after the deadline and finishes the one in flight (counted in the
//      database check, not in orders/s);
//   5. independent check in SQL (pg on PostgreSQL; PGlite opened after Souk stopped): orders paid =
//      payments succeeded = flows the customers completed, units committed (ledger) = units in paid
//      orders, every level's on hand = stock set − its committed units, no level oversold.
//
// The parts live in bench/checkout/: the shop, the virtual customers, the phases and their medians, one
// engine's run, the SQL count and the tables; this file holds the flags and the run across engines.
import { runEngine } from '../checkout/run-engine.ts';
import { buildTables, GOALS } from '../checkout/tables.ts';
import { eachEngineBesideBare } from '../lib/engine-run.ts';
import { positive } from '../lib/flags.ts';
import type { Scenario, ScenarioReport } from '../lib/scenario.ts';

export const checkoutScenario: Scenario = {
  name: 'checkout',
  description: 'The whole storefront flow (cart → checkout → sandbox payment → webhook) over HTTP, distinct and hot variants, vs bare Fastify.',
  flags: {
    customers: { description: 'closed-loop virtual customers per phase, a comma-separated sweep', default: '8,32,64' },
    modes: { description: 'distinct (own variants per customer), hot (one variant in every cart)', default: 'distinct,hot' },
    variants: { description: 'variants in the catalogue (100 per product)', default: '2000' },
    stock: { description: 'units on hand per variant', default: '1000000' },
  },
  async run(context): Promise<ScenarioReport> {
    for (const flag of ['variants', 'stock']) positive(context.flags, flag);
    const notes: string[] = [
      `The load generator (virtual customers and autocannon, in the harness process) runs on the same ${context.machine.cores} cores as Souk and PostgreSQL.`,
      'Each phase runs --duration s; customers start no flow after it and finish the one in flight (those flows are in the database check, not in orders/s).',
    ];
    const runs = await eachEngineBesideBare(context, async (engine, bare) => {
      const run = await runEngine(engine, bare, context, notes);
      for (const s of run.summaries) {
        if (s.failedFlows > 0) notes.push(`${engine} / ${s.mode} × ${s.customers}: ${s.failedFlows} failed flows — see the JSON result for reasons.`);
      }
      return run;
    });
    return { tables: buildTables(runs), notes, data: { goals: GOALS, engines: runs } };
  },
};
