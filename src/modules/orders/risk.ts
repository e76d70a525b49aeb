// The orders module's side of the risk gate (kernel/risk-gate.ts): checkout asks the platform's policy at
// the `checkout` point inside its transaction, once the totals are known, so the rules see the money at
// stake, the coupon and where it ships. A deny or an unsolved challenge throws (the transaction rolls
// back: no order, no coupon use, no stock taken); a review comes back as the hold the order is created
// with (on_hold). A platform without the risk module costs one array lookup.
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { RiskFacts, RiskGateRequest, RiskReview } from '../../kernel/risk-gate.ts';
import type { OrderHold } from './schemas.ts';

export type RiskDeps = Pick<ModuleContext, 'riskGate'>;

/** What the order keeps of a review verdict: enough for a reviewer to judge without another lookup. */
export function holdOf(review: RiskReview, point: 'checkout' | 'flash_sale', heldAt: Date = new Date()): OrderHold {
  return { decisionId: review.decisionId, point, level: review.level, score: review.score, reason: review.reason, rules: review.rules, heldAt: heldAt.toISOString() };
}

/** The shipping address in one line, for the engine to normalise and count. */
function addressLine(address: Record<string, unknown> | null): string | undefined {
  if (!address) return undefined;
  const parts = ['line1', 'line2', 'city', 'postalCode', 'country'].map((key) => address[key]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export interface CheckoutFacts {
  orderId: string;
  cartId: string;
  customer: { id: string; createdAt?: string } | null;
  email: string;
  amount: number;
  currency: string;
  couponCode: string | null;
  shippingAddress: Record<string, unknown> | null;
}

export async function screenCheckout(deps: RiskDeps, tx: PlatformDb, platform: Platform, client: RiskGateRequest, facts: CheckoutFacts): Promise<OrderHold | undefined> {
  if (!deps.riskGate.active(platform)) return undefined;
  const address = facts.shippingAddress;
  const country = typeof address?.country === 'string' ? address.country : undefined;
  const phone = typeof address?.phone === 'string' ? address.phone : undefined;
  const line = addressLine(address);
  const riskFacts: RiskFacts = {
    email: facts.email,
    amount: facts.amount,
    currency: facts.currency,
    orderId: facts.orderId,
    cartId: facts.cartId,
    ...(facts.customer ? { accountId: facts.customer.id } : {}),
    ...(facts.customer?.createdAt ? { accountCreatedAt: facts.customer.createdAt } : {}),
    ...(facts.couponCode ? { couponCode: facts.couponCode } : {}),
    ...(country ? { shippingCountry: country } : {}),
    ...(phone ? { phone } : {}),
    ...(line ? { shippingAddress: line } : {}),
  };
  const verdict = await deps.riskGate.screen(platform, 'checkout', client, riskFacts, { holdable: true, db: tx });
  return verdict.action === 'review' ? holdOf(verdict, 'checkout') : undefined;
}
