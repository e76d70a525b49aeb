// The independent count in SQL after the run: orders paid = payments succeeded = flows completed,
// units committed = units in paid orders, every level's on hand = stock set − units sold, no holds left.
import type { SqlQuery } from '../lib/engine-run.ts';
import type { Shop } from './shop.ts';

export interface Verification {
  ordersPaid: number;
  ordersOther: Record<string, number>;
  paymentsSucceeded: number;
  unitsCommitted: number;
  unitsInPaidOrders: number;
  levelsOversold: number;
  levelsMismatched: number;
  activeReservations: number;
  flowsCompletedByCustomers: number;
  consistent: boolean;
}

export async function verify(query: SqlQuery, shop: Shop, stock: number, flows: number): Promise<Verification> {
  const one = async (sql: string) => Number((await query(sql, [shop.platformId]))[0]?.n ?? Number.NaN);
  const statuses = await query('select status, count(*)::int as n from orders where platform_id = $1 group by status', [shop.platformId]);
  const ordersOther: Record<string, number> = {};
  let ordersPaid = 0;
  for (const row of statuses) {
    if (row.status === 'paid') ordersPaid = Number(row.n);
    else ordersOther[String(row.status)] = Number(row.n);
  }
  const paymentsSucceeded = await one(`select count(*)::int as n from payments where platform_id = $1 and status = 'succeeded'`);
  const unitsCommitted = await one(`select coalesce(-sum(delta), 0)::int as n from inventory_ledger where platform_id = $1 and kind = 'commit'`);
  const unitsInPaidOrders = await one(
    `select coalesce(sum(l.quantity), 0)::int as n from order_lines l join orders o on o.platform_id = l.platform_id and o.id = l.order_id
     where l.platform_id = $1 and o.status = 'paid'`,
  );
  const levelsOversold = await one('select count(*)::int as n from inventory_levels where platform_id = $1 and (on_hand < 0 or reserved < 0 or reserved > on_hand)');
  // Every level: stock set − units sold in paid orders = on hand now, and nothing is still held.
  const levelsMismatched = Number(
    (
      await query(
        `select count(*)::int as n from inventory_levels v
         left join (select l.variant_id, sum(l.quantity) as sold from order_lines l join orders o on o.platform_id = l.platform_id and o.id = l.order_id
                    where l.platform_id = $1 and o.status = 'paid' group by l.variant_id) s on s.variant_id = v.variant_id
         where v.platform_id = $1 and (v.on_hand <> $2 - coalesce(s.sold, 0) or v.reserved <> 0)`,
        [shop.platformId, stock],
      )
    )[0]?.n ?? Number.NaN,
  );
  const activeReservations = await one(`select count(*)::int as n from inventory_reservations where platform_id = $1 and status = 'active'`);
  const consistent =
    ordersPaid === paymentsSucceeded &&
    ordersPaid === flows &&
    unitsCommitted === unitsInPaidOrders &&
    unitsCommitted === 2 * ordersPaid &&
    levelsOversold === 0 &&
    levelsMismatched === 0 &&
    activeReservations === 0 &&
    Object.keys(ordersOther).length === 0;
  return { ordersPaid, ordersOther, paymentsSucceeded, unitsCommitted, unitsInPaidOrders, levelsOversold, levelsMismatched, activeReservations, flowsCompletedByCustomers: flows, consistent };
}
