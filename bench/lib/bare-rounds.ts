// The bare Fastify hello measured with autocannon once per round, for scenarios that run their own
// rounds around their own clients (checkout, flash-sale): the per-round figures kept for the JSON, and
// their medians as table cells, alike in every such scenario.
import { type CpuUsage } from './cpu.ts';
import { measure, type Measurement } from './load.ts';
import type { ScenarioContext } from './scenario.ts';
import type { StartedServer } from './servers.ts';
import { median, round } from './stats.ts';
import type { Cell } from './table.ts';

export interface BareRounds {
  requestsPerSecond: number[];
  p50Ms: number[];
  p99Ms: number[];
  cpu: CpuUsage[];
}

export function newBareRounds(): BareRounds {
  return { requestsPerSecond: [], p50Ms: [], p99Ms: [], cpu: [] };
}

/** GET / with autocannon at the run's --connections and --duration, added to `rounds` and logged. */
export async function measureBareRound(bare: StartedServer, context: ScenarioContext, roundNo: number, rounds: BareRounds): Promise<Measurement> {
  const { options, log } = context;
  const b = await measure({ id: 'bare', label: 'bare fastify hello', url: bare.baseUrl, requests: [{ path: '/' }], serverPid: bare.pid }, { durationSeconds: options.durationSeconds, connections: options.connections });
  rounds.requestsPerSecond.push(b.requestsPerSecond);
  rounds.p50Ms.push(b.p50Ms);
  rounds.p99Ms.push(b.p99Ms);
  rounds.cpu.push(b.cpu);
  log(`  round ${roundNo}/${options.rounds} bare fastify hello (autocannon): ${b.requestsPerSecond} req/s, p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, cpu server ${b.cpu.serverPercent}% / loadgen ${b.cpu.loadGeneratorPercent}%`);
  return b;
}

/** Median CPU of the server and of the load generator, as "N%" cells. */
export function cpuCells(cpu: CpuUsage[]): [string, string] {
  return [`${round(median(cpu.map((c) => c.serverPercent)), 0)}%`, `${round(median(cpu.map((c) => c.loadGeneratorPercent)), 0)}%`];
}

/** Medians of the rounds: req/s, p50 ms, p99 ms, CPU server, CPU loadgen. */
export function bareCells(rounds: BareRounds | undefined): Cell[] {
  return [
    round(median(rounds?.requestsPerSecond ?? []), 0),
    round(median(rounds?.p50Ms ?? []), 2),
    round(median(rounds?.p99Ms ?? []), 2),
    ...cpuCells(rounds?.cpu ?? []),
  ];
}
