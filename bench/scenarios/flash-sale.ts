// Flash sale (issue 5): a rush of many logged-in customers on ONE hot variant, over real HTTP on loopback,
// with a bare Fastify server measured in the same run, twice: with autocannon (the machine's HTTP ceiling)
// and with the rush's own shopper client (like for like: the shoppers are node:http in the harness
// process, far dearer per request than autocannon, on the same cores as the servers).
//
// Per engine — embedded (PGlite, in-process stock gate) and postgres (PostgreSQL in a scratch database,
// with the Redis stock gate when Redis answers at --redis-url, under a random key prefix deleted at the
// end; the in-process gate otherwise, said in the notes):
//   1. start Souk (bench/flash-sale-server.ts: createSouk + listen as `souk start` does, plus a loopback
//      side port that seeds customers with sessions; the demo seed is off). With --nodes N (postgres only:
//      PGlite is one process) N such servers, one after the other, each on its own port, on the same
//      scratch database and the same Redis URL and key prefix (one stock gate, one set of rate limits);
//      only the first has the side port, and the admin calls below go to it;
//   2. through the admin API: one platform with the commerce modules and flash-sales (purchase rate limits
//      raised: every shopper here comes from 127.0.0.1), one product with a hot variant stocked for every
//      sale of the run and a warm-up variant; --buyers customers through the side port;
//   3. an unmeasured warm-up (--warmup s): a rush on a sale of the warm-up variant, then the shoppers on
//      bare Fastify's POST /purchase;
//   4. per round, right before its rush, with the rush's --connections and --duration:
//      a. bare Fastify GET / with autocannon (the HTTP ceiling of this run);
//      b. bare Fastify POST /purchase with exactly the rush's client (runShoppers: same keep-alive agent
//         per shopper, same headers incl. authorization and x-device-id, same JSON body, same closed
//         loop); it parses the body and answers a 409 sold-out problem of Souk's size;
//   5. per round, a new sale of --quantity units of the hot variant (limit --limit per customer) starting
//      2 s after it is scheduled; when it starts, --connections closed-loop shoppers (one keep-alive
//      connection each, shopper s to node s mod N) send purchase attempts back to back for --duration s,
//      each attempt as the next buyer in turn. Measured: attempts/s answered at HTTP, p50/p99 of all
//      answers and of winners (202) and losers (409), the time from the start until the last unit was won
//      (sold out), the CPU of all nodes together, and the drain: orders created per second from the first
//      to the last order of the sale (the server's SOUK_FLASH_DRAIN_PER_SECOND, default 200 per node,
//      caps it; --souk-env changes it);
//   6. after waiting for the drain (bounded), an independent count in SQL (pg on PostgreSQL, whichever
//      nodes drained; PGlite opened after Souk stopped): per sale, ticketed units (pending or ordered)
//      ≤ quantity, nobody above the limit, orders = tickets, order units = ticketed units at the sale
//      price, no ticket still pending, and no inventory level with reserved > on hand. Zero oversell is the goal; the tables say if not.
// The rush table gives attempts/s against both bare figures ("vs bare (autocannon)", "vs bare (same client)").
// Load goes to 127.0.0.1 only; every phase is bounded by --duration, the drain wait by --drain-wait.
//
// The parts live in bench/flash-sale/: the shop, the sales, the shoppers, the Redis gate, one engine's
// run, the SQL count and the tables; this file holds the flags and the run across engines.
import { runEngine } from '../flash-sale/run-engine.ts';
import { buildTables } from '../flash-sale/tables.ts';
import { eachEngineBesideBare } from '../lib/engine-run.ts';
import type { Scenario, ScenarioReport } from '../lib/scenario.ts';

export const flashSaleScenario: Scenario = {
  name: 'flash-sale',
  description: 'A rush of logged-in customers on one hot flash-sale variant over HTTP: attempts/s, p50/p99, time to sell out, orders/s drained, zero oversell by SQL, vs bare Fastify (autocannon and the same client).',
  flags: {
    buyers: { description: 'customer accounts with sessions; attempts take them in turn', default: '20000' },
    quantity: { description: 'units of the hot variant per sale (one sale per round)', default: '5000' },
    limit: { description: 'units one customer may hold in a sale', default: '2' },
    'redis-url': { description: 'Redis for the postgres engine’s stock gate ("none": in process)', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'drain-wait': { description: 'seconds to wait after a rush for its tickets to become orders', default: '120' },
    nodes: { description: 'Souk servers on one database and Redis gate, shoppers spread across them (postgres only)', default: '1' },
  },
  async run(context): Promise<ScenarioReport> {
    const notes: string[] = [
      `The load generator (shoppers and autocannon, in the harness process) runs on the same ${context.machine.cores} cores as Souk, PostgreSQL and Redis.`,
      'Each rush runs --duration s from the sale start; shoppers send no attempt after it. A shopper answered 429 or 5xx pauses 5 ms.',
    ];
    const runs = await eachEngineBesideBare(context, (engine, bare) => runEngine(engine, bare, context, notes));
    return { tables: buildTables(runs, context.options.connections), notes, data: { engines: runs } };
  },
};
