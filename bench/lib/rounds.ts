// Runs a set of targets for several rounds, alternating between them (A B C A B C …) so slow drift of
// the machine (thermal, noisy neighbours, caches) spreads over all targets instead of biasing one, then
// reduces each target's rounds to medians.
import { machineBusyPercent } from './cpu.ts';
import { measure, type LoadSettings, type LoadTarget, type Measurement } from './load.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, round, sum } from './stats.ts';

/** A server-side counter read around each measured run (e.g. database transactions). */
export interface Counter {
  name: string;
  read(): Promise<number>;
  /** How long after a run the counter may still be catching up (statistics flush delay). */
  settleMs: number;
  /** Increase per second when idle, subtracted before dividing by the number of requests. */
  idlePerSecond: number;
}

export interface RoundsSettings extends LoadSettings {
  rounds: number;
  /** Seconds of unmeasured load per target before the first round; 0 skips the warm-up. */
  warmupSeconds: number;
  /**
   * Before each measured run, wait up to this many seconds for the machine to go quiet (other
   * processes using under QUIET_PERCENT of one core); 0 measures at once.
   */
  quietWaitSeconds: number;
  counters?: Counter[];
}

/** Background CPU (in % of one core) below which the machine counts as quiet enough to measure. */
export const QUIET_PERCENT = 25;

/** Waits for other processes to stop using the CPU; returns the last background reading. */
export async function waitForQuiet(maxSeconds: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await machineBusyPercent(1000);
  let reported = false;
  while (busy > QUIET_PERCENT && Date.now() < deadline) {
    if (!reported) log(`  machine busy (${busy}% of a core used by other processes); waiting up to ${maxSeconds} s`);
    reported = true;
    busy = await machineBusyPercent(2000);
  }
  if (busy > QUIET_PERCENT) log(`  still busy (${busy}%); measuring anyway`);
  return busy;
}

/** waitForQuiet when a wait was asked for; with 0 seconds, measures at once and has no reading (undefined). */
export async function waitForQuietIfAsked(maxSeconds: number, log: (line: string) => void): Promise<number | undefined> {
  return maxSeconds > 0 ? waitForQuiet(maxSeconds, log) : undefined;
}

export interface TargetSummary {
  id: string;
  label: string;
  rounds: number;
  /** Medians across rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPercent: number;
  loadGeneratorCpuPercent: number;
  /** CPU of everything else during the runs (PostgreSQL, concurrent jobs), % of one core. */
  otherCpuPercent: number;
  /** PostgreSQL's processes alone (part of otherCpuPercent), % of one core. */
  databaseCpuPercent: number;
  /** Highest idle-machine reading taken before a round, % of one core. */
  maxBackgroundBeforePercent: number;
  /** Totals across rounds: anything but 0 means the numbers above are suspect. */
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Per counter: median increase per request (idle rate subtracted). */
  counterPerRequest: Record<string, number>;
  /** Every round's figures, in order. */
  perRound: Measurement[];
}

export function summarize(target: Pick<LoadTarget, 'id' | 'label'>, measurements: Measurement[]): TargetSummary {
  const statusCodes: Record<string, number> = {};
  for (const m of measurements) {
    for (const [code, count] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    id: target.id,
    label: target.label,
    rounds: measurements.length,
    requestsPerSecond: round(median(measurements.map((m) => m.requestsPerSecond)), 0),
    p50Ms: round(median(measurements.map((m) => m.p50Ms)), 2),
    p99Ms: round(median(measurements.map((m) => m.p99Ms)), 2),
    serverCpuPercent: round(median(measurements.map((m) => m.cpu.serverPercent)), 0),
    loadGeneratorCpuPercent: round(median(measurements.map((m) => m.cpu.loadGeneratorPercent)), 0),
    otherCpuPercent: round(median(measurements.map((m) => m.cpu.otherPercent)), 0),
    databaseCpuPercent: round(median(measurements.map((m) => m.cpu.databasePercent)), 1),
    maxBackgroundBeforePercent: Math.max(...measurements.map((m) => m.backgroundBeforePercent ?? 0)),
    non2xx: sum(measurements.map((m) => m.non2xx)),
    errors: sum(measurements.map((m) => m.errors)),
    timeouts: sum(measurements.map((m) => m.timeouts)),
    statusCodes,
    counterPerRequest: Object.fromEntries(
      [...new Set(measurements.flatMap((m) => Object.keys(m.counters ?? {})))].map((name) => [
        name,
        round(median(measurements.map((m) => m.counters?.[name]?.perRequest ?? Number.NaN)), 3),
      ]),
    ),
    perRound: measurements,
  };
}

export async function runRounds(targets: LoadTarget[], settings: RoundsSettings, log: (line: string) => void): Promise<TargetSummary[]> {
  const load: LoadSettings = { durationSeconds: settings.durationSeconds, connections: settings.connections };
  if (settings.warmupSeconds > 0) {
    for (const target of targets) {
      log(`  warm-up ${target.label} (${settings.warmupSeconds} s)`);
      await measure(target, { ...load, durationSeconds: settings.warmupSeconds });
    }
  }
  const settleMs = Math.max(0, ...(settings.counters ?? []).map((c) => c.settleMs));
  // Let the warm-up's tail reach the counters before the first measured run reads them.
  if (settings.warmupSeconds > 0 && settleMs > 0) await sleep(settleMs);
  const byTarget = new Map<string, Measurement[]>(targets.map((t) => [t.id, []]));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const target of targets) {
      const backgroundBeforePercent = await waitForQuietIfAsked(settings.quietWaitSeconds, log);
      const counters = settings.counters ?? [];
      const before = await Promise.all(counters.map((c) => c.read()));
      const m: Measurement = { ...(await measure(target, load)), backgroundBeforePercent };
      if (counters.length > 0) {
        await sleep(settleMs);
        const after = await Promise.all(counters.map((c) => c.read()));
        const readings: NonNullable<Measurement['counters']> = {};
        counters.forEach((c, i) => {
          const delta = (after[i] ?? Number.NaN) - (before[i] ?? Number.NaN);
          const busy = delta - c.idlePerSecond * m.durationSeconds;
          readings[c.name] = { total: delta, perSecond: round(delta / m.durationSeconds, 1), perRequest: round(busy / Math.max(1, m.totalResponses), 4) };
        });
        m.counters = readings;
      }
      byTarget.get(target.id)?.push(m);
      const counted = Object.entries(m.counters ?? {}).map(([name, c]) => `, ${name} ${c.perSecond}/s (${c.perRequest}/req)`).join('');
      const flag = m.non2xx + m.errors + m.timeouts > 0 ? `  !! non-2xx ${m.non2xx}, errors ${m.errors}, timeouts ${m.timeouts}` : '';
      log(
        `  round ${r}/${settings.rounds} ${target.label}: ${m.requestsPerSecond} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ` +
          `cpu server ${m.cpu.serverPercent}% / loadgen ${m.cpu.loadGeneratorPercent}% / other ${m.cpu.otherPercent}%${counted}${flag}`,
      );
    }
  }
  return targets.map((t) => summarize(t, byTarget.get(t.id) ?? []));
}
