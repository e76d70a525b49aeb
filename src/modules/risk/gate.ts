// The risk module's side of the kernel's risk gate (kernel/risk-gate.ts): what every decision point in
// other modules calls through ctx.riskGate. For a platform with the risk module on it builds the engine's
// input from the request and the caller's facts, decides (no I/O once the platform's policies are loaded)
// and acts on the decision:
//   allow     → go on;
//   deny      → 403 risk_denied naming the stored decision and why, in the policy's own rule descriptions;
//   challenge → 403 challenge_required carrying a fresh challenge, unless the request carries a valid,
//               unspent answer to one issued for the same platform, point and subject: then it goes on;
//   review    → returned to callers that can hold their result (checkout and flash-sale orders go on_hold);
//               asked as a challenge of the others (a person cannot review a login as it happens).
import type { ModuleContext } from '../../kernel/context.ts';
import { challengeRequired, riskDenied } from '../../kernel/http/problems.ts';
import { ALLOWED, type GatedPlatform, type RiskFacts, type RiskGate, type RiskGateRequest, type RiskReview, type RiskVerdict } from '../../kernel/risk-gate.ts';
import { CHALLENGE_HEADER, proofOfWork } from './challenge/pow.ts';
import { FAULT_WORDS, type ChallengeBinding, type ChallengeKind } from './challenge/types.ts';
import type { DecisionPoint } from './policy.ts';
import type { RiskRuntime } from './runtime.ts';
import { riskService, type DecisionResult } from './service.ts';
import type { RiskInput } from './signals/extract.ts';
import { withRequest } from './signals/request-input.ts';

export const RISK_MODULE_NAME = 'risk';

/** The built-in challenge's cost: about 65,000 hashes, a fraction of a second in a browser. */
export const POW_DIFFICULTY_BITS = 16;
const CHALLENGE_TTL_SECONDS = 300;

export interface GateOptions {
  /** Another challenge kind than the built-in proof of work (a captcha service, a test's cheaper work). */
  challenge?: ChallengeKind;
}

/**
 * The facts the engine has no named signal for yet reach rules as custom.<name> signals. Built by
 * assignment (no spreads of conditional objects): it runs on every decision of every hooked point.
 */
function inputOf(request: RiskGateRequest, facts: RiskFacts): RiskInput {
  const known: RiskInput = {};
  if (facts.accountId !== undefined) known.accountId = facts.accountId;
  if (facts.email !== undefined) known.email = facts.email;
  if (facts.accountCreatedAt !== undefined) known.accountCreatedAt = facts.accountCreatedAt;
  if (facts.amount !== undefined) known.amount = facts.amount;
  if (facts.instrumentFingerprint !== undefined) known.instrument = facts.instrumentFingerprint;
  let custom: Record<string, string | number> | undefined;
  if (facts.couponCode !== undefined) (custom ??= {}).coupon_code = facts.couponCode.toUpperCase();
  if (facts.saleId !== undefined) (custom ??= {}).sale_id = facts.saleId;
  if (facts.orderId !== undefined) (custom ??= {}).order_id = facts.orderId;
  if (facts.cartId !== undefined) (custom ??= {}).cart_id = facts.cartId;
  if (facts.currency !== undefined) (custom ??= {}).currency = facts.currency;
  if (facts.phone !== undefined) (custom ??= {}).phone = facts.phone;
  if (facts.shippingCountry !== undefined) (custom ??= {}).shipping_country = facts.shippingCountry.toUpperCase();
  if (facts.shippingAddress !== undefined) (custom ??= {}).shipping_address = facts.shippingAddress;
  if (custom !== undefined) known.custom = custom;
  return withRequest(known, request);
}

/** Who a challenge is bound to: the account, else the email, else the client address. */
function subjectOf(request: RiskGateRequest, facts: RiskFacts): string {
  if (facts.accountId !== undefined) return `account:${facts.accountId}`;
  if (facts.email !== undefined) return `email:${facts.email.trim().toLowerCase()}`;
  return `ip:${request.ip}`;
}

const headerValue = (request: RiskGateRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function riskGateOf(ctx: Pick<ModuleContext, 'platformDb' | 'events' | 'secrets'>, runtime: RiskRuntime, options: GateOptions = {}): RiskGate {
  const service = riskService({ runtime, events: ctx.events });
  const challenge =
    options.challenge ??
    proofOfWork({ difficultyBits: POW_DIFFICULTY_BITS, ttlSeconds: CHALLENGE_TTL_SECONDS, mac: (purpose, data) => ctx.secrets.mac(purpose, data), spent: runtime.spentChallenges });
  const active = (platform: GatedPlatform) => platform.modules.includes(RISK_MODULE_NAME);

  const rulesOf = (platformId: string, decision: DecisionResult) => runtime.loaded(platformId)?.policies.get(decision.point)?.document.rules ?? [];

  /** Why, in the words of the rules that fired (their descriptions), the heaviest first. */
  function reasonOf(platformId: string, decision: DecisionResult, opening: string): string {
    if (decision.listed) return `${opening}: this ${decision.listed.kind.replace('_', ' ')} is on the shop's block list.`;
    const rules = rulesOf(platformId, decision);
    const words = [...decision.fired]
      .sort((a, b) => Number(b.action !== undefined) - Number(a.action !== undefined) || b.score - a.score)
      .slice(0, 3)
      .map((fired) => rules.find((rule) => rule.id === fired.rule)?.description ?? fired.rule);
    return words.length > 0 ? `${opening}: ${words.join('; ')}.` : `${opening}.`;
  }

  function reviewOf(platformId: string, decision: DecisionResult): RiskReview {
    const rules = rulesOf(platformId, decision);
    return {
      action: 'review',
      decisionId: decision.id,
      level: decision.level,
      score: decision.score,
      reason: reasonOf(platformId, decision, 'Held for review'),
      rules: decision.fired.map((fired) => {
        const description = rules.find((rule) => rule.id === fired.rule)?.description;
        return { rule: fired.rule, score: fired.score, ...(description === undefined ? {} : { description }) };
      }),
    };
  }

  function challenged(binding: ChallengeBinding, request: RiskGateRequest, decision: DecisionResult): void {
    const answer = headerValue(request, CHALLENGE_HEADER);
    const now = Date.now();
    let refusal = '';
    if (answer !== undefined) {
      const fault = challenge.redeem(binding, answer, now);
      if (fault === null) return;
      refusal = ` (${FAULT_WORDS[fault]}; here is a new one)`;
    }
    const reason = reasonOf(binding.platformId, decision, `Solve the challenge, then send the request again${refusal}. It was asked because`);
    throw challengeRequired(reason, challenge.issue(binding, now), decision.id);
  }

  function verdictOf(platform: GatedPlatform, point: string, request: RiskGateRequest, facts: RiskFacts, decision: DecisionResult, holdable: boolean): RiskVerdict {
    switch (decision.action) {
      case 'allow':
        return { action: 'allow', decisionId: decision.id };
      case 'deny':
        throw riskDenied(reasonOf(platform.id, decision, 'Refused by the shop’s risk checks'), decision.id);
      case 'review':
        if (holdable) return reviewOf(platform.id, decision);
        break;
      case 'challenge':
        break;
    }
    challenged({ platformId: platform.id, point, subject: subjectOf(request, facts) }, request, decision);
    return { action: 'allow', decisionId: decision.id };
  }

  return {
    active,
    screen(platform, point, request, facts, screenOptions) {
      if (!active(platform)) return ALLOWED;
      const input = inputOf(request, facts);
      const holdable = screenOptions?.holdable === true;
      // Without an await when the decision needs no I/O (the platform's policies loaded): the common case.
      const now = service.decideNow(platform.id, point as DecisionPoint, input);
      if (now !== undefined) return verdictOf(platform, point, request, facts, now, holdable);
      return service.decide(screenOptions?.db ?? ctx.platformDb(platform.id), point as DecisionPoint, input).then((decision) => verdictOf(platform, point, request, facts, decision, holdable));
    },
  };
}
