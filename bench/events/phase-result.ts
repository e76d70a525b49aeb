// What one events phase (warm-up, backlog or live) reports, computed from its tracker and timings, and
// its log line; kept apart from the phases that run the load.
import { latencyPercentiles, round, type Percentiles } from '../lib/stats.ts';
import type { DrainOutcome } from './emit-and-drain.ts';
import { describeVerification, type Verification } from './exactly-once.ts';
import type { CpuReading } from './harness-cpu.ts';
import type { Rig, TransportId, Tracker } from './souk-rig.ts';

export interface PhaseResult {
  kind: 'warmup' | 'backlog' | 'live';
  transport: TransportId;
  round: number;
  eventsPerTx: number;
  emitters: number;
  emitSeconds: number;
  transactions: number;
  emitted: number;
  emitErrors: number;
  emittedPerSecond: number;
  /** emitted ÷ (last acknowledged delivery − first emit). */
  handledPerSecond: number;
  /** From the last commit of an emitter to the last acknowledged delivery. */
  drainSeconds: number;
  drainComplete: boolean;
  /** How long the harness waited for the drain after the emitters stopped (includes 0.2 s of extra watching). */
  drainWaitSeconds: number;
  /** After the bench consumer was done, how long until every other consumer had caught up too. */
  allConsumersDrainSeconds: number;
  /** Consumers still behind when that wait gave up (events not reached). */
  laggingConsumers: Record<string, number>;
  /** Acknowledged time − emittedAt (handler start − emittedAt if the bus's histogram could not be wrapped). */
  lag: Percentiles;
  lagSource: 'acknowledged' | 'handler start';
  handlerStartLag: Percentiles;
  emitTransaction: Percentiles;
  relayBatches: number;
  meanRelayBatch: number;
  consumerTransactions: number;
  meanConsumerBatch: number;
  cpu: CpuReading;
  backgroundBeforePercent?: number;
  verification: Verification;
  /** Live phase only. */
  targetPerSecond?: number;
  skippedEmits?: number;
}

export function finishPhase(
  rig: Rig,
  t: Tracker,
  base: Pick<PhaseResult, 'kind' | 'round' | 'eventsPerTx' | 'emitters' | 'backgroundBeforePercent' | 'targetPerSecond' | 'skippedEmits'>,
  timing: {
    startedAt: number;
    emitEndedAt: number;
    transactions: number;
    emitErrors: number;
    drain: DrainOutcome;
    cpu: CpuReading;
    others: { seconds: number; lagging: Record<string, number> };
  },
  verification: Verification,
): PhaseResult {
  const emitted = t.emitted.size;
  const lastDone = rig.ackedLagHooked ? t.lastAckedAt : t.lastHandlerAt;
  let lastCommit = 0;
  for (const at of t.emitted.values()) lastCommit = Math.max(lastCommit, at);
  const emitSeconds = (timing.emitEndedAt - timing.startedAt) / 1000;
  return {
    ...base,
    transport: rig.transport,
    emitSeconds: round(emitSeconds, 2),
    transactions: timing.transactions,
    emitted,
    emitErrors: timing.emitErrors,
    emittedPerSecond: round(emitted / emitSeconds, 0),
    handledPerSecond: lastDone > timing.startedAt ? round(emitted / ((lastDone - timing.startedAt) / 1000), 0) : Number.NaN,
    drainSeconds: round(Math.max(0, lastDone - lastCommit) / 1000, 2),
    drainComplete: timing.drain.complete,
    drainWaitSeconds: timing.drain.waitedSeconds,
    allConsumersDrainSeconds: timing.others.seconds,
    laggingConsumers: timing.others.lagging,
    lag: latencyPercentiles(rig.ackedLagHooked ? t.ackedLag : t.handlerLag, 1),
    lagSource: rig.ackedLagHooked ? 'acknowledged' : 'handler start',
    handlerStartLag: latencyPercentiles(t.handlerLag, 1),
    emitTransaction: latencyPercentiles(t.emitTxMs, 1),
    relayBatches: t.relayBatches,
    meanRelayBatch: round(t.relayed / Math.max(1, t.relayBatches), 1),
    consumerTransactions: t.consumerTransactions,
    meanConsumerBatch: round(t.handled.size / Math.max(1, t.consumerTransactions), 1),
    cpu: timing.cpu,
    verification,
  };
}

export function logPhase(log: (line: string) => void, p: PhaseResult): void {
  const rate = p.kind === 'live' ? `target ${p.targetPerSecond}/s, ` : '';
  const flag = p.verification.exactlyOnce && p.drainComplete ? '' : `  !! exactly once: ${describeVerification(p.verification)}${p.drainComplete ? '' : ', DRAIN TIMED OUT'}`;
  log(
    `  ${p.kind} r${p.round} (${p.emitSeconds} s + drain wait ${p.drainWaitSeconds} s) ${p.eventsPerTx}/tx: ${rate}emitted ${p.emitted} (${p.emittedPerSecond}/s), handled ${p.handledPerSecond}/s e2e, ` +
      `drain ${p.drainSeconds} s, lag p50 ${p.lag.p50Ms} / p99 ${p.lag.p99Ms} / max ${p.lag.maxMs} ms, ` +
      `relay batch ${p.meanRelayBatch}, consumer batch ${p.meanConsumerBatch}, cpu souk ${p.cpu.harnessPercent}% / other ${p.cpu.otherPercent}%, max timer stall ${p.cpu.maxTimerStallMs} ms, all consumers drained +${p.allConsumersDrainSeconds} s${flag}`,
  );
}
