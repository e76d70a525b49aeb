// Reconciliation: the database is the truth, the gate is a fast copy of it. The truth for a sale is
//   remaining[variant] = item quantity − units of active (pending or ordered) tickets of that variant
//   bought[customer]   = units of that customer's active tickets
// When the gate differs (or lost its state: a Redis restart, a node restart with the in-process gate), it
// is rebuilt: the sale's gate_epoch is bumped under the sale row lock — which waits for ticket inserts in
// flight, all of which hold that row FOR SHARE — the active tickets are read, and the gate is loaded with
// them under the new epoch before the lock is released. Takes made against the old gate can no longer
// write a ticket (their epoch is stale), so no unit is counted twice; units the old gate handed out
// without a ticket (a node died in between) become takeable again.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { GateState } from './gate/index.ts';
import type { FlashRuntime } from './runtime.ts';
import { readSaleRow, type SaleRecord } from './sales.ts';
import type { GateView, ReconcileReport } from './schemas.ts';
import { platformSaleNotFound } from './problems.ts';

export interface ActiveState {
  remaining: Record<string, number>;
  bought: Record<string, number>;
  activeByVariant: Record<string, number>;
  activeUnits: number;
  pendingTickets: number;
}

export async function activeState(pdb: PlatformDb, sale: SaleRecord): Promise<ActiveState> {
  const rows = await pdb.query<{ variant_id: string; customer_id: string; units: number; pending: number }>(
    `select variant_id, customer_id, sum(quantity)::int as units, count(*) filter (where status = 'pending')::int as pending
     from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered')
     group by variant_id, customer_id`,
    [sale.id],
  );
  const activeByVariant: Record<string, number> = {};
  const bought: Record<string, number> = {};
  let activeUnits = 0;
  let pendingTickets = 0;
  for (const r of rows) {
    activeByVariant[r.variant_id] = (activeByVariant[r.variant_id] ?? 0) + r.units;
    bought[r.customer_id] = (bought[r.customer_id] ?? 0) + r.units;
    activeUnits += r.units;
    pendingTickets += r.pending;
  }
  const remaining = Object.fromEntries(sale.items.map((i) => [i.variantId, Math.max(0, i.quantity - (activeByVariant[i.variantId] ?? 0))]));
  return { remaining, bought, activeByVariant, activeUnits, pendingTickets };
}

export function gateView(state: GateState): GateView {
  const held = Object.values(state.bought).filter((n) => n > 0);
  return { epoch: state.epoch, remaining: { ...state.remaining }, customers: held.length, unitsHeld: held.reduce((a, b) => a + b, 0) };
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false;
  return true;
}

function matches(gate: GateState, sale: SaleRecord, truth: ActiveState): boolean {
  return gate.epoch === sale.gateEpoch && gate.perCustomerLimit === sale.perCustomerLimit && sameCounts(gate.remaining, truth.remaining) && sameCounts(gate.bought, truth.bought);
}

/**
 * Compares the gate with the tickets and rebuilds it when they differ or it is not loaded (`force`: rebuild
 * anyway). Closed sales have no gate; their report only shows the database side.
 */
export async function reconcileSale(rt: FlashRuntime, pdb: PlatformDb, saleId: string, options: { force?: boolean; reason?: string } = {}): Promise<ReconcileReport> {
  const sale = await readSaleRow(pdb, saleId);
  if (!sale) throw platformSaleNotFound(saleId);
  const before = await rt.gate.snapshot(sale.id);
  const truth = await activeState(pdb, sale);
  const base = { saleId: sale.id, before: before ? gateView(before) : null, activeUnits: truth.activeUnits, pendingTickets: truth.pendingTickets };
  if (sale.status !== 'scheduled') {
    return { ...base, repaired: false, reason: `sale_${sale.status}`, after: base.before, lostUnitsReturned: 0, epoch: sale.gateEpoch };
  }
  if (!options.force && before && matches(before, sale, truth)) {
    await pdb.execute('update flash_sales set reconciled_at = now() where platform_id = $1 and id = $2', [sale.id]);
    return { ...base, repaired: false, reason: 'consistent', after: base.before, lostUnitsReturned: 0, epoch: sale.gateEpoch };
  }

  const rebuilt = await pdb.transaction(async (tx) => {
    const bumped = await tx.maybeOne<{ gate_epoch: number }>(
      `update flash_sales set gate_epoch = gate_epoch + 1, reconciled_at = now(), updated_at = now()
       where platform_id = $1 and id = $2 and status = 'scheduled' returning gate_epoch`,
      [sale.id],
    );
    if (!bumped) return undefined;
    // Re-read under the lock: every ticket insert that took a unit before the bump has committed by now.
    const current = (await readSaleRow(tx, sale.id))!;
    const state = await activeState(tx, current);
    const loaded: GateState = { epoch: bumped.gate_epoch, perCustomerLimit: current.perCustomerLimit, remaining: state.remaining, bought: state.bought };
    await rt.gate.load(sale.id, loaded);
    return { loaded, state };
  });
  rt.sales.invalidate(pdb.platformId, sale.id);
  rt.soldOut.clear(sale.id);
  rt.storeRemaining.delete(`${pdb.platformId}:${sale.id}`);
  if (!rebuilt) {
    const closed = (await readSaleRow(pdb, sale.id))!;
    return { ...base, repaired: false, reason: `sale_${closed.status}`, after: null, lostUnitsReturned: 0, epoch: closed.gateEpoch };
  }
  const reason = options.reason ?? (before ? (options.force ? 'forced' : 'mismatch') : 'not_loaded');
  rt.metrics.rebuilds.inc({ reason });
  rt.ctx.log.info({ saleId: sale.id, reason, epoch: rebuilt.loaded.epoch }, 'flash-sale stock gate rebuilt from tickets');
  const lostUnitsReturned = before
    ? Object.entries(rebuilt.loaded.remaining).reduce((sum, [variantId, n]) => sum + Math.max(0, n - (before.remaining[variantId] ?? 0)), 0)
    : 0;
  return {
    ...base,
    activeUnits: rebuilt.state.activeUnits,
    pendingTickets: rebuilt.state.pendingTickets,
    repaired: true,
    reason,
    after: gateView(rebuilt.loaded),
    lostUnitsReturned,
    epoch: rebuilt.loaded.epoch,
  };
}

/** A purchase found the gate empty: rebuild it once per node, however many purchases noticed at once. */
export function rebuildOnce(rt: FlashRuntime, pdb: PlatformDb, saleId: string): Promise<unknown> {
  const key = `${pdb.platformId}:${saleId}`;
  const running = rt.rebuilding.get(key);
  if (running) return running;
  const promise = reconcileSale(rt, pdb, saleId, { reason: 'not_loaded' }).finally(() => {
    // Purchases that saw not_loaded just before the rebuild finished come here a moment later; keep the
    // result for a short while so they reuse it instead of rebuilding again.
    setTimeout(() => rt.rebuilding.delete(key), 500).unref();
  });
  rt.rebuilding.set(key, promise);
  return promise;
}
