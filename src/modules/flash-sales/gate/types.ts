// The stock gate: the one atomic step of a flash-sale purchase (burst check, per-customer limit,
// stock check, then both counters move). Two implementations share this contract: in-process
// (memory.ts, one node) and Redis Lua scripts (redis.ts, several API nodes sharing one truth).
// Every call carries the sale's epoch: a reconciliation rebuilds the gate under a new epoch, and calls
// made against an older one answer stale_epoch instead of moving counters the rebuild already counted.

export type TakeOutcome =
  | { ok: true; ticketId: string; remaining: number }          // units taken; ticketId is the one passed in
  | { ok: false; reason: 'duplicate'; ticketId: string }        // same customer+sale within burstMs: the earlier ticket
  | { ok: false; reason: 'sold_out' | 'limit_reached' | 'stale_epoch' | 'not_loaded' };

export interface GateState {
  epoch: number;
  perCustomerLimit: number | null;
  remaining: Record<string, number>;   // variantId → units left in the gate
  bought: Record<string, number>;      // customerId → units this customer holds in the sale (all variants)
}

// Per sale, outliving reloads (dropped with the sale): attempts = won + soldOut + limitReached + duplicates
// (take calls answered stale_epoch / not_loaded are not counted: the caller retries them); returned counts units.
export interface SaleCounters { attempts: number; won: number; soldOut: number; limitReached: number; duplicates: number; returned: number }

export interface StockGate {
  readonly kind: 'memory' | 'redis';
  /** Replaces the sale's state with `state` under a new epoch (older epochs' calls become stale_epoch). */
  load(saleId: string, state: GateState): Promise<void>;
  /** The one atomic step: burst check (duplicate), limit check, stock check, then both counters move and
   *  the burst key is set for burstMs. Also counts the outcome in the sale's counters. */
  take(saleId: string, input: { epoch: number; variantId: string; customerId: string; quantity: number; ticketId: string; burstMs: number }): Promise<TakeOutcome>;
  /** Units come back (order cancelled unpaid, ticket not written): remaining += q, bought -= q. False if stale/not loaded. */
  giveBack(saleId: string, input: { epoch: number; variantId: string; customerId: string; quantity: number }): Promise<boolean>;
  snapshot(saleId: string): Promise<GateState | undefined>;
  counters(saleId: string): Promise<SaleCounters>;
  drop(saleId: string): Promise<void>;
  close(): Promise<void>;
}
