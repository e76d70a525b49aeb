// The stock gate: the one atomic step of a flash-sale purchase (burst check, per-customer limit,
// stock check, then both counters move). Two implementations share this contract: in-process
// (memory.ts, one node) and Redis Lua scripts (redis.ts, several API nodes sharing one truth).
// Every call carries the sale's epoch: a reconciliation rebuilds the gate under a new epoch, and calls
// made against an older one answer stale_epoch instead of moving counters the rebuild already counted.

export type TakeOutcome =
  | { ok: true; ticketId: string; remaining: number }          // units taken; ticketId is the one passed in
  | { ok: false; reason: 'duplicate'; ticketId: string }        // same customer+sale within burstMs: the earlier ticket
  | { ok: false; reason: 'sold_out'; held: number }              // held: units this customer already holds in the sale
  | { ok: false; reason: 'limit_reached' | 'stale_epoch' | 'not_loaded' };

export interface GateState {
  epoch: number;
  perCustomerLimit: number | null;
  remaining: Record<string, number>;   // variantId → units left in the gate
  bought: Record<string, number>;      // customerId → units this customer holds in the sale (all variants)
}

// Per sale, outliving reloads (dropped with the sale). The gate counts its own outcomes (take calls
// answered stale_epoch / not_loaded are not counted: the caller retries them) and, through tally(), the
// answers nodes gave before reaching it: their sold-out flag, a quantity over the limit, the risk hook or
// the account age. Rate-limited and over-capacity requests are counted per node in Prometheus only, as
// they are refused before the sale is known to exist.
export type EarlyOutcome = 'earlySoldOut' | 'earlyLimitReached' | 'refused';
export type CounterField = 'won' | 'soldOut' | 'limitReached' | 'duplicates' | 'returned' | EarlyOutcome;

export interface SaleCounters {
  /** Every purchase that reached the sale: admitted + answered before the gate. */
  attempts: number;
  /** Reached the gate: won + sold out there + over the limit there + duplicates. */
  admitted: number;
  won: number;
  /** Sold-out answers, at the gate and from a node's sold-out flag. */
  soldOut: number;
  limitReached: number;
  duplicates: number;
  /** Refused by the risk hook or the account age. */
  refused: number;
  /** Units given back to the gate. */
  returned: number;
}

/** The counters from the stored fields (both gates store the same fields). */
export function saleCounters(n: (field: CounterField) => number): SaleCounters {
  const admitted = n('won') + n('soldOut') + n('limitReached') + n('duplicates');
  return {
    attempts: admitted + n('earlySoldOut') + n('earlyLimitReached') + n('refused'),
    admitted,
    won: n('won'),
    soldOut: n('soldOut') + n('earlySoldOut'),
    limitReached: n('limitReached') + n('earlyLimitReached'),
    duplicates: n('duplicates'),
    refused: n('refused'),
    returned: n('returned'),
  };
}

export interface StockGate {
  readonly kind: 'memory' | 'redis';
  /** Replaces the sale's state with `state` under a new epoch (older epochs' calls become stale_epoch). */
  load(saleId: string, state: GateState): Promise<void>;
  /** The one atomic step: burst check (duplicate), limit check, stock check, then both counters move and
   *  the burst key is set for burstMs. Also counts the outcome in the sale's counters.
   *  A winning take is also recorded as in flight under the taking node (ticketId → nodeId) until
   *  settle() or giveBack() clears it, so a survivor can tell which sales a dead node left units taken in. */
  take(saleId: string, input: { epoch: number; variantId: string; customerId: string; quantity: number; ticketId: string; burstMs: number; nodeId: string }): Promise<TakeOutcome>;
  /** Units come back (order cancelled unpaid, ticket not written): remaining += q, bought -= q, and the
   *  take's in-flight record goes when its ticketId is given. False if stale/not loaded. */
  giveBack(saleId: string, input: { epoch: number; variantId: string; customerId: string; quantity: number; ticketId?: string }): Promise<boolean>;
  /** The tickets' fate is known (written, or refused as stale/closed): their takes are no longer in flight. */
  settle(saleId: string, epoch: number, ticketIds: readonly string[]): Promise<void>;
  /** Takes still in flight under the loaded epoch, counted per node (empty when not loaded). */
  inFlight(saleId: string): Promise<Record<string, number>>;
  /** Units the customer holds under `epoch` (0 when stale or not loaded). */
  held(saleId: string, epoch: number, customerId: string): Promise<number>;
  snapshot(saleId: string): Promise<GateState | undefined>;
  counters(saleId: string): Promise<SaleCounters>;
  /** Adds answers given before the gate (a node's batch of them, see tally.ts). */
  tally(saleId: string, counts: Partial<Record<EarlyOutcome, number>>): Promise<void>;
  drop(saleId: string): Promise<void>;
  close(): Promise<void>;
}
