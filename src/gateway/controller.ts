// The rollout controller. Every gateway node runs the loop; only the holder of the `rollouts` lease (a row
// in souk_gateway_leases, renewed each tick, taken over when it has expired) acts, so with several nodes
// one judges and the others stand by. Each tick it reads the open rollout's current step, sums the step's
// samples over all nodes (samples.ts), asks judge.ts, and then: rolls back when the canary is worse,
// promotes when the step passed and its minimum time is over, records a hold (once per step) when the time
// is over but the samples are too few, and otherwise waits. A policy activated by hand during a rollout
// pauses it: the controller never overwrites an operator's change.
import type { Database } from '../kernel/db/types.ts';
import { judgeStep } from './judge.ts';
import { loadWindow, pruneSamples, type TrackSample } from './samples.ts';
import { noteVerdict, openRollout, transition, withRolloutLock, type SampleSummary, type TransitionResult } from './rollouts.ts';
import { currentActivation } from './store.ts';

export interface ControllerDeps {
  db: Database;
  /** This node's name (the lease holder's). */
  node: string;
  tickMs: number;
  /** Called after a transition committed: reload the policy, log, count. */
  onTransition(result: TransitionResult): void | Promise<void>;
}

export interface Controller {
  isLeader(): boolean;
  /** One tick now (tests and the API use it to act without waiting). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

const LEASE = 'rollouts';

const quantile = (sorted: readonly number[], q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

export function summarise(sample: TrackSample | undefined): SampleSummary {
  const sorted = [...(sample?.latencies ?? [])].sort((a, b) => a - b);
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e3);
  return { requests: sample?.requests ?? 0, errors: sample?.errors ?? 0, p50Ms: ms(quantile(sorted, 0.5)), p99Ms: ms(quantile(sorted, 0.99)) };
}

/** Takes or renews the lease; true when this node holds it afterwards. */
async function holdLease(db: Database, node: string, seconds: number): Promise<boolean> {
  const rows = await db.query<{ holder: string }>(
    `insert into souk_gateway_leases (name, holder, expires_at) values ($1, $2, now() + make_interval(secs => $3))
     on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
     where souk_gateway_leases.holder = excluded.holder or souk_gateway_leases.expires_at < now()
     returning holder`,
    [LEASE, node, seconds],
  );
  return rows.length === 1;
}

export function startController(deps: ControllerDeps): Controller {
  let leader = false;
  let running: Promise<void> | undefined;
  let ticks = 0;
  const leaseSeconds = Math.max(2, (deps.tickMs * 5) / 1000);

  async function judgeOnce(): Promise<TransitionResult | undefined> {
    return withRolloutLock(deps.db, async (tx) => {
      const rollout = await openRollout(tx);
      if (!rollout || rollout.state !== 'running' || rollout.windowId === null) return undefined;
      const active = await currentActivation(tx);
      if (active?.id !== rollout.windowId) {
        return transition(tx, rollout, 'pause', 'controller', `policy version ${active?.version ?? 'none'} was activated outside the rollout (by ${active?.activatedBy ?? 'nobody'}); resume to carry on from it`);
      }
      const window = await loadWindow(tx, rollout.windowId);
      const canary = window.get(rollout.plan.canaryTrack) ?? { requests: 0, errors: 0, latencies: [] };
      const stable = window.get(rollout.plan.stableTrack) ?? { requests: 0, errors: 0, latencies: [] };
      const step = rollout.plan.steps[rollout.step]!;
      const verdict = judgeStep(canary, stable, { ...rollout.plan.thresholds, minSamples: step.minSamples });
      const samples = { canary: summarise(canary), stable: summarise(stable) };
      const timeUp = rollout.stepSeconds >= step.minDurationSeconds;
      await noteVerdict(tx, rollout.id, verdict.verdict, verdict.reason);
      if (verdict.verdict === 'fail') return transition(tx, rollout, 'rollback', 'controller', verdict.reason, samples);
      if (verdict.verdict === 'pass' && timeUp) return transition(tx, rollout, 'promote', 'controller', `step ${rollout.step + 1} passed after ${Math.round(rollout.stepSeconds)} s: ${verdict.reason}`, samples);
      if (verdict.verdict === 'wait' && timeUp && !rollout.holdRecorded) {
        return transition(tx, rollout, 'hold', 'controller', `step ${rollout.step + 1} is past its ${step.minDurationSeconds} s but ${verdict.reason}`, samples);
      }
      return undefined;
    });
  }

  async function tick(): Promise<void> {
    leader = await holdLease(deps.db, deps.node, leaseSeconds);
    if (!leader) return;
    const result = await judgeOnce();
    if (result) await deps.onTransition(result);
    // Samples of windows no step uses any more: a day is plenty for a look back.
    if (++ticks % 600 === 1) await pruneSamples(deps.db, 86_400);
  }

  const timer = setInterval(() => {
    if (running) return;
    running = tick()
      .catch((error: Error) => console.error(`souk gateway: rollout controller: ${error.message}`))
      .finally(() => {
        running = undefined;
      });
  }, deps.tickMs);

  return {
    isLeader: () => leader,
    async tick() {
      while (running) await running.catch(() => undefined);
      running = tick().finally(() => {
        running = undefined;
      });
      await running;
    },
    async stop() {
      clearInterval(timer);
      while (running) await running.catch(() => undefined);
      if (leader) await deps.db.query('delete from souk_gateway_leases where name = $1 and holder = $2', [LEASE, deps.node]).catch(() => undefined);
    },
  };
}
