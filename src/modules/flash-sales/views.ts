// Read side: what the storefront shows (remaining never above the truth) and the admin's live numbers.
import { saleCounters } from './gate/types.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { activeState, gateView } from './reconcile.ts';
import type { FlashRuntime } from './runtime.ts';
import { openSales, phaseOf, readSaleRow, type SaleRecord } from './sales.ts';
import type { StoreSale, Ticket } from './schemas.ts';
import { platformSaleNotFound, shopSaleNotFound, ticketNotFound } from './problems.ts';

/**
 * Units left per variant: the smaller of the gate's count (fast, may lag a returned unit) and the
 * database's quantity minus active tickets (may lag a unit taken but not yet written). Taking the smaller
 * never shows more than there is. Remembered for a second per sale.
 */
async function remainingOf(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord): Promise<Map<string, number>> {
  if (phaseOf(sale) === 'ended' || phaseOf(sale) === 'cancelled') return new Map(sale.items.map((i) => [i.variantId, 0]));
  return rt.storeRemaining.get(`${pdb.platformId}:${sale.id}`, async () => {
    const [truth, gate] = await Promise.all([activeState(pdb, sale), rt.gate.snapshot(sale.id).catch(() => undefined)]);
    return new Map(
      sale.items.map((i) => {
        const db = truth.remaining[i.variantId] ?? 0;
        const fast = gate?.remaining[i.variantId];
        return [i.variantId, Math.max(0, fast === undefined ? db : Math.min(fast, db))];
      }),
    );
  });
}

async function storeView(rt: FlashRuntime, pdb: PlatformDb, sale: SaleRecord): Promise<StoreSale> {
  const remaining = await remainingOf(rt, pdb, sale);
  return {
    id: sale.id,
    name: sale.name,
    phase: phaseOf(sale),
    startsAt: sale.startsAt,
    endsAt: sale.endsAt,
    perCustomerLimit: sale.perCustomerLimit,
    minAccountAgeHours: sale.minAccountAgeHours,
    items: sale.items.map((i) => ({ ...i, remaining: remaining.get(i.variantId) ?? 0 })),
  };
}

export async function storeSales(rt: FlashRuntime, pdb: PlatformDb): Promise<{ serverTime: string; items: StoreSale[] }> {
  const sales = await openSales(pdb);
  const items = await Promise.all(sales.map((s) => storeView(rt, pdb, s)));
  return { serverTime: new Date().toISOString(), items };
}

export async function storeSale(rt: FlashRuntime, pdb: PlatformDb, saleId: string): Promise<{ serverTime: string; sale: StoreSale }> {
  const sale = await rt.sales.get(pdb, saleId);
  if (!sale) throw shopSaleNotFound(saleId);
  return { serverTime: new Date().toISOString(), sale: await storeView(rt, pdb, sale) };
}

export async function customerTicket(pdb: PlatformDb, customerId: string, ticketId: string): Promise<Ticket> {
  const row = await pdb.maybeOne<{ id: string; sale_id: string; variant_id: string; quantity: number; status: Ticket['status']; order_id: string | null; failure_reason: string | null; created_at: Date }>(
    `select id, sale_id, variant_id, quantity, status, order_id, failure_reason, created_at from flash_sale_tickets
     where platform_id = $1 and id = $2 and customer_id = $3`,
    [ticketId.toLowerCase(), customerId],
  );
  if (!row) throw ticketNotFound(ticketId);
  return {
    id: row.id,
    saleId: row.sale_id,
    variantId: row.variant_id,
    quantity: row.quantity,
    status: row.status,
    orderId: row.order_id,
    failureReason: row.failure_reason,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export async function saleStats(rt: FlashRuntime, pdb: PlatformDb, saleId: string) {
  const sale = await readSaleRow(pdb, saleId);
  if (!sale) throw platformSaleNotFound(saleId);
  const [truth, snapshot, counters, byStatus, orders] = await Promise.all([
    activeState(pdb, sale),
    rt.gate.snapshot(sale.id).catch(() => undefined),
    rt.gate.counters(sale.id).catch(() => saleCounters(() => 0)),
    pdb.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 group by status',
      [sale.id],
    ),
    pdb.maybeOne<{ created: number; paid: number; recent: number }>(
      `select count(order_id)::int as created, count(paid_at)::int as paid,
              count(*) filter (where ordered_at > now() - interval '10 seconds')::int as recent
       from flash_sale_tickets where platform_id = $1 and sale_id = $2`,
      [sale.id],
    ),
  ]);
  const tickets = { pending: 0, ordered: 0, cancelled: 0, failed: 0 };
  for (const r of byStatus) tickets[r.status as keyof typeof tickets] = r.n;
  return {
    saleId: sale.id,
    phase: phaseOf(sale),
    serverTime: new Date().toISOString(),
    gate: { kind: rt.gate.kind, loaded: snapshot !== undefined, state: snapshot ? gateView(snapshot) : null, counters },
    items: sale.items.map((i) => ({
      variantId: i.variantId,
      quantity: i.quantity,
      activeUnits: truth.activeByVariant[i.variantId] ?? 0,
      remaining: truth.remaining[i.variantId] ?? 0,
    })),
    tickets,
    ordersCreated: orders?.created ?? 0,
    ordersPaid: orders?.paid ?? 0,
    queueDepth: tickets.pending,
    // Observed over the last 10 s, named apart from the node's setting so neither reads as the other.
    ordersDrainedPerSecond: (orders?.recent ?? 0) / 10,
    drainRateLimitPerSecond: rt.env.drainPerSecond,
  };
}
