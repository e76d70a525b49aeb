// The recent orders of a platform, newest first, paged until they are older than `since` (the dashboard's
// figures are computed from these; the API lists orders by id, which is ordered by time).
import { api, unwrap, type Order } from './api.ts';

const PAGE = 200;
const MAX_PAGES = 10;

export async function ordersSince(platform: string, since: Date): Promise<{ orders: Order[]; truncated: boolean }> {
  const orders: Order[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = unwrap(
      await api.GET('/admin/platforms/{platform}/orders', { params: { path: { platform }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } } }),
    );
    for (const order of result.items) {
      if (new Date(order.createdAt) < since) return { orders, truncated: false };
      orders.push(order);
    }
    if (!result.nextCursor) return { orders, truncated: false };
    cursor = result.nextCursor;
  }
  return { orders, truncated: true };
}

/** Money taken, net of refunds, summed per currency. */
export function revenueByCurrency(orders: Order[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const order of orders) {
    const net = order.paidAmount - order.refundedAmount;
    if (net !== 0) sums.set(order.currency, (sums.get(order.currency) ?? 0) + net);
  }
  return sums;
}
