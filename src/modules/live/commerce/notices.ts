// "W*** just bought …": the live module consumes order.paid and, for an order checked out from one of
// the platform's rooms (liveRoomId), records it for the room's numbers and tells the room in the high
// lane. The record is written in the consumer's transaction with its inbox row, keyed by the order, so a
// redelivered event neither counts twice nor announces twice.
import type { ModuleContext } from '../../../kernel/context.ts';
import { getCustomer } from '../../accounts/customer-service.ts';
import { EVENT_PAID, ordersService } from '../../orders/service.ts';
import type { RoomHub } from '../hub/hub.ts';
import { maskedName } from './names.ts';

export const NOTICES_CONSUMER = 'live.purchase-notices';

export function subscribePurchaseNotices(ctx: ModuleContext, hub: RoomHub, moduleName: string): void {
  const orders = ordersService(ctx);
  ctx.events.subscribe(
    NOTICES_CONSUMER,
    [EVENT_PAID],
    async (event, tx) => {
      const platformId = event.platformId!; // forModule passes only events of a platform
      const pdb = tx.platform(platformId);
      const order = await orders.getOrder(pdb, event.payload.orderId);
      if (!order?.liveRoomId) return;
      // Only a room of this platform counts it (the id came from the shopper's checkout).
      const recorded = await pdb.execute(
        `insert into live_room_orders (platform_id, order_id, room_id, customer_id, total, currency)
         select $1, $2, r.id, $4, $5, $6 from live_rooms r where r.platform_id = $1 and r.id = $3
         on conflict do nothing`,
        [order.id, order.liveRoomId, order.customerId, order.totals.total, order.currency],
      );
      if (recorded.rowCount === 0) return;
      const buyer = order.customerId ? await getCustomer(pdb, order.customerId).catch(() => undefined) : undefined;
      const first = order.lines[0];
      const product = first ? first.productTitle + (order.lines.length > 1 ? ` and ${order.lines.length - 1} more` : '') : 'something';
      const name = maskedName(buyer ?? { name: '', email: order.email ?? '' });
      const frame = { type: 'purchase', buyer: name, product, productId: first?.productId ?? null, text: `${name} just bought ${product}`, at: new Date().toISOString() };
      await hub.effect(platformId, order.liveRoomId, { kind: 'broadcast', frame, lane: 'high' });
    },
    { forModule: moduleName },
  );
}
