// The risk hook of the purchase hot path, one per running Souk (FlashRuntime.riskHook). By default it is
// the platform's risk engine through the kernel's gate (ctx.riskGate): nothing runs for a platform
// without the risk module, and for one with it the decision needs no I/O once its policies are loaded.
// A shop's own code (or a test) replaces it on the runtime. It runs after the customer, the sale and the
// rate limits are checked and before a unit is taken, so a refused attempt costs no stock; not for an
// attempt the node's sold-out flag answers (nothing left to protect, so no decision is spent on it).
import type { FastifyRequest } from 'fastify';
import type { Platform } from '../../kernel/context.ts';
import type { RiskGate, RiskVerdict } from '../../kernel/risk-gate.ts';

export type RiskDecision =
  | { decision: 'allow' }
  | { decision: 'deny'; reason?: string }
  | { decision: 'challenge'; challenge: Record<string, unknown>; reason?: string }
  /** The purchase goes on, and its order is created on_hold for a person to approve or reject. */
  | { decision: 'review'; decisionId: string; reason?: string; level?: number; score?: number; rules?: { rule: string; score: number; description?: string }[] };

export interface RiskInput {
  platform: Platform;
  request: FastifyRequest;
  saleId: string;
  variantId: string;
  quantity: number;
  /** What the units cost at the sale price, in minor units of currency. */
  amount: number;
  currency: string;
  customerId: string;
  email: string;
  accountCreatedAt: string;
  ip: string;
  deviceId: string | null;
  userAgent: string | null;
}

export type FlashSaleRiskHook = (input: RiskInput) => RiskDecision | Promise<RiskDecision>;

const ALLOW: RiskDecision = Object.freeze({ decision: 'allow' });

function hookDecision(verdict: RiskVerdict): RiskDecision {
  if (verdict.action !== 'review') return ALLOW;
  return { decision: 'review', decisionId: verdict.decisionId, reason: verdict.reason, level: verdict.level, score: verdict.score, rules: verdict.rules };
}

/**
 * The default hook: the kernel's risk gate. Its deny and unsolved challenge are thrown as 403 problems.
 * It answers without a promise when the gate does (the platform's policies loaded), so a purchase pays
 * no await for its risk decision.
 */
export function gateRiskHook(gate: RiskGate): FlashSaleRiskHook {
  return (input) => {
    if (!gate.active(input.platform)) return ALLOW;
    const verdict = gate.screen(
      input.platform,
      'flash_sale',
      input.request,
      { accountId: input.customerId, email: input.email, accountCreatedAt: input.accountCreatedAt, saleId: input.saleId, amount: input.amount, currency: input.currency },
      // Held, not refused: the order the ticket becomes is created on_hold for a person to judge.
      { holdable: true },
    );
    return verdict instanceof Promise ? verdict.then(hookDecision) : hookDecision(verdict);
  };
}
