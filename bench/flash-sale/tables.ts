// The flash-sale scenario's report tables: bare Fastify, the rush, the answers per round and the count.
import { bareCells, cpuCells } from '../lib/bare-rounds.ts';
import { median, round } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import type { EngineRun, Rush } from './run-engine.ts';

export function buildTables(runs: EngineRun[], shoppers: number): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const bareTable: Table = {
    title: 'Bare Fastify in the same run, medians of rounds',
    columns: ['engine', 'client', 'request', 'req/s', 'p50 ms', 'p99 ms', 'CPU server', 'CPU loadgen'],
    rows: [],
    notes: [
      'autocannon: GET / {"hello":"world"}, the HTTP ceiling. same client: POST /purchase (JSON body in, 409 sold-out problem of Souk\'s size out) with the rush\'s own shoppers, headers and body.',
      'Both with the same --connections and --duration, each round right before its rush. The shoppers cost more CPU per request than autocannon, on the cores the servers use.',
    ],
  };
  const main: Table = {
    title: `Flash-sale rush on one hot variant, ${shoppers} closed-loop shoppers, medians of rounds`,
    columns: ['engine', 'gate', 'nodes', 'attempts/s', 'vs bare (autocannon)', 'vs bare (same client)', 'p50 ms', 'p99 ms', 'won p50 / p99 ms', 'lost p50 / p99 ms', 'sold out after s', 'orders/s drained', 'CPU server', 'CPU loadgen', 'CPU other'],
    rows: [],
    notes: [
      'attempts/s: purchase answers (202 won, 409 sold_out / limit_reached, anything else) within the measured window ÷ its length.',
      'vs bare: attempts/s ÷ bare req/s of the same engine run: autocannon on GET /, or the same shopper client on POST /purchase (like for like).',
      'sold out after: from the sale start to the answer that won the last unit. orders/s drained: orders of the sale ÷ time from its first to its last order (capped by SOUK_FLASH_DRAIN_PER_SECOND per node).',
      'nodes: Souk servers on the one database and Redis gate, shopper s on node s mod nodes; CPU server is all of them together.',
    ],
  };
  const answersTable: Table = {
    title: 'Answers per round',
    columns: ['engine', 'gate', 'nodes', 'round', 'attempts', 'Souk counted', 'units won', 'answers'],
    rows: [],
    notes: ['Souk counted: the sale\'s attempts counter in the admin stats (gate answers plus answers given before the gate), to compare with the shoppers\' 202 and 409 answers.'],
  };
  const checks: Table = {
    title: 'Independent count (SQL, after the drain)',
    columns: ['engine', 'nodes', 'sale', 'quantity', 'ticketed units', 'max per customer', 'tickets', 'orders', 'order units', 'pending', 'failed', 'wrong price', 'oversold'],
    rows: [],
  };
  for (const run of measured) {
    const bareRps = median(run.bare?.requestsPerSecond ?? []);
    bareTable.rows.push([run.engine, 'autocannon', 'GET /', ...bareCells(run.bare)]);
    const sameClient = run.bareSameClient ?? [];
    const sameClientRps = median(sameClient.map((b) => b.attemptsPerSecond));
    bareTable.rows.push([
      run.engine,
      'same client',
      'POST /purchase',
      round(sameClientRps, 0),
      round(median(sameClient.map((b) => b.p50Ms)), 2),
      round(median(sameClient.map((b) => b.p99Ms)), 2),
      ...cpuCells(sameClient.map((b) => b.cpu)),
    ]);
    const rushes = run.rushes;
    if (rushes.length > 0) {
      const med = (pick: (r: Rush) => number | null | undefined) => {
        const values = rushes.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return values.length === 0 ? null : round(median(values), 2);
      };
      const attempts = med((r) => r.attemptsPerSecond);
      main.rows.push([
        run.engine,
        run.gate,
        run.nodes,
        attempts === null ? null : round(attempts, 0),
        attempts === null || !bareRps ? null : `${round((attempts / bareRps) * 100, 1)}%`,
        attempts === null || !sameClientRps ? null : `${round((attempts / sameClientRps) * 100, 1)}%`,
        med((r) => r.p50Ms),
        med((r) => r.p99Ms),
        `${med((r) => r.wonP50Ms) ?? '–'} / ${med((r) => r.wonP99Ms) ?? '–'}`,
        `${med((r) => r.lostP50Ms) ?? '–'} / ${med((r) => r.lostP99Ms) ?? '–'}`,
        med((r) => r.soldOutAfterSeconds) ?? 'not sold out',
        med((r) => r.ordersPerSecond),
        `${round(median(rushes.map((r) => r.cpu.serverPercent)), 0)}%`,
        `${round(median(rushes.map((r) => r.cpu.loadGeneratorPercent)), 0)}%`,
        `${round(median(rushes.map((r) => r.cpu.otherPercent)), 0)}%`,
      ]);
    }
    for (const r of rushes) answersTable.rows.push([run.engine, run.gate, run.nodes, r.round, r.attempts, r.soukCountedAttempts, `${r.unitsWon} / ${r.quantity}`, JSON.stringify(r.answers)]);
    for (const c of run.verification?.sales ?? []) {
      checks.rows.push([
        run.engine,
        run.nodes,
        `…${c.saleId.slice(-8)}`,
        c.quantity,
        c.ticketedUnits,
        c.maxPerCustomer,
        c.tickets,
        c.orders,
        c.orderUnits,
        c.pendingTickets,
        c.failedTickets,
        c.wrongPrice,
        c.ticketedUnits > c.quantity ? `YES (${c.ticketedUnits - c.quantity})` : 'no',
      ]);
    }
  }
  return [bareTable, main, answersTable, checks];
}
