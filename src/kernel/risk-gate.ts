// The risk gate: the port through which a module asks "may this request go on?" at a decision point
// (sign-up, login, coupon, checkout, flash sale, payment, live rooms) without depending on the risk
// module. The kernel hands every module ctx.riskGate; the composition root plugs the risk module's gate
// in (src/modules/risk/gate.ts) and, in a build without it, riskGateOff answers allow. A platform that
// has not switched the risk module on costs one array lookup: no decision, no await on I/O.
import type { PlatformDb } from './db/scoped.ts';

export const RISK_GATE_POINTS = ['signup', 'login', 'coupon', 'checkout', 'flash_sale', 'payment', 'live_chat', 'live_gift'] as const;
export type RiskGatePoint = (typeof RISK_GATE_POINTS)[number];

/** The part of a Platform (context.ts) the gate reads: which one, and whether its risk module is on. */
export interface GatedPlatform {
  id: string;
  modules: readonly string[];
}

/** The problems (403) a route that screens through the gate may answer: list them in its OpenAPI docs. */
export const RISK_GATE_PROBLEMS = ['challenge_required', 'risk_denied'] as const;

/** The request-shaped part the gate reads: the resolved client address and the headers. */
export interface RiskGateRequest {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the caller knows about the action. Everything is optional: absent means unknown. */
export interface RiskFacts {
  accountId?: string;
  email?: string;
  /** When the account was created (ISO string, Date or epoch milliseconds). */
  accountCreatedAt?: string | Date | number;
  /** Money at stake in minor units, with its currency. */
  amount?: number;
  currency?: string;
  couponCode?: string;
  saleId?: string;
  orderId?: string;
  cartId?: string;
  phone?: string;
  shippingCountry?: string;
  /** The shipping address in one line, as the customer gave it (normalised by the engine). */
  shippingAddress?: string;
  /**
   * The payment instrument as the payment provider fingerprints it (stable per card and installation,
   * like Stripe's card.fingerprint; never the card number): links the accounts paying with one card.
   */
  instrumentFingerprint?: string;
}

/**
 * What the caller does next. allow: go on. review: go on, but hold the result for a person (checkout and
 * flash-sale orders are created on_hold) — only answered to callers that said they can hold; for the
 * others a review is asked as a challenge. deny and an unsolved challenge never come back: screen throws
 * the 403 problem (risk_denied, challenge_required) instead.
 */
export type RiskVerdict = { action: 'allow'; decisionId: string | null } | RiskReview;

/** A review verdict carries its explanation, so the held order can show a reviewer why without a lookup. */
export interface RiskReview {
  action: 'review';
  decisionId: string;
  level: number;
  score: number;
  /** The held result's reason in the policy's own words (the rules' descriptions). */
  reason: string;
  /** The rules that fired, with what each added to the score. */
  rules: { rule: string; score: number; description?: string }[];
}

export interface ScreenOptions {
  /** The caller can hold its result for review (an order on_hold). Default false. */
  holdable?: boolean;
  /**
   * The caller's transaction when it screens inside one: the platform's policies, if not loaded yet, are
   * read through it (PGlite has one connection, which the transaction holds).
   */
  db?: PlatformDb;
}

export interface RiskGate {
  /** Whether decisions run for this platform at all (its risk module is on). */
  active(platform: GatedPlatform): boolean;
  /**
   * Judges one request at a decision point; throws the 403 problem on deny or an unsolved challenge.
   * Answers at once (no promise) when the decision needs no I/O, which is the hot paths' common case;
   * a promise otherwise (the platform's policies are being loaded). Callers await it either way.
   */
  screen(platform: GatedPlatform, point: RiskGatePoint, request: RiskGateRequest, facts: RiskFacts, options?: ScreenOptions): RiskVerdict | Promise<RiskVerdict>;
}

export const ALLOWED: RiskVerdict = Object.freeze({ action: 'allow', decisionId: null });

/** The gate of a build without the risk module: everything is allowed. */
export const riskGateOff: RiskGate = {
  active: () => false,
  screen: () => ALLOWED,
};

/**
 * A gate found when first used: the composition root makes ctx before the module runtimes exist, so it
 * hands out this one, which asks `resolve` on the first screen and keeps the answer.
 */
export function lazyRiskGate(resolve: () => RiskGate): RiskGate {
  let gate: RiskGate | undefined;
  const current = () => (gate ??= resolve());
  return {
    active: (platform) => current().active(platform),
    screen: (platform, point, request, facts, options) => current().screen(platform, point, request, facts, options),
  };
}
