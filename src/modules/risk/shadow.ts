// Shadow policies: per platform and decision point, a draft that runs beside the live policy on every
// decision (engine.ts) and never changes its outcome; its would-be action, level, score and fired rules
// are kept on the stored decision (`shadow`) and counted in souk_risk_shadow_decisions_total. Setting or
// clearing one goes through the same commit as a policy change, so every node picks it up at once.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { commitRiskChange } from './change.ts';
import { checkPolicy, type DecisionPoint, type PolicyDocument } from './policy.ts';
import { policyInvalid, shadowNotFound } from './problems.ts';
import type { RiskRuntime } from './runtime.ts';
import { deleteShadow, shadowPolicies, upsertShadow, type ShadowPolicy } from './shadow-store.ts';

export interface ShadowService {
  list(pdb: PlatformDb): Promise<ShadowPolicy[]>;
  /** Checks the draft (400 naming the bad part, nothing changed) and makes it the point's shadow. */
  set(pdb: PlatformDb, point: DecisionPoint, document: unknown, setBy: string, note?: string): Promise<ShadowPolicy>;
  /** Stops shadowing the point; 404 when it had no shadow. */
  clear(pdb: PlatformDb, point: DecisionPoint): Promise<void>;
}

export function shadowService(runtime: RiskRuntime): ShadowService {
  return {
    list: shadowPolicies,

    async set(pdb, point, document, setBy, note) {
      const fault = checkPolicy(document);
      if (fault) throw policyInvalid(fault);
      return commitRiskChange(runtime, pdb, (tx) => upsertShadow(tx, point, document as PolicyDocument, setBy, note ?? null));
    },

    async clear(pdb, point) {
      if (!(await commitRiskChange(runtime, pdb, (tx) => deleteShadow(tx, point)))) throw shadowNotFound(point);
    },
  };
}
