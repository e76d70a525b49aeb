// The checkout scenario's goals and report tables: orders/s, bare Fastify, latency per step, the count.
import { bareCells } from '../lib/bare-rounds.ts';
import { median, round } from '../lib/stats.ts';
import type { Cell, Table } from '../lib/table.ts';
import { STEP_LABEL, STEPS } from './customers.ts';
import type { PhaseSummary } from './phases.ts';
import type { EngineRun } from './run-engine.ts';

// Targets from the issue, on this 2-core machine.
export const GOALS = { postgresOrdersPerSecond: 250, pgliteOrdersPerSecond: 100, checkoutP99Ms: 50, soukMsPerOrder: 3, databaseMsPerOrder: 5 };

export function buildTables(runs: EngineRun[]): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const main: Table = {
    title: 'Checkout flow: completed (paid) orders/s, medians of rounds',
    columns: ['engine', 'mode', 'customers', 'orders/s', 'vs bare req/s', 'checkout p50 ms', 'checkout p99 ms', 'flow p50 ms', 'flow p99 ms', 'CPU server', 'CPU loadgen', 'CPU other', 'Souk CPU ms/order', 'PostgreSQL CPU ms/order', 'failed flows'],
    rows: [],
    notes: [
      'orders/s: flows completed (webhook answered, order paid) within the measured window ÷ its length. A flow is 8 HTTP requests.',
      'vs bare req/s: HTTP requests per second of the flow (8 × orders/s) ÷ bare Fastify hello req/s of the same engine run.',
      'CPU ms/order: the process CPU (Souk; every PostgreSQL process) over the phase, its tail included, ÷ orders paid in it. On PGlite the database runs inside Souk.',
    ],
  };
  const bareTable: Table = { title: 'Bare Fastify hello in the same run (autocannon), medians of rounds', columns: ['engine', 'req/s', 'p50 ms', 'p99 ms', 'CPU server', 'CPU loadgen'], rows: [] };
  const steps: Table = {
    title: 'Latency per step, p50 / p99 ms (medians of rounds)',
    columns: ['engine', 'mode', 'customers', ...STEPS.map((s) => STEP_LABEL[s])],
    rows: [],
  };
  const checks: Table = {
    title: 'Independent count (SQL, after the run)',
    columns: ['engine', 'flows completed', 'orders paid', 'payments succeeded', 'units committed', 'units in paid orders', 'other orders', 'levels oversold', 'levels ≠ stock − sold', 'active holds', 'consistent'],
    rows: [],
  };
  const goals: Table = { title: 'Goals from the issue', columns: ['engine', 'goal', 'measured', 'met'], rows: [] };
  for (const run of measured) {
    const bareRps = median(run.bare?.requestsPerSecond ?? []);
    bareTable.rows.push([run.engine, ...bareCells(run.bare)]);
    for (const s of run.summaries) {
      main.rows.push([
        run.engine,
        s.mode,
        s.customers,
        s.ordersPerSecond,
        `${round(((s.ordersPerSecond * STEPS.length) / bareRps) * 100, 1)}%`,
        s.steps.checkout.p50Ms,
        s.steps.checkout.p99Ms,
        s.flowP50Ms,
        s.flowP99Ms,
        `${s.serverCpuPercent}%`,
        `${s.loadGeneratorCpuPercent}%`,
        `${s.otherCpuPercent}%`,
        s.soukMsPerOrder,
        run.engine === 'postgres' ? s.databaseMsPerOrder : '–',
        s.failedFlows,
      ]);
      steps.rows.push([run.engine, s.mode, s.customers, ...STEPS.map((step): Cell => `${s.steps[step].p50Ms} / ${s.steps[step].p99Ms}`)]);
    }
    const v = run.verification;
    if (v) {
      checks.rows.push([
        run.engine,
        v.flowsCompletedByCustomers,
        v.ordersPaid,
        v.paymentsSucceeded,
        v.unitsCommitted,
        v.unitsInPaidOrders,
        Object.keys(v.ordersOther).length ? JSON.stringify(v.ordersOther) : 0,
        v.levelsOversold,
        v.levelsMismatched,
        v.activeReservations,
        v.consistent ? 'yes' : 'NO',
      ]);
    }
    const distinct = run.summaries.filter((s) => s.mode === 'distinct');
    const best = distinct.reduce<PhaseSummary | undefined>((a, b) => (!a || b.ordersPerSecond > a.ordersPerSecond ? b : a), undefined);
    if (best) {
      const target = run.engine === 'postgres' ? GOALS.postgresOrdersPerSecond : GOALS.pgliteOrdersPerSecond;
      goals.rows.push([run.engine, `≥ ${target} paid orders/s, distinct variants`, `${best.ordersPerSecond}/s (${best.customers} customers)`, best.ordersPerSecond >= target ? 'yes' : 'NO']);
      const souk = best.soukMsPerOrder;
      if (run.engine === 'postgres') {
        const total = round(souk + best.databaseMsPerOrder, 2);
        goals.rows.push([run.engine, `CPU per paid order < ${GOALS.soukMsPerOrder + GOALS.databaseMsPerOrder} ms (Souk < ${GOALS.soukMsPerOrder}, PostgreSQL < ${GOALS.databaseMsPerOrder})`, `${total} ms (Souk ${souk}, PostgreSQL ${best.databaseMsPerOrder})`, souk < GOALS.soukMsPerOrder && best.databaseMsPerOrder < GOALS.databaseMsPerOrder ? 'yes' : 'NO']);
      }
    }
    // "Below saturation": the lowest concurrency measured.
    const low = distinct.reduce<PhaseSummary | undefined>((a, b) => (!a || b.customers < a.customers ? b : a), undefined);
    if (low) {
      goals.rows.push([run.engine, `checkout p99 < ${GOALS.checkoutP99Ms} ms below saturation (distinct, ${low.customers} customers)`, `${low.steps.checkout.p99Ms} ms`, low.steps.checkout.p99Ms < GOALS.checkoutP99Ms ? 'yes' : 'NO']);
    }
  }
  return [bareTable, main, steps, checks, goals];
}
