// The risk module's service: what routes and other modules call. Bind it once to the module's runtime
// and the event API, then call it with a PlatformDb:
//
//   const risk = riskService({ runtime, events: ctx.events });
//   const decision = await risk.decide(pdb, 'coupon', { ip, deviceId, userAgent, email, accountId, accountCreatedAt });
//   if (decision.action === 'deny') …
//
// decide() does no I/O once the platform's policies are loaded (the first call per platform and after a
// change reads them; if that read fails, decide rejects and the caller chooses to fail open or closed);
// stored decisions are written behind it by the recorder. Writers run their own
// transaction, NOTIFY other nodes inside it (delivered at commit) and drop this node's compiled state
// after it, so the next decision anywhere runs the new policy.
import type { EventsApi } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { performance } from 'node:perf_hooks';
import { newId } from '../../kernel/ids.ts';
import { defaultPolicy } from './default-policy.ts';
import { activePolicy, decideOn, type Decision, type PlatformRisk } from './engine.ts';
import { EVENT_POLICY_CHANGED } from './events.ts';
import { CompiledList, entryFault, normaliseEntry, type ListEntry, type ListName } from './lists.ts';
import { checkPolicy, DECISION_POINTS, type DecisionPoint } from './policy.ts';
import { decisionNotFound, listInvalid, policyInvalid, policyVersionNotFound } from './problems.ts';
import type { RiskRuntime } from './runtime.ts';
import { commitRiskChange } from './change.ts';
import type { RiskInput } from './signals/extract.ts';
import { ipShape } from './signals/ip.ts';
import { FULL_PLAN } from './signals/plan.ts';
import { SlidingCounters } from './signals/velocity.ts';
import * as store from './store.ts';

export interface RiskDeps {
  runtime: RiskRuntime;
  events: Pick<EventsApi, 'emit'>;
}

export interface DecisionResult extends Decision {
  /** The decision's id; it is stored (searchable) when stored is true. */
  id: string;
  stored: boolean;
}

export interface RiskService {
  /** Judges one request at a decision point: action, level, score and the rules that fired. */
  decide(pdb: PlatformDb, point: DecisionPoint, input: RiskInput): Promise<DecisionResult>;
  /**
   * The same decision without an await, when it needs no I/O: the platform's policies are loaded and the
   * order history its policy may read is cached. undefined otherwise (then call decide).
   */
  decideNow(platformId: string, point: DecisionPoint, input: RiskInput): DecisionResult | undefined;
  /** Evaluates an input against the current policy (or a draft) without counting, storing or changing anything. */
  tryPolicy(pdb: PlatformDb, point: DecisionPoint, input: RiskInput, draft?: unknown): Promise<Decision>;
  currentPolicies(pdb: PlatformDb): Promise<store.PolicyVersion[]>;
  currentPolicy(pdb: PlatformDb, point: DecisionPoint): Promise<store.PolicyVersion>;
  /** Stores a new version after checking it (400 naming the bad part, nothing changed, otherwise). */
  putPolicy(pdb: PlatformDb, point: DecisionPoint, document: unknown, changedBy: string, note?: string): Promise<store.PolicyVersion>;
  versions(pdb: PlatformDb, point: DecisionPoint, limit: number): Promise<store.PolicyVersion[]>;
  /** Makes an earlier version current again, as a new version holding exactly its document (0: the default). */
  rollback(pdb: PlatformDb, point: DecisionPoint, version: number, changedBy: string): Promise<store.PolicyVersion>;
  lists(pdb: PlatformDb): Promise<Record<ListName, store.StoredEntry[]>>;
  putList(pdb: PlatformDb, list: ListName, entries: readonly ListEntry[], changedBy: string): Promise<store.StoredEntry[]>;
  searchDecisions(pdb: PlatformDb, filter: store.DecisionFilter): Promise<store.StoredDecision[]>;
  decision(pdb: PlatformDb, id: string): Promise<store.StoredDecision>;
}

const defaultVersion = (point: DecisionPoint): store.PolicyVersion => ({ point, version: 0, document: defaultPolicy(point), changedBy: null, note: null, changedAt: null });

export function riskService(deps: RiskDeps): RiskService {
  const { runtime } = deps;

  const changing = <T>(pdb: PlatformDb, write: (tx: PlatformDb) => Promise<T>) => commitRiskChange(runtime, pdb, write);

  async function appendChecked(pdb: PlatformDb, point: DecisionPoint, document: unknown, changedBy: string, note: string | null, rolledBackTo: number | null) {
    const fault = checkPolicy(document);
    if (fault) throw policyInvalid(fault);
    return changing(pdb, async (tx) => {
      const version = await store.appendVersion(tx, point, document as store.PolicyVersion['document'], changedBy, note);
      await deps.events.emit(tx, EVENT_POLICY_CHANGED, { point, version: version.version, changedBy, rolledBackTo }, { key: point });
      return version;
    });
  }

  /**
   * Decides on a loaded state, counts the metrics and queues the decision for storage when it is kept.
   * The result is the engine's own decision object with its id and stored flag added: no copy of it (or
   * of its signals) is made per request; the recorder keeps the same object, which nothing changes after.
   */
  function finish(state: PlatformRisk, point: DecisionPoint, input: RiskInput, now: number): DecisionResult {
    const started = performance.now();
    const result = decideOn(state, point, input, { counters: runtime.counters, bundledDisposable: runtime.bundledDisposable, now, links: runtime.links, countryOf: runtime.countryOf }) as DecisionResult;
    const { metrics } = runtime;
    metrics.decisionSeconds.observe(point, (performance.now() - started) / 1000);
    metrics.decisions.inc(point, result.action);
    const fired = result.fired;
    for (let i = 0; i < fired.length; i++) metrics.rulesFired.inc(point, fired[i]!.rule);
    result.id = newId();
    const { shadow } = result;
    if (shadow) metrics.shadowDecisions.inc(point, shadow.action, String(shadow.action === result.action));
    // A shadow that would not allow is kept too: that is what its operator wants to read before switching.
    result.stored = result.action !== 'allow' || (shadow !== undefined && shadow.action !== 'allow') || Math.random() < state.policies.get(point)!.compiled.allowSampleRate;
    if (result.stored) runtime.recorder.record(state.platformId, { ...result, input, decidedAt: new Date(now).toISOString() });
    return result;
  }

  function decideNow(platformId: string, point: DecisionPoint, input: RiskInput): DecisionResult | undefined {
    const state = runtime.loaded(platformId);
    if (state === undefined) return undefined;
    const now = Date.now();
    if (state.plans.get(point)?.history && input.accountId !== undefined && input.history === undefined) {
      const history = runtime.history.cached(platformId, input.accountId, now);
      if (history === undefined) return undefined;
      input = { ...input, history };
    }
    return finish(state, point, input, now);
  }

  return {
    decideNow,

    async decide(pdb, point, input) {
      const ready = decideNow(pdb.platformId, point, input);
      if (ready) return ready;
      const state = runtime.loaded(pdb.platformId) ?? (await runtime.stateOf(pdb));
      const now = Date.now();
      // Order history only for a policy that reads it: from the node's cache, one keyed read on a miss.
      if (state.plans.get(point)?.history && input.accountId !== undefined && input.history === undefined) {
        const history = runtime.history.cached(pdb.platformId, input.accountId, now) ?? (await runtime.history.load(pdb, input.accountId, now).catch(() => undefined));
        if (history) input = { ...input, history };
      }
      return finish(state, point, input, now);
    },

    async tryPolicy(pdb, point, input, draft) {
      const state = await runtime.stateOf(pdb);
      let policies = state.policies;
      if (draft !== undefined) {
        const fault = checkPolicy(draft);
        if (fault) throw policyInvalid(fault);
        policies = new Map(policies).set(point, activePolicy(-1, draft as store.PolicyVersion['document']));
      }
      // A scratch counter set: a trial never counts toward real velocity.
      // Every signal is computed for a trial (FULL_PLAN): the draft may read ones the live policies do not.
      return decideOn({ ...state, policies }, point, input, { counters: new SlidingCounters(), bundledDisposable: runtime.bundledDisposable, now: Date.now(), countryOf: runtime.countryOf, plan: FULL_PLAN });
    },

    async currentPolicies(pdb) {
      const stored = new Map((await store.currentVersions(pdb)).map((v) => [v.point, v]));
      return DECISION_POINTS.map((point) => stored.get(point) ?? defaultVersion(point));
    },

    async currentPolicy(pdb, point) {
      return (await store.storedVersion(pdb, point)) ?? defaultVersion(point);
    },

    putPolicy(pdb, point, document, changedBy, note) {
      return appendChecked(pdb, point, document, changedBy, note ?? null, null);
    },

    async versions(pdb, point, limit) {
      const stored = await store.versionHistory(pdb, point, limit);
      // The default is version 0 of every history: it is what a rollback to 0 restores.
      return stored.length < limit ? [...stored, defaultVersion(point)] : stored;
    },

    async rollback(pdb, point, version, changedBy) {
      const target = version === 0 ? defaultVersion(point) : await store.storedVersion(pdb, point, version);
      if (!target) throw policyVersionNotFound(point, version);
      return appendChecked(pdb, point, target.document, changedBy, `rollback to version ${version}`, version);
    },

    lists(pdb) {
      return store.listEntries(pdb);
    },

    async putList(pdb, list, entries, changedBy) {
      const normalised = entries.map(normaliseEntry);
      for (let i = 0; i < normalised.length; i++) {
        const fault = entryFault(list, normalised[i]!, i);
        if (fault) throw listInvalid(fault);
      }
      // Compiling the entries proves every one of them can be matched before anything is written.
      new CompiledList(normalised);
      const unique = [...new Map(normalised.map((e) => [`${e.kind}|${e.value}`, e])).values()];
      await changing(pdb, (tx) => store.replaceList(tx, list, unique, changedBy));
      return (await store.listEntries(pdb))[list];
    },

    searchDecisions(pdb, filter) {
      // Decisions store the address as the engine read it (IPv4-mapped IPv6 unwrapped, IPv6 compressed).
      const ip = filter.ip === undefined ? undefined : (ipShape(filter.ip)?.address ?? filter.ip);
      return store.searchDecisions(pdb, { ...filter, ip });
    },

    async decision(pdb, id) {
      const found = await store.storedDecision(pdb, id);
      if (!found) throw decisionNotFound(id);
      return found;
    },
  };
}
