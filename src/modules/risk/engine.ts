// One decision, start to finish, on a platform's compiled state: signals from the input (counters
// included), then the lists, then the policy of the decision point. Synchronous and I/O-free: this is
// the hot path the benchmark measures.
import { compilePolicy, type CompiledPolicy, type FiredRule } from './evaluate.ts';
import { CompiledList, type EntryKind, type ListEntry } from './lists.ts';
import type { DecisionPoint, PolicyDocument, RiskAction } from './policy.ts';
import { extractSignals, type RiskInput, type Signals } from './signals/extract.ts';
import type { SlidingCounters } from './signals/velocity.ts';
import type { AccountLinks } from './signals/links.ts';
import type { CountryOf } from './signals/geo.ts';
import { planFor, type SignalPlan } from './signals/plan.ts';
import { VELOCITY_KEYS } from './signals/catalogue.ts';

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
  /** Draft policies run in shadow beside the live ones (shadow.ts): what they would do is only recorded. */
  shadows: ReadonlyMap<DecisionPoint, CompiledPolicy>;
  /** Per point, the expensive signals its live and shadow policies read (signals/plan.ts). */
  plans: ReadonlyMap<DecisionPoint, SignalPlan>;
}

/** What the shadow policy of the point would have decided; it never changes the decision itself. */
export interface ShadowOutcome {
  action: RiskAction;
  level: number;
  score: number;
  fired: FiredRule[];
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
  /** Set when the point has a shadow policy. */
  shadow?: ShadowOutcome;
}

export function activePolicy(version: number, document: PolicyDocument): ActivePolicy {
  return { version, document, compiled: compilePolicy(document) };
}

export function platformRisk(
  platformId: string,
  policies: ReadonlyMap<DecisionPoint, ActivePolicy>,
  lists: Record<'block' | 'allow' | 'disposable', readonly ListEntry[]>,
  shadows: ReadonlyMap<DecisionPoint, PolicyDocument> = new Map(),
): PlatformRisk {
  const compiledShadows = new Map([...shadows].map(([point, document]) => [point, compilePolicy(document)]));
  const plans = new Map<DecisionPoint, SignalPlan>();
  for (const [point, policy] of policies) plans.set(point, planFor([...policy.compiled.signals, ...(compiledShadows.get(point)?.signals ?? [])]));
  return {
    platformId,
    policies,
    block: new CompiledList(lists.block),
    allow: new CompiledList(lists.allow),
    disposable: new Set(lists.disposable.map((e) => e.value)),
    shadows: compiledShadows,
    plans,
  };
}

export function decideOn(
  state: PlatformRisk,
  point: DecisionPoint,
  input: RiskInput,
  deps: { counters: SlidingCounters; bundledDisposable: ReadonlySet<string>; now: number; links?: AccountLinks; countryOf?: CountryOf; plan?: SignalPlan },
): Decision {
  const policy = state.policies.get(point)!;
  const { signals, ip } = extractSignals(input, {
    disposableDomains: deps.bundledDisposable,
    extraDisposableDomains: state.disposable,
    counters: deps.counters,
    counterScope: `${state.platformId}|${point}`,
    counterMaps: deps.counters.scopeOf(state.platformId, point, VELOCITY_KEYS.length),
    now: deps.now,
    links: deps.links,
    linkScope: state.platformId,
    countryOf: deps.countryOf,
    plan: deps.plan ?? state.plans.get(point),
  });
  const version = policy.version;
  // The shadow sees the very signals the live policy saw (the counters are hit once, above), so running
  // it changes nothing but the record. Lists decide before any policy, for the shadow as for the live one.
  const shadow = state.shadows.size === 0 ? undefined : state.shadows.get(point);
  const blocked = state.block.match(signals, ip);
  if (blocked) {
    const decision: Decision = { point, action: 'deny', level: 4, score: 0, fired: [], listed: { list: 'block', kind: blocked }, policyVersion: version, signals };
    if (shadow) decision.shadow = { action: 'deny', level: 4, score: 0, fired: [] };
    return decision;
  }
  const allowed = state.allow.match(signals, ip);
  if (allowed) {
    const decision: Decision = { point, action: 'allow', level: 0, score: 0, fired: [], listed: { list: 'allow', kind: allowed }, policyVersion: version, signals };
    if (shadow) decision.shadow = { action: 'allow', level: 0, score: 0, fired: [] };
    return decision;
  }
  const { action, level, score, fired } = policy.compiled.evaluate(signals);
  if (shadow === undefined) return { point, action, level, score, fired, policyVersion: version, signals };
  return { point, action, level, score, fired, policyVersion: version, signals, shadow: shadow.evaluate(signals) };
}
