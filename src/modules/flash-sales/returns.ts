// Sale orders after the drain: an order cancelled unpaid (its timer, the customer, a failed payment) gives
// its units back to the sale while the sale is live; a paid order is noted so "units may still come back"
// stops counting it.
//
// The orders module has already released the order's own stock hold when order.cancelled arrives, so the
// units are in normal stock. While the sale is live they are carved out again (growReservation); if
// general buyers took them meanwhile, the sale's quantity shrinks instead — nobody is oversold either way.
// The gate learns about returned units from the drain loop's give-back pump after this commits.
import type { TxScope } from '../../kernel/db/scoped.ts';
import { trySavepoint } from '../../kernel/db/savepoint.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { inventoryService } from '../inventory/service.ts';
import type { FlashRuntime } from './runtime.ts';
import { readSaleRow } from './sales.ts';

const isStockShort = (error: unknown): error is HttpProblem => error instanceof HttpProblem && error.status === 409;

export async function onOrderCancelled(rt: FlashRuntime, scope: TxScope, platformId: string, orderId: string, reason: string): Promise<void> {
  const tx = scope.platform(platformId);
  const found = await tx.maybeOne<{ id: string; sale_id: string }>(
    `select id, sale_id from flash_sale_tickets where platform_id = $1 and order_id = $2 and status = 'ordered'`,
    [orderId],
  );
  if (!found) return;
  // Lock order: sale row, then the ticket.
  const sale = await readSaleRow(tx, found.sale_id, ' for share');
  const ticket = await tx.maybeOne<{ id: string; variant_id: string; quantity: number; status: string }>(
    'select id, variant_id, quantity, status from flash_sale_tickets where platform_id = $1 and id = $2 for update',
    [found.id],
  );
  if (!sale || ticket?.status !== 'ordered') return;
  const live = sale.status === 'scheduled' && sale.endsAtMs > Date.now() && sale.reservationId !== null;
  let giveBackEpoch: number | null = null;
  if (live) {
    const grown = await trySavepoint(
      scope.db,
      'flash_sale_return',
      () => inventoryService(rt.ctx).growReservation(tx, sale.reservationId!, [{ variantId: ticket.variant_id, quantity: ticket.quantity }]),
      isStockShort,
    );
    if (grown.ok) {
      giveBackEpoch = sale.gateEpoch;
      rt.metrics.returned.inc({ to: 'sale' }, ticket.quantity);
    } else {
      // General buyers took the units: the sale has that much less to sell, and the gate stays as it is.
      await tx.execute(
        'update flash_sale_items set quantity = greatest(0, quantity - $4) where platform_id = $1 and sale_id = $2 and variant_id = $3',
        [sale.id, ticket.variant_id, ticket.quantity],
      );
      rt.metrics.returned.inc({ to: 'stock' }, ticket.quantity);
    }
  } else {
    rt.metrics.returned.inc({ to: 'stock' }, ticket.quantity);
  }
  await tx.execute(
    `update flash_sale_tickets set status = 'cancelled', failure_reason = $3, give_back_epoch = $4, updated_at = now() where platform_id = $1 and id = $2`,
    [ticket.id, `order_cancelled: ${reason}`.slice(0, 500), giveBackEpoch],
  );
  rt.sales.invalidate(platformId, sale.id);
  rt.outstanding.delete(`${platformId}:${sale.id}`);
  if (giveBackEpoch !== null) rt.kickDrain();
}

export async function onOrderPaid(scope: TxScope, platformId: string, orderId: string): Promise<void> {
  await scope
    .platform(platformId)
    .execute('update flash_sale_tickets set paid_at = now(), updated_at = now() where platform_id = $1 and order_id = $2 and paid_at is null', [orderId]);
}
