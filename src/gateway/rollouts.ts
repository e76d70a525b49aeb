// Rollout plans and their state, in the gateway's database. A plan is a list of steps (canary weight in
// the default split, minimum time, minimum requests per track) and the thresholds the judge applies
// (judge.ts). Each step writes and activates a policy version of its own: the policy that was active when
// the rollout started, with its default split set to the step's weight, so the rules an operator wrote
// (office iPhones to canary, say) keep working during a rollout. Rolling back writes that policy with every
// rule to the canary track removed and all default traffic on stable. Every change of state is a row in
// souk_gateway_rollout_decisions with who made it and why; the controller (controller.ts) and the API
// (admin-rollouts.ts) both change state through `transition`, under one advisory lock, so a manual abort
// and an automatic promotion cannot interleave.
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { Queryable } from '../kernel/db/types.ts';
import type { Thresholds } from './judge.ts';
import type { PolicyDocument } from './policy.ts';
import { activate, currentActivation, getVersion, storeVersionIn } from './store.ts';

export const ROLLOUTS_SCHEMA = `
create table if not exists souk_gateway_rollouts (
  id bigserial primary key,
  plan jsonb not null,
  base_version integer,
  state text not null check (state in ('running', 'paused', 'succeeded', 'rolled_back', 'aborted')),
  step integer not null,
  step_started_at timestamptz not null default now(),
  window_id bigint,
  hold_recorded boolean not null default false,
  last_verdict text,
  last_reason text,
  checked_at timestamptz,
  created_by text not null,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create table if not exists souk_gateway_rollout_decisions (
  id bigserial primary key,
  rollout_id bigint not null references souk_gateway_rollouts (id),
  step integer not null,
  weight double precision not null,
  decision text not null check (decision in ('start', 'promote', 'hold', 'rollback', 'pause', 'resume', 'abort', 'complete')),
  reason text not null,
  policy_version integer,
  decided_by text not null,
  canary jsonb,
  stable jsonb,
  decided_at timestamptz not null default now()
);
create index if not exists souk_gateway_rollout_decisions_rollout on souk_gateway_rollout_decisions (rollout_id, id);
create table if not exists souk_gateway_leases (
  name text primary key,
  holder text not null,
  expires_at timestamptz not null
);`;

/** Serialises every change of rollout state (API and controller, on any node). */
const ROLLOUT_LOCK = 7_305_421;

const TrackName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });
const Step = Type.Object(
  {
    weight: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Canary share of the default split, in percent' }),
    minDurationSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 7 * 86_400, description: 'Least time on this step before it may be promoted (default 60)' })),
    minSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Requests per track before the step is judged (default 100)' })),
  },
  { additionalProperties: false },
);
export const RolloutPlan = Type.Object(
  {
    canaryTrack: Type.Optional(TrackName),
    stableTrack: Type.Optional(TrackName),
    steps: Type.Array(Step, { minItems: 1, maxItems: 20 }),
    thresholds: Type.Optional(
      Type.Object(
        {
          maxErrorRateIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
          maxMedianLatencyRatio: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface PlanStep {
  weight: number;
  minDurationSeconds: number;
  minSamples: number;
}

/** A plan with every default filled in, as stored. */
export interface Plan {
  canaryTrack: string;
  stableTrack: string;
  steps: PlanStep[];
  thresholds: Omit<Thresholds, 'minSamples'>;
}

export const DEFAULT_THRESHOLDS: Plan['thresholds'] = { maxErrorRateIncrease: 0.01, alpha: 0.01, maxMedianLatencyRatio: 1.5 };

/** The plan a request body holds, or the first fault in it (a dotted path and what is wrong there). */
export function checkPlan(candidate: unknown, tracks: readonly string[]): { plan: Plan } | { path: string; message: string } {
  if (!Value.Check(RolloutPlan, candidate)) {
    const errors = [...Value.Errors(RolloutPlan, candidate)].filter((e) => e.message !== 'schema is false');
    const deepest = errors.reduce((best, e) => (best === undefined || e.instancePath.length > best.instancePath.length ? e : best), errors[0]);
    const pointer = deepest?.instancePath ?? '';
    return { path: pointer === '' ? 'plan' : `plan${pointer.replace(/\//g, '.')}`, message: deepest?.message ?? 'is not a rollout plan' };
  }
  const raw = candidate as { canaryTrack?: string; stableTrack?: string; steps: { weight: number; minDurationSeconds?: number; minSamples?: number }[]; thresholds?: Partial<Plan['thresholds']> };
  const canaryTrack = raw.canaryTrack ?? 'canary';
  const stableTrack = raw.stableTrack ?? 'stable';
  for (const [key, track] of [['canaryTrack', canaryTrack], ['stableTrack', stableTrack]] as const) {
    if (!tracks.includes(track)) return { path: `plan.${key}`, message: `no track "${track}" is configured (known: ${tracks.join(', ')})` };
  }
  if (canaryTrack === stableTrack) return { path: 'plan.canaryTrack', message: 'the canary and stable tracks must differ' };
  for (let i = 1; i < raw.steps.length; i++) {
    if (raw.steps[i]!.weight <= raw.steps[i - 1]!.weight) return { path: `plan.steps.${i}.weight`, message: 'weights must grow from step to step' };
  }
  if (raw.steps.at(-1)!.weight !== 100) return { path: `plan.steps.${raw.steps.length - 1}.weight`, message: 'the last step must be 100 (reaching it completes the rollout)' };
  return {
    plan: {
      canaryTrack,
      stableTrack,
      steps: raw.steps.map((s) => ({ weight: s.weight, minDurationSeconds: s.minDurationSeconds ?? 60, minSamples: s.minSamples ?? 100 })),
      thresholds: { ...DEFAULT_THRESHOLDS, ...raw.thresholds },
    },
  };
}

export type RolloutState = 'running' | 'paused' | 'succeeded' | 'rolled_back' | 'aborted';
export type DecisionKind = 'start' | 'promote' | 'hold' | 'rollback' | 'pause' | 'resume' | 'abort' | 'complete';

export interface Rollout {
  id: number;
  plan: Plan;
  baseVersion: number | null;
  state: RolloutState;
  step: number;
  weight: number;
  stepStartedAt: string;
  /** Seconds on the current step (by the database's clock). */
  stepSeconds: number;
  /** The activation whose samples the current step is judged on. */
  windowId: number | null;
  holdRecorded: boolean;
  lastVerdict: string | null;
  lastReason: string | null;
  checkedAt: string | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface SampleSummary {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface Decision {
  id: number;
  rolloutId: number;
  step: number;
  weight: number;
  decision: DecisionKind;
  reason: string;
  policyVersion: number | null;
  decidedBy: string;
  canary: SampleSummary | null;
  stable: SampleSummary | null;
  decidedAt: string;
}

const iso = (value: unknown) => (value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value));
const json = <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T;
export const OPEN_STATES: readonly RolloutState[] = ['running', 'paused'];

const ROLLOUT_COLUMNS = `id, plan, base_version, state, step, step_started_at, extract(epoch from now() - step_started_at) as step_seconds, window_id, hold_recorded,
  last_verdict, last_reason, checked_at, created_by, created_at, finished_at`;

function rolloutOf(row: Record<string, unknown>): Rollout {
  const plan = json<Plan>(row.plan);
  const step = Number(row.step);
  return {
    id: Number(row.id),
    plan,
    baseVersion: row.base_version === null ? null : Number(row.base_version),
    state: row.state as RolloutState,
    step,
    weight: plan.steps[step]?.weight ?? 0,
    stepStartedAt: iso(row.step_started_at)!,
    stepSeconds: Number(row.step_seconds),
    windowId: row.window_id === null ? null : Number(row.window_id),
    holdRecorded: row.hold_recorded === true,
    lastVerdict: (row.last_verdict as string | null) ?? null,
    lastReason: (row.last_reason as string | null) ?? null,
    checkedAt: iso(row.checked_at),
    createdBy: String(row.created_by),
    createdAt: iso(row.created_at)!,
    finishedAt: iso(row.finished_at),
  };
}

export async function getRollout(db: Queryable, id: number): Promise<Rollout | undefined> {
  const [row] = await db.query<Record<string, unknown>>(`select ${ROLLOUT_COLUMNS} from souk_gateway_rollouts where id = $1`, [id]);
  return row ? rolloutOf(row) : undefined;
}

/** The running or paused rollout, if any (there is at most one). */
export async function openRollout(db: Queryable): Promise<Rollout | undefined> {
  const [row] = await db.query<Record<string, unknown>>(`select ${ROLLOUT_COLUMNS} from souk_gateway_rollouts where state in ('running', 'paused') order by id desc limit 1`);
  return row ? rolloutOf(row) : undefined;
}

export async function listRollouts(db: Queryable, limit = 20): Promise<Rollout[]> {
  const rows = await db.query<Record<string, unknown>>(`select ${ROLLOUT_COLUMNS} from souk_gateway_rollouts order by id desc limit $1`, [limit]);
  return rows.map(rolloutOf);
}

export async function listDecisions(db: Queryable, rolloutId: number, limit = 200): Promise<Decision[]> {
  const rows = await db.query<Record<string, unknown>>(
    'select id, rollout_id, step, weight, decision, reason, policy_version, decided_by, canary, stable, decided_at from souk_gateway_rollout_decisions where rollout_id = $1 order by id desc limit $2',
    [rolloutId, limit],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    rolloutId: Number(row.rollout_id),
    step: Number(row.step),
    weight: Number(row.weight),
    decision: row.decision as DecisionKind,
    reason: String(row.reason),
    policyVersion: row.policy_version === null ? null : Number(row.policy_version),
    decidedBy: String(row.decided_by),
    canary: row.canary === null ? null : json<SampleSummary>(row.canary),
    stable: row.stable === null ? null : json<SampleSummary>(row.stable),
    decidedAt: iso(row.decided_at)!,
  }));
}

/** The policy of a step: the base document with the default split at `weight` % canary. */
export function stepDocument(base: PolicyDocument, plan: Plan, weight: number): PolicyDocument {
  const split: Record<string, number> = {};
  if (weight < 100) split[plan.stableTrack] = 100 - weight;
  split[plan.canaryTrack] = weight;
  return { ...base, default: split };
}

/** The policy after a roll back: no rule sends anyone to the canary track, all default traffic to stable. */
export function rolledBackDocument(base: PolicyDocument, plan: Plan): PolicyDocument {
  return { ...base, rules: base.rules.filter((rule) => rule.track !== plan.canaryTrack), default: { [plan.stableTrack]: 100 } };
}

/** What a transition did, for the log line and the metrics once the transaction has committed. */
export interface TransitionResult {
  rollout: Rollout;
  decision: Decision;
}

interface Context {
  tx: Queryable;
  /** The policy the rollout started from (its rules are kept on every step). */
  base: PolicyDocument;
}

async function baseOf(tx: Queryable, rollout: Pick<Rollout, 'baseVersion' | 'plan'>): Promise<PolicyDocument> {
  const stored = rollout.baseVersion === null ? undefined : await getVersion(tx, rollout.baseVersion);
  return stored?.document ?? { rules: [], default: { [rollout.plan.stableTrack]: 100 } };
}

async function writePolicy(ctx: Context, document: PolicyDocument, by: string, note: string, action: 'activate' | 'rollback') {
  const version = await storeVersionIn(ctx.tx, document, by, note.slice(0, 500));
  const activation = await activate(ctx.tx, version.version, by, action);
  return { version: version.version, activationId: activation.id };
}

async function record(tx: Queryable, rollout: Rollout, decision: DecisionKind, reason: string, by: string, policyVersion: number | null, samples?: { canary: SampleSummary; stable: SampleSummary }): Promise<Decision> {
  const [row] = await tx.query<{ id: number; decided_at: unknown }>(
    `insert into souk_gateway_rollout_decisions (rollout_id, step, weight, decision, reason, policy_version, decided_by, canary, stable)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) returning id, decided_at`,
    [rollout.id, rollout.step, rollout.weight, decision, reason, policyVersion, by, samples ? JSON.stringify(samples.canary) : null, samples ? JSON.stringify(samples.stable) : null],
  );
  return {
    id: Number(row!.id),
    rolloutId: rollout.id,
    step: rollout.step,
    weight: rollout.weight,
    decision,
    reason,
    policyVersion,
    decidedBy: by,
    canary: samples?.canary ?? null,
    stable: samples?.stable ?? null,
    decidedAt: iso(row!.decided_at)!,
  };
}

/** Runs fn holding the rollout lock, in one transaction. */
export async function withRolloutLock<T>(db: { transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> }, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [ROLLOUT_LOCK]);
    return fn(tx);
  });
}

/** Starts a rollout on its first step. The caller holds the lock and has checked that none is open. */
export async function startRollout(tx: Queryable, plan: Plan, by: string): Promise<TransitionResult> {
  const active = await currentActivation(tx);
  const baseVersion = active?.version ?? null;
  const [row] = await tx.query<{ id: number }>(
    `insert into souk_gateway_rollouts (plan, base_version, state, step, created_by) values ($1::jsonb, $2, 'running', 0, $3) returning id`,
    [JSON.stringify(plan), baseVersion, by],
  );
  const created = (await getRollout(tx, Number(row!.id)))!;
  const base = await baseOf(tx, created);
  const reason = `started at ${plan.steps[0]!.weight} % ${plan.canaryTrack}${baseVersion === null ? '' : ` from policy version ${baseVersion}`}`;
  const written = await writePolicy({ tx, base }, stepDocument(base, plan, plan.steps[0]!.weight), by, `rollout ${created.id}: ${reason}`, 'activate');
  await tx.query('update souk_gateway_rollouts set window_id = $2 where id = $1', [created.id, written.activationId]);
  const rollout = (await getRollout(tx, created.id))!;
  return { rollout, decision: await record(tx, rollout, 'start', reason, by, written.version) };
}

export type Action = 'promote' | 'rollback' | 'abort' | 'pause' | 'resume' | 'hold';

/**
 * Moves an open rollout (read under the lock) by one action and records it:
 * promote (next step, or complete on the last), rollback (the canary failed), abort (an operator's roll
 * back), pause, resume, or hold (recorded once per step: time is up but samples are short).
 */
export async function transition(tx: Queryable, rollout: Rollout, action: Action, by: string, reason: string, samples?: { canary: SampleSummary; stable: SampleSummary }): Promise<TransitionResult> {
  const base = await baseOf(tx, rollout);
  const ctx: Context = { tx, base };
  const reload = async () => (await getRollout(tx, rollout.id))!;
  if (action === 'hold') {
    await tx.query('update souk_gateway_rollouts set hold_recorded = true where id = $1', [rollout.id]);
    return { rollout: await reload(), decision: await record(tx, rollout, 'hold', reason, by, null, samples) };
  }
  if (action === 'pause' || action === 'resume') {
    // Resuming starts the step's clock again; its samples so far still count.
    await tx.query(`update souk_gateway_rollouts set state = $2, step_started_at = case when $2 = 'running' then now() else step_started_at end where id = $1`, [rollout.id, action === 'pause' ? 'paused' : 'running']);
    return { rollout: await reload(), decision: await record(tx, rollout, action, reason, by, null, samples) };
  }
  if (action === 'rollback' || action === 'abort') {
    const written = await writePolicy(ctx, rolledBackDocument(base, rollout.plan), by, `rollout ${rollout.id} ${action === 'abort' ? 'aborted' : 'rolled back'}: ${reason}`, 'rollback');
    await tx.query(`update souk_gateway_rollouts set state = $2, finished_at = now(), last_reason = $3 where id = $1`, [rollout.id, action === 'abort' ? 'aborted' : 'rolled_back', reason]);
    return { rollout: await reload(), decision: await record(tx, rollout, action, reason, by, written.version, samples) };
  }
  const next = rollout.step + 1;
  const weight = rollout.plan.steps[next]!.weight;
  const last = next === rollout.plan.steps.length - 1;
  const written = await writePolicy(ctx, stepDocument(base, rollout.plan, weight), by, `rollout ${rollout.id}: ${last ? 'complete' : `step ${next + 1}`} at ${weight} %: ${reason}`, 'activate');
  await tx.query(
    `update souk_gateway_rollouts set step = $2, step_started_at = now(), window_id = $3, hold_recorded = false, last_verdict = null,
       state = case when $4 then 'succeeded' else state end, finished_at = case when $4 then now() else null end where id = $1`,
    [rollout.id, next, written.activationId, last],
  );
  const moved = await reload();
  const text = `${reason}; ${rollout.plan.canaryTrack} now at ${weight} %`;
  return { rollout: moved, decision: await record(tx, moved, last ? 'complete' : 'promote', text, by, written.version, samples) };
}

export async function noteVerdict(tx: Queryable, id: number, verdict: string, reason: string): Promise<void> {
  await tx.query('update souk_gateway_rollouts set last_verdict = $2, last_reason = $3, checked_at = now() where id = $1', [id, verdict, reason]);
}
