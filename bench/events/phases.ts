// The two ways the events bench loads the bus: backlog (closed loop, emitters back to back, then drain)
// and live (open loop at a fixed rate); each ends with the drain waits and the exactly-once check.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import { round } from '../lib/stats.ts';
import { emitTransaction, runClosedLoop, waitAllConsumers, waitUntilHandled, yieldToLoop } from './emit-and-drain.ts';
import { verify } from './exactly-once.ts';
import { cpuWatch, type CpuReading } from './harness-cpu.ts';
import { finishPhase, type PhaseResult } from './phase-result.ts';
import { Tracker, type Rig } from './souk-rig.ts';

export interface PhaseSettings {
  emitters: number;
  drainTimeoutSeconds: number;
  quietWaitSeconds: number;
  cores: number;
  log: (line: string) => void;
}

/** Closed loop: every emitter runs transactions back to back for `seconds`, then everything drains. */
export async function backlogPhase(rig: Rig, kind: 'warmup' | 'backlog', round_: number, eventsPerTx: number, seconds: number, s: PhaseSettings): Promise<PhaseResult> {
  const backgroundBeforePercent = kind === 'warmup' ? undefined : await waitForQuietIfAsked(s.quietWaitSeconds, s.log);
  const t = new Tracker(`${rig.transport}-${kind}-${round_}-${eventsPerTx}-${randomBytes(3).toString('hex')}`);
  rig.tracker = t;
  let transactions = 0;
  let emitErrors = 0;
  let firstError: unknown;
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await runClosedLoop(s.emitters, endAt, async (emitter) => {
    try {
      await emitTransaction(rig, t, eventsPerTx, emitter);
      transactions += 1;
      await yieldToLoop();
    } catch (error) {
      emitErrors += 1;
      firstError ??= error;
      if (emitErrors > 100) throw error;
      await sleep(10);
    }
  });
  const { after, verification } = await drainAndVerify(rig, t, stopCpu, s);
  if (firstError) s.log(`  !! ${emitErrors} emit transactions failed; first: ${String(firstError)}`);
  return finishPhase(rig, t, { kind, round: round_, eventsPerTx, emitters: s.emitters, backgroundBeforePercent }, { startedAt, transactions, emitErrors, ...after }, verification);
}

/** Open-loop emits in flight at most; beyond, emits due are skipped (and reported) rather than queued without bound. */
const MAX_LIVE_IN_FLIGHT = 1000;

/**
 * Open loop: one-event transactions started at `perSecond` for `seconds`, whether or not earlier ones have
 * committed (as requests arrive at a server); the pool queues what it cannot run at once.
 */
export async function livePhase(rig: Rig, round_: number, perSecond: number, seconds: number, s: PhaseSettings): Promise<PhaseResult> {
  const backgroundBeforePercent = await waitForQuietIfAsked(s.quietWaitSeconds, s.log);
  const t = new Tracker(`${rig.transport}-live-${round_}-${randomBytes(3).toString('hex')}`);
  rig.tracker = t;
  let transactions = 0;
  let emitErrors = 0;
  let started = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  for (;;) {
    const elapsed = (performance.now() - startedAt) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.floor(perSecond * elapsed) - started - skipped;
    for (let i = 0; i < due; i++) {
      if (inFlight >= MAX_LIVE_IN_FLIGHT) {
        // Cannot start it on time: counted, not queued, so the achieved rate shows it.
        skipped += due - i;
        break;
      }
      started += 1;
      inFlight += 1;
      const p: Promise<void> = emitTransaction(rig, t, 1, started % s.emitters).then(
        () => {
          transactions += 1;
        },
        () => {
          emitErrors += 1;
        },
      ).finally(() => {
        inFlight -= 1;
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(1);
  }
  await Promise.all([...pending]);
  const { after, verification } = await drainAndVerify(rig, t, stopCpu, s);
  return finishPhase(
    rig,
    t,
    { kind: 'live', round: round_, eventsPerTx: 1, emitters: s.emitters, backgroundBeforePercent, targetPerSecond: round(perSecond, 0), skippedEmits: skipped },
    { startedAt, transactions, emitErrors, ...after },
    verification,
  );
}

/**
 * The end of every phase once its emitters stopped: wait until the bench consumer handled everything (the
 * CPU watch stops there), then until every other consumer caught up, then the exactly-once check.
 */
async function drainAndVerify(rig: Rig, t: Tracker, stopCpu: () => CpuReading, s: PhaseSettings) {
  const emitEndedAt = performance.now();
  const drain = await waitUntilHandled(rig, t, s.drainTimeoutSeconds);
  const cpu = stopCpu();
  const others = await waitAllConsumers(rig, s.drainTimeoutSeconds);
  rig.totalEmitted += t.emitted.size;
  const verification = await verify(rig, t);
  return { after: { emitEndedAt, drain, cpu, others }, verification };
}
