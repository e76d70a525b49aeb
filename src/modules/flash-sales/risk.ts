// The risk hook of the purchase hot path. The risk engine (or a shop's own code) plugs in with
// setFlashSaleRiskHook; until then every purchase is allowed. The hook runs after the customer, the sale
// and the rate limits are checked and before a unit is taken, so a denied attempt costs no stock.

export type RiskDecision =
  | { decision: 'allow' }
  | { decision: 'deny'; reason?: string }
  | { decision: 'challenge'; challenge: Record<string, unknown>; reason?: string };

export interface RiskInput {
  platformId: string;
  saleId: string;
  variantId: string;
  quantity: number;
  customerId: string;
  accountCreatedAt: string;
  ip: string;
  deviceId: string | null;
  userAgent: string | null;
}

export type FlashSaleRiskHook = (input: RiskInput) => RiskDecision | Promise<RiskDecision>;

const allowAll: FlashSaleRiskHook = () => ({ decision: 'allow' });
let hook: FlashSaleRiskHook = allowAll;

/** Replaces the process's risk hook; null restores the default (allow everything). */
export function setFlashSaleRiskHook(fn: FlashSaleRiskHook | null): void {
  hook = fn ?? allowAll;
}

export function riskHook(): FlashSaleRiskHook {
  return hook;
}
