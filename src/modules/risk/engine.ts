// One decision, start to finish, on a platform's compiled state: signals from the input (counters
// included), then the lists, then the policy of the decision point. Synchronous and I/O-free: this is
// the hot path the benchmark measures.
import { compilePolicy, type CompiledPolicy, type FiredRule } from './evaluate.ts';
import { CompiledList, type EntryKind, type ListEntry } from './lists.ts';
import type { DecisionPoint, PolicyDocument, RiskAction } from './policy.ts';
import { extractSignals, type RiskInput, type Signals } from './signals/extract.ts';
import type { SlidingCounters } from './signals/velocity.ts';

/** A platform's policy for one point as the engine runs it: the version and its compiled form. */
export interface ActivePolicy {
  version: number;
  document: PolicyDocument;
  compiled: CompiledPolicy;
}

/** Everything one platform's decisions need, compiled; replaced whole when a policy or list changes. */
export interface PlatformRisk {
  platformId: string;
  policies: ReadonlyMap<DecisionPoint, ActivePolicy>;
  block: CompiledList;
  allow: CompiledList;
  disposable: ReadonlySet<string>;
}

export interface Decision {
  point: DecisionPoint;
  action: RiskAction;
  level: number;
  score: number;
  /** The rules that fired, in policy order, with what each added to the score. */
  fired: FiredRule[];
  /** Set when a list decided: which list and which kind of entry matched. */
  listed?: { list: 'block' | 'allow'; kind: EntryKind };
  policyVersion: number;
  signals: Signals;
}

export function activePolicy(version: number, document: PolicyDocument): ActivePolicy {
  return { version, document, compiled: compilePolicy(document) };
}

export function platformRisk(platformId: string, policies: ReadonlyMap<DecisionPoint, ActivePolicy>, lists: Record<'block' | 'allow' | 'disposable', readonly ListEntry[]>): PlatformRisk {
  return {
    platformId,
    policies,
    block: new CompiledList(lists.block),
    allow: new CompiledList(lists.allow),
    disposable: new Set(lists.disposable.map((e) => e.value)),
  };
}

export function decideOn(
  state: PlatformRisk,
  point: DecisionPoint,
  input: RiskInput,
  deps: { counters: SlidingCounters; bundledDisposable: ReadonlySet<string>; now: number },
): Decision {
  const policy = state.policies.get(point)!;
  const { signals, ip } = extractSignals(input, {
    disposableDomains: deps.bundledDisposable,
    extraDisposableDomains: state.disposable,
    counters: deps.counters,
    counterScope: `${state.platformId}|${point}`,
    now: deps.now,
  });
  const version = policy.version;
  const blocked = state.block.match(signals, ip);
  if (blocked) return { point, action: 'deny', level: 4, score: 0, fired: [], listed: { list: 'block', kind: blocked }, policyVersion: version, signals };
  const allowed = state.allow.match(signals, ip);
  if (allowed) return { point, action: 'allow', level: 0, score: 0, fired: [], listed: { list: 'allow', kind: allowed }, policyVersion: version, signals };
  const { action, level, score, fired } = policy.compiled.evaluate(signals);
  return { point, action, level, score, fired, policyVersion: version, signals };
}
