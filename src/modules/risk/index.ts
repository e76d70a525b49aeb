// The risk module: grades requests at decision points (sign-up, login, coupon, checkout, flash sale,
// payment, live chat and gifts) with per-platform policies written as data, explains every decision
// and keeps the interesting ones. Phase 1 is the engine and its admin API; hooking the decision points
// of other modules into riskService().decide is phase 2.
import type { SoukModule } from '../../kernel/context.ts';
import { riskDocs } from './openapi.ts';
import { riskRoutes } from './routes.ts';
import { riskIntelDocs } from './openapi-intel.ts';
import { riskIntelRoutes } from './routes-intel.ts';
import { RiskRuntime } from './runtime.ts';
import { subscribeHistory } from './history.ts';

export const riskModule: SoukModule<RiskRuntime> = {
  name: 'risk',
  core: false,
  dependsOn: ['accounts', 'events'],
  description: 'Risk engine: rules over request signals decide allow, challenge, review or deny at each decision point, with explanations.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['risk_policy_versions', 'risk_list_entries', 'risk_decisions', 'risk_shadow_policies', 'risk_account_history', 'risk_open_flash_orders'],
  openapi: { ...riskDocs, ...riskIntelDocs },
  createRuntime: (ctx) => new RiskRuntime(ctx),
  start: (_ctx, runtime) => runtime.start(),
  stop: (_ctx, runtime) => runtime.stop(),
  subscribe: (ctx) => subscribeHistory(ctx),
  routes: (app, ctx, runtime) => {
    riskRoutes(app, ctx, runtime);
    riskIntelRoutes(app, ctx, runtime);
  },
};

export { riskService, type RiskService, type DecisionResult } from './service.ts';
export { RiskRuntime } from './runtime.ts';
export { DECISION_POINTS, type DecisionPoint, type PolicyDocument, type RiskAction } from './policy.ts';
export type { RiskInput } from './signals/extract.ts';
export { riskInputOf, DEVICE_ID_HEADER } from './signals/request-input.ts';
export { riskGateOf, POW_DIFFICULTY_BITS, type GateOptions } from './gate.ts';
export { CHALLENGE_HEADER } from './challenge/pow.ts';
export type { ChallengeKind, ChallengeBinding } from './challenge/types.ts';
export * from './events.ts';
