// The in-process stock gate (embedded Souk, one node). Every operation runs to completion synchronously
// before its promise is returned, so on Node's single thread each take is atomic without locks: nothing
// can interleave between the limit check, the stock check and the counters moving.
import { saleCounters, type CounterField, type GateState, type StockGate, type TakeOutcome } from './types.ts';

interface SaleSlot {
  epoch: number;
  limit: number | null;
  remaining: Map<string, number>;
  bought: Map<string, number>;
  /** customerId → the ticket of their last win and when its burst window closes. */
  burst: Map<string, { ticketId: string; until: number }>;
  /** ticketId → the node that took it, until the ticket's fate is known. */
  inFlight: Map<string, string>;
  lastSweep: number;
}

const NOT_LOADED: TakeOutcome = Object.freeze({ ok: false, reason: 'not_loaded' });
const STALE: TakeOutcome = Object.freeze({ ok: false, reason: 'stale_epoch' });
const LIMIT: TakeOutcome = Object.freeze({ ok: false, reason: 'limit_reached' });
const RESOLVED_TRUE = Promise.resolve(true);
const RESOLVED_FALSE = Promise.resolve(false);
const RESOLVED_VOID = Promise.resolve();

/** Burst entries are swept at most this often, so memory follows recent winners rather than every winner. */
const SWEEP_EVERY_MS = 10_000;

/** A programming error, not an outcome: the routes validate quantities before they reach the gate. */
export function badQuantity(quantity: number): RangeError | undefined {
  return Number.isInteger(quantity) && quantity >= 1 ? undefined : new RangeError(`gate quantity must be a positive integer, got ${quantity}`);
}

export function memoryGate(now: () => number = Date.now): StockGate {
  const sales = new Map<string, SaleSlot>();
  // Counters outlive reloads (a reconciliation does not reset a sale's statistics); drop clears them.
  const counters = new Map<string, Record<CounterField, number>>();

  function countersOf(saleId: string): Record<CounterField, number> {
    let c = counters.get(saleId);
    if (!c) {
      c = { won: 0, soldOut: 0, limitReached: 0, duplicates: 0, returned: 0, earlySoldOut: 0, earlyLimitReached: 0, refused: 0 };
      counters.set(saleId, c);
    }
    return c;
  }

  function sweep(slot: SaleSlot, t: number): void {
    for (const [customer, entry] of slot.burst) if (entry.until <= t) slot.burst.delete(customer);
    slot.lastSweep = t;
  }

  return {
    kind: 'memory',

    load(saleId, state) {
      const current = sales.get(saleId);
      // A late load from an older rebuild must not overwrite a newer one: the newest epoch wins.
      if (current && state.epoch < current.epoch) return RESOLVED_VOID;
      sales.set(saleId, {
        epoch: state.epoch,
        limit: state.perCustomerLimit,
        remaining: new Map(Object.entries(state.remaining)),
        bought: new Map(Object.entries(state.bought).filter(([, units]) => units > 0)),
        burst: new Map(),
        inFlight: new Map(),
        lastSweep: now(),
      });
      return RESOLVED_VOID;
    },

    take(saleId, input) {
      const invalid = badQuantity(input.quantity);
      if (invalid) return Promise.reject(invalid);
      const slot = sales.get(saleId);
      if (!slot) return Promise.resolve(NOT_LOADED);
      if (slot.epoch !== input.epoch) return Promise.resolve(STALE);
      const c = countersOf(saleId);
      const t = now();
      if (t - slot.lastSweep > SWEEP_EVERY_MS) sweep(slot, t);
      const earlier = slot.burst.get(input.customerId);
      if (earlier && earlier.until > t) {
        c.duplicates += 1;
        return Promise.resolve({ ok: false, reason: 'duplicate', ticketId: earlier.ticketId });
      }
      const held = slot.bought.get(input.customerId) ?? 0;
      if (slot.limit !== null && held + input.quantity > slot.limit) {
        c.limitReached += 1;
        return Promise.resolve(LIMIT);
      }
      const left = slot.remaining.get(input.variantId) ?? 0;
      if (left < input.quantity) {
        c.soldOut += 1;
        return Promise.resolve({ ok: false, reason: 'sold_out', held });
      }
      const after = left - input.quantity;
      slot.remaining.set(input.variantId, after);
      slot.bought.set(input.customerId, held + input.quantity);
      if (input.burstMs > 0) slot.burst.set(input.customerId, { ticketId: input.ticketId, until: t + input.burstMs });
      slot.inFlight.set(input.ticketId, input.nodeId);
      c.won += 1;
      return Promise.resolve({ ok: true, ticketId: input.ticketId, remaining: after });
    },

    giveBack(saleId, input) {
      const invalid = badQuantity(input.quantity);
      if (invalid) return Promise.reject(invalid);
      const slot = sales.get(saleId);
      if (!slot || slot.epoch !== input.epoch) return RESOLVED_FALSE;
      const left = slot.remaining.get(input.variantId);
      if (left === undefined) return RESOLVED_FALSE; // not a variant of this sale
      slot.remaining.set(input.variantId, left + input.quantity);
      const held = (slot.bought.get(input.customerId) ?? 0) - input.quantity;
      if (held > 0) slot.bought.set(input.customerId, held);
      else slot.bought.delete(input.customerId);
      // The returned unit's ticket is void: a click right after must try afresh, not be told "duplicate".
      slot.burst.delete(input.customerId);
      if (input.ticketId) slot.inFlight.delete(input.ticketId);
      countersOf(saleId).returned += input.quantity;
      return RESOLVED_TRUE;
    },

    settle(saleId, epoch, ticketIds) {
      const slot = sales.get(saleId);
      if (slot && slot.epoch === epoch) for (const id of ticketIds) slot.inFlight.delete(id);
      return RESOLVED_VOID;
    },

    inFlight(saleId) {
      const byNode: Record<string, number> = {};
      for (const nodeId of sales.get(saleId)?.inFlight.values() ?? []) byNode[nodeId] = (byNode[nodeId] ?? 0) + 1;
      return Promise.resolve(byNode);
    },

    held(saleId, epoch, customerId) {
      const slot = sales.get(saleId);
      return Promise.resolve(slot && slot.epoch === epoch ? (slot.bought.get(customerId) ?? 0) : 0);
    },

    snapshot(saleId) {
      const slot = sales.get(saleId);
      if (!slot) return Promise.resolve(undefined);
      return Promise.resolve({
        epoch: slot.epoch,
        perCustomerLimit: slot.limit,
        remaining: Object.fromEntries(slot.remaining),
        bought: Object.fromEntries(slot.bought),
      } satisfies GateState);
    },

    counters(saleId) {
      const c = counters.get(saleId);
      return Promise.resolve(saleCounters((field) => c?.[field] ?? 0));
    },

    tally(saleId, counts) {
      // Answers counted just before a drop (the end of the sale) must not bring the counters back.
      if (!sales.has(saleId)) return RESOLVED_VOID;
      const c = countersOf(saleId);
      for (const [field, n] of Object.entries(counts) as [CounterField, number][]) c[field] += n;
      return RESOLVED_VOID;
    },

    drop(saleId) {
      sales.delete(saleId);
      counters.delete(saleId);
      return RESOLVED_VOID;
    },

    close() {
      sales.clear();
      counters.clear();
      return RESOLVED_VOID;
    },
  };
}
