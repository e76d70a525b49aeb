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
//
// The parts live in bench/catalog/: the seed check, the many-platform setup, one engine's run and the
// tables; this file holds the flags and the run across engines.
import { runEngine } from '../catalog/run-engine.ts';
import { GOALS, flagProblems, buildTables } from '../catalog/tables.ts';
import { eachEngineBesideBare } from '../lib/engine-run.ts';
import type { Scenario, ScenarioReport } from '../lib/scenario.ts';

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
    const { flags } = context;
    for (const flag of ['platforms', 'products-per-platform', 'create-concurrency', 'spread-products']) {
      const value = Number(flags[flag]);
      if (!Number.isInteger(value) || value < (flag === 'platforms' ? 0 : 1)) throw new Error(`--${flag} must be a positive integer, got "${flags[flag]}"`);
    }
    const notes: string[] = [
      `The load generator (autocannon, in the harness process) runs on the same ${context.machine.cores} cores as the server it measures.`,
    ];
    const runs = await eachEngineBesideBare(context, async (engine, bare) => {
      const run = await runEngine(engine, bare, context, notes);
      flagProblems(engine, run.twoPlatforms, notes);
      flagProblems(engine, run.manyPlatforms, notes);
      return run;
    });
    return { tables: buildTables(runs, context), notes, data: { goals: GOALS, engines: runs } };
  },
};
