// What the flash-sale engine needs from other modules, in one place: the order a ticket becomes and the
// stock moves of the carve-out. Everything runs in the caller's transaction.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { inventoryService } from '../inventory/service.ts';
import type { SaleOrderCreated, SaleOrderInput } from '../orders/sale-order.ts';
import { ordersService } from '../orders/service.ts';

// The sale order's shape is the orders module's own: a ticket becomes exactly what createSaleOrder takes.
export type { SaleOrderInput } from '../orders/sale-order.ts';

export interface Ports {
  createSaleOrder(tx: PlatformDb, input: SaleOrderInput): Promise<SaleOrderCreated>;
  /** A batch of orders from one carve-out in a fixed number of statements; all or none (throws on a refusal). */
  createSaleOrders(tx: PlatformDb, inputs: readonly SaleOrderInput[]): Promise<SaleOrderCreated[]>;
  reserveCarveOut(tx: PlatformDb, input: { saleId: string; lines: Array<{ variantId: string; quantity: number }>; holdSeconds: number }): Promise<{ id: string }>;
  releaseCarveOut(tx: PlatformDb, reservationId: string, reason: string): Promise<void>;
  /** Takes units back from available stock into the carve-out; 409 out_of_stock if general buyers took them. */
  growCarveOut(tx: PlatformDb, reservationId: string, lines: Array<{ variantId: string; quantity: number }>): Promise<void>;
  carveOutStatus(tx: PlatformDb, reservationId: string): Promise<string | undefined>;
}

export function ports(ctx: ModuleContext): Ports {
  const inventory = inventoryService(ctx);
  const orders = ordersService(ctx);
  return {
    createSaleOrder: (tx, input) => orders.createSaleOrder(tx, input),
    createSaleOrders: (tx, inputs) => orders.createSaleOrders(tx, inputs),
    async reserveCarveOut(tx, input) {
      const reservation = await inventory.reserveStock(tx, { reference: `flash-sale:${input.saleId}`, lines: input.lines, holdSeconds: input.holdSeconds });
      return { id: reservation.id };
    },
    async releaseCarveOut(tx, reservationId, reason) {
      const reservation = await inventory.getReservation(tx, reservationId);
      if (reservation?.status === 'active') await inventory.releaseReservation(tx, reservationId, reason);
    },
    async growCarveOut(tx, reservationId, lines) {
      await inventory.growReservation(tx, reservationId, lines);
    },
    carveOutStatus: async (tx, reservationId) => (await inventory.getReservation(tx, reservationId))?.status,
  };
}
