// One measured phase of virtual customers (a mode, a concurrency, a round) and the medians of the rounds.
import type { CpuUsage } from '../lib/cpu.ts';
import { latencyPercentiles, median, round, type SampleBuffer, sum } from '../lib/stats.ts';
import { STEPS, type Mode, type runCustomers, type Step } from './customers.ts';

export interface Phase {
  mode: Mode;
  customers: number;
  round: number;
  durationSeconds: number;
  ordersCompleted: number;
  ordersPerSecond: number;
  /** Flows that ended on an unexpected answer (the customer starts a new flow). */
  failedFlows: number;
  failures: Record<string, number>;
  /** Flows still running at the deadline and completed after it (in the database check, not in orders/s). */
  finishedAfterDeadline: number;
  steps: Record<Step, { p50Ms: number; p99Ms: number; count: number }>;
  /** The whole flow, first request to webhook answered. */
  flowP50Ms: number;
  flowP99Ms: number;
  cpu: CpuUsage;
  /** CPU per paid order over the whole phase (its tail included): Souk's process, and PostgreSQL's. */
  soukMsPerOrder: number;
  databaseMsPerOrder: number;
  backgroundBeforePercent: number;
}

export interface PhaseSummary {
  mode: Mode;
  customers: number;
  rounds: number;
  ordersPerSecond: number;
  steps: Record<Step, { p50Ms: number; p99Ms: number }>;
  flowP50Ms: number;
  flowP99Ms: number;
  serverCpuPercent: number;
  loadGeneratorCpuPercent: number;
  otherCpuPercent: number;
  soukMsPerOrder: number;
  databaseMsPerOrder: number;
  failedFlows: number;
}

function pcts(samples: SampleBuffer): { p50Ms: number; p99Ms: number; count: number } {
  const { p50Ms, p99Ms } = latencyPercentiles(samples, 2);
  return { p50Ms, p99Ms, count: samples.size };
}

export function summarize(phases: Phase[]): PhaseSummary[] {
  const keys = [...new Set(phases.map((p) => `${p.mode}/${p.customers}`))];
  return keys.map((key) => {
    const group = phases.filter((p) => `${p.mode}/${p.customers}` === key);
    const first = group[0]!;
    return {
      mode: first.mode,
      customers: first.customers,
      rounds: group.length,
      ordersPerSecond: round(median(group.map((p) => p.ordersPerSecond)), 0),
      steps: Object.fromEntries(STEPS.map((s) => [s, { p50Ms: round(median(group.map((p) => p.steps[s].p50Ms)), 2), p99Ms: round(median(group.map((p) => p.steps[s].p99Ms)), 2) }])) as PhaseSummary['steps'],
      flowP50Ms: round(median(group.map((p) => p.flowP50Ms)), 1),
      flowP99Ms: round(median(group.map((p) => p.flowP99Ms)), 1),
      serverCpuPercent: round(median(group.map((p) => p.cpu.serverPercent)), 0),
      loadGeneratorCpuPercent: round(median(group.map((p) => p.cpu.loadGeneratorPercent)), 0),
      otherCpuPercent: round(median(group.map((p) => p.cpu.otherPercent)), 0),
      soukMsPerOrder: round(median(group.map((p) => p.soukMsPerOrder)), 2),
      databaseMsPerOrder: round(median(group.map((p) => p.databaseMsPerOrder)), 2),
      failedFlows: sum(group.map((p) => p.failedFlows)),
    };
  });
}

export function toPhase(mode: Mode, customers: number, roundNo: number, result: Awaited<ReturnType<typeof runCustomers>>, durationSeconds: number): Phase {
  const { recorder } = result;
  const flow = pcts(recorder.flows);
  // The CPU watch spans the tail too, so divide by every order paid while it ran.
  const paid = recorder.completedInWindow + recorder.finishedAfterDeadline;
  const msPerOrder = (percent: number) => (paid > 0 ? round((percent * 10 * result.elapsedSeconds) / paid, 2) : Number.NaN);
  return {
    mode,
    customers,
    round: roundNo,
    durationSeconds,
    ordersCompleted: recorder.completedInWindow,
    ordersPerSecond: round(recorder.completedInWindow / durationSeconds, 0),
    failedFlows: recorder.failed,
    failures: recorder.failures,
    finishedAfterDeadline: recorder.finishedAfterDeadline,
    steps: Object.fromEntries(STEPS.map((s) => [s, pcts(recorder.samples[s])])) as Phase['steps'],
    flowP50Ms: round(flow.p50Ms, 1),
    flowP99Ms: round(flow.p99Ms, 1),
    cpu: result.cpu,
    soukMsPerOrder: msPerOrder(result.cpu.serverPercent),
    databaseMsPerOrder: msPerOrder(result.cpu.databasePercent),
    backgroundBeforePercent: 0,
  };
}
