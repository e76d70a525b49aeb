// The checks of the purchase hot path that come before the stock gate, in the order purchase.ts runs them.
// All of them answer from memory (rate limits, the session and sale caches, the risk hook): none costs
// a database round trip on a hit. Refusals given here are tallied per node (tally.ts), since the gate,
// which counts its own answers, never sees them.
import type { FastifyRequest } from 'fastify';
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { enforceLimits } from '../../kernel/rate-limit.ts';
import type { Customer } from '../accounts/customer-service.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import type { RiskDecision } from './risk.ts';
import type { SaleOrderInput } from '../orders/service.ts';
import type { FlashRuntime } from './runtime.ts';
import { phaseOf, type SaleRecord } from './sales.ts';
import type { flashSalesSettings } from './settings.ts';
import { accountTooNew, limitReached, purchaseChallenge, purchaseRiskDenied, saleCancelled, saleEnded, saleNotStarted, shopSaleNotFound, variantNotInSale } from './problems.ts';

export const DEVICE_HEADER = 'x-device-id';

/** What one purchase asks for, once its customer and item are known. */
export interface Wanted {
  saleId: string;
  variantId: string;
  quantity: number;
  customer: Customer;
  /** The risk engine asked for a review: the order is created on_hold with this. */
  hold?: SaleOrderInput['hold'];
}

/** What the held order keeps of a review verdict (the hook may be a shop's own, with less to say). */
export function holdOf(review: Extract<RiskDecision, { decision: 'review' }>): NonNullable<SaleOrderInput['hold']> {
  return {
    decisionId: review.decisionId,
    point: 'flash_sale',
    level: review.level ?? 3,
    score: review.score ?? 0,
    reason: review.reason ?? 'Held for review by the shop’s risk checks.',
    rules: review.rules ?? [],
    heldAt: new Date().toISOString(),
  };
}

/** The device id a client sends (optional, at most 200 characters kept): a second rate-limit key. */
export function deviceIdOf(request: FastifyRequest): string | null {
  const raw = request.headers[DEVICE_HEADER];
  return typeof raw === 'string' && raw.length > 0 ? raw.slice(0, 200) : null;
}

/** Per-IP and per-device purchase limits of the platform (429 with Retry-After). */
export async function enforcePurchaseLimits(
  rt: FlashRuntime,
  platform: Platform,
  settings: ReturnType<typeof flashSalesSettings>,
  ip: string,
  deviceId: string | null,
): Promise<void> {
  await enforceLimits(rt.limiter, [
    { key: `fs:ip:${platform.id}:${ip}`, limit: settings.purchasesPerIpPerMinute, windowSeconds: 60 },
    ...(deviceId ? [{ key: `fs:dev:${platform.id}:${deviceId}`, limit: settings.purchasesPerDevicePerMinute, windowSeconds: 60 }] : []),
  ]).catch((error: unknown) => {
    rt.metrics.purchases.inc({ outcome: 'rate_limited' });
    throw error;
  });
}

export function assertLive(sale: SaleRecord | null, saleId: string): asserts sale is SaleRecord {
  if (!sale) throw shopSaleNotFound(saleId);
  const phase = phaseOf(sale);
  if (phase === 'upcoming') throw saleNotStarted(sale.name, sale.startsAt);
  if (phase === 'ended') throw saleEnded(sale.name);
  if (phase === 'cancelled') throw saleCancelled(sale.name);
}

/** The sale from the node's 1 s cache (fresh: from the database), refused unless it is on now. */
export async function liveSale(rt: FlashRuntime, pdb: PlatformDb, saleId: string, fresh = false): Promise<SaleRecord> {
  const sale = await rt.sales.get(pdb, saleId, fresh);
  assertLive(sale, saleId);
  return sale;
}

/** The item and quantity asked for, refused when the sale does not offer it, the quantity passes the
 *  per-customer limit on its own, or the account is younger than the sale allows. */
export function wantedItem(rt: FlashRuntime, sale: SaleRecord, customer: Customer, input: { variantId: string; quantity?: number }): Wanted {
  const variantId = input.variantId.toLowerCase();
  const quantity = input.quantity ?? 1;
  if (!sale.itemsByVariant.has(variantId)) throw variantNotInSale(variantId, sale.name);
  if (sale.perCustomerLimit !== null && quantity > sale.perCustomerLimit) {
    rt.early.count(sale.id, 'earlyLimitReached');
    throw limitReached(sale.perCustomerLimit);
  }
  if (sale.minAccountAgeHours > 0 && Date.now() - Date.parse(customer.createdAt) < sale.minAccountAgeHours * 3_600_000) {
    rt.metrics.purchases.inc({ outcome: 'account_too_new' });
    rt.early.count(sale.id, 'refused');
    throw accountTooNew(sale.name, sale.minAccountAgeHours);
  }
  return { saleId: sale.id, variantId, quantity, customer };
}

/**
 * Asks the runtime's risk hook; a deny or a challenge ends the purchase before a unit is taken. Returns
 * the review verdict when the order is to be held (allow: undefined). Without a promise when the hook
 * answers without one (the risk engine with its policies loaded, or no risk module).
 */
export function screenRisk(
  rt: FlashRuntime,
  platform: Platform,
  request: FastifyRequest,
  deviceId: string | null,
  wanted: Wanted,
  sale: SaleRecord,
): ReviewDecision | undefined | Promise<ReviewDecision | undefined> {
  const item = sale.itemsByVariant.get(wanted.variantId)!;
  let risk: RiskDecision | Promise<RiskDecision>;
  try {
    risk = rt.riskHook({
      platform,
      request,
      saleId: wanted.saleId,
      variantId: wanted.variantId,
      quantity: wanted.quantity,
      amount: item.salePrice * wanted.quantity,
      currency: item.currency,
      customerId: wanted.customer.id,
      email: wanted.customer.email,
      accountCreatedAt: wanted.customer.createdAt,
      ip: request.ip,
      deviceId,
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
    });
  } catch (error) {
    throw countedRefusal(rt, wanted, error);
  }
  if (risk instanceof Promise) {
    return risk.then(
      (decided) => actOn(rt, wanted, decided),
      (error: unknown) => {
        throw countedRefusal(rt, wanted, error);
      },
    );
  }
  return actOn(rt, wanted, risk);
}

type ReviewDecision = Extract<RiskDecision, { decision: 'review' }>;

/** The kernel's gate throws its refusals as problems: they are counted like the hook's own. */
function countedRefusal(rt: FlashRuntime, wanted: Wanted, error: unknown): unknown {
  if (error instanceof HttpProblem && (error.code === 'risk_denied' || error.code === 'challenge_required')) refused(rt, wanted, error.code === 'risk_denied' ? 'deny' : 'challenge');
  return error;
}

function actOn(rt: FlashRuntime, wanted: Wanted, risk: RiskDecision): ReviewDecision | undefined {
  if (risk.decision === 'allow') return undefined;
  if (risk.decision === 'review') return risk;
  refused(rt, wanted, risk.decision);
  throw risk.decision === 'deny' ? purchaseRiskDenied(risk.reason) : purchaseChallenge(risk.reason, risk.challenge);
}

function refused(rt: FlashRuntime, wanted: Wanted, decision: 'deny' | 'challenge'): void {
  rt.metrics.purchases.inc({ outcome: decision === 'deny' ? 'risk_denied' : 'challenge' });
  rt.early.count(wanted.saleId, 'refused');
}
