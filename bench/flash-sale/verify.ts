// The independent count in SQL after the drain: per sale, ticketed units within the quantity, nobody
// above the limit, one order per ticket at the sale price, nothing pending; no inventory level oversold.
import type { SqlQuery } from '../lib/engine-run.ts';
import { SHOP } from './shop.ts';

export interface SaleCheck {
  saleId: string;
  quantity: number;
  ticketedUnits: number;
  maxPerCustomer: number;
  tickets: number;
  pendingTickets: number;
  failedTickets: number;
  orders: number;
  orderUnits: number;
  wrongPrice: number;
  firstOrderAt: number | null;
  lastOrderAt: number | null;
}

export interface Verification {
  sales: SaleCheck[];
  levelsOversold: number;
  consistent: boolean;
  problems: string[];
}

export async function verify(query: SqlQuery, platformId: string, sales: { saleId: string; quantity: number }[], limit: number): Promise<Verification> {
  const checks: SaleCheck[] = [];
  const problems: string[] = [];
  for (const { saleId, quantity } of sales) {
    const [t] = await query(
      `select coalesce(sum(quantity) filter (where status in ('pending', 'ordered')), 0)::int as units,
              count(*)::int as tickets,
              count(*) filter (where status = 'pending')::int as pending,
              count(*) filter (where status = 'failed')::int as failed,
              (select coalesce(max(u), 0)::int from (select sum(quantity) as u from flash_sale_tickets
                 where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered') group by customer_id) x) as max_per_customer
       from flash_sale_tickets where platform_id = $1 and sale_id = $2`,
      [platformId, saleId],
    );
    const [o] = await query(
      `select count(distinct o.id)::int as orders, coalesce(sum(l.quantity), 0)::int as units,
              count(*) filter (where l.unit_price <> $3)::int as wrong_price,
              (extract(epoch from min(o.created_at)) * 1000)::float8 as first_at, (extract(epoch from max(o.created_at)) * 1000)::float8 as last_at
       from orders o join order_lines l on l.platform_id = o.platform_id and l.order_id = o.id
       where o.platform_id = $1 and o.source ->> 'saleId' = $2::text`,
      [platformId, saleId, SHOP.salePrice],
    );
    const check: SaleCheck = {
      saleId,
      quantity,
      ticketedUnits: Number(t!.units),
      maxPerCustomer: Number(t!.max_per_customer),
      tickets: Number(t!.tickets),
      pendingTickets: Number(t!.pending),
      failedTickets: Number(t!.failed),
      orders: Number(o!.orders),
      orderUnits: Number(o!.units),
      wrongPrice: Number(o!.wrong_price),
      firstOrderAt: o!.first_at === null ? null : Number(o!.first_at),
      lastOrderAt: o!.last_at === null ? null : Number(o!.last_at),
    };
    checks.push(check);
    const short = saleId.slice(-8);
    if (check.ticketedUnits > quantity) problems.push(`sale …${short}: OVERSOLD, ${check.ticketedUnits} units ticketed of ${quantity}`);
    if (check.maxPerCustomer > limit) problems.push(`sale …${short}: a customer holds ${check.maxPerCustomer} units, limit ${limit}`);
    if (check.pendingTickets > 0) problems.push(`sale …${short}: ${check.pendingTickets} tickets still waiting for their order`);
    if (check.orderUnits !== check.ticketedUnits) problems.push(`sale …${short}: orders hold ${check.orderUnits} units, tickets ${check.ticketedUnits}`);
    if (check.orders !== check.tickets - check.failedTickets) problems.push(`sale …${short}: ${check.orders} orders for ${check.tickets - check.failedTickets} tickets`);
    if (check.wrongPrice > 0) problems.push(`sale …${short}: ${check.wrongPrice} order lines not at the sale price`);
  }
  const [levels] = await query('select count(*)::int as n from inventory_levels where platform_id = $1 and (reserved > on_hand or on_hand < 0 or reserved < 0)', [platformId]);
  const levelsOversold = Number(levels!.n);
  if (levelsOversold > 0) problems.push(`${levelsOversold} inventory level(s) with reserved above on hand`);
  return { sales: checks, levelsOversold, consistent: problems.length === 0, problems };
}
