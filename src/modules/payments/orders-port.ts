// What payments needs from the orders module, in one place: the payable view of an order, the access
// check for storefront callers, and the three state changes a payment drives. Everything goes through
// orders' exported service; payments never reads the orders tables.
import type { FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { authorizeOrderAccess, getPayableOrder, getRefundableOrder, ordersService, type PayableOrder, type RefundableOrder } from '../orders/service.ts';

export type { PayableOrder, RefundableOrder };

export interface OrdersPort {
  getPayableOrder(pdb: PlatformDb, orderId: string): Promise<PayableOrder | undefined>;
  /** The order's totals and lines, for refunds by line. */
  getRefundableOrder(pdb: PlatformDb, orderId: string): Promise<RefundableOrder | undefined>;
  /** Throws (404) unless the request may act on the order: its customer's session or the guest order token. */
  authorizeOrderAccess(pdb: PlatformDb, request: FastifyRequest, orderId: string): Promise<unknown>;
  markPaid(
    tx: PlatformDb,
    orderId: string,
    input: { amount: number; currency: string; paymentId: string; provider: string },
  ): Promise<{ outcome: 'paid' | 'already_paid' | 'not_payable'; order: PayableOrder }>;
  paymentFailed(tx: PlatformDb, orderId: string, input: { paymentId: string; reason: string }): Promise<PayableOrder>;
  recordRefund(tx: PlatformDb, orderId: string, input: { amount: number; refundId: string; reason: string; actor: string }): Promise<PayableOrder>;
}

export function ordersPort(ctx: ModuleContext): OrdersPort {
  const orders = ordersService(ctx);
  return {
    getPayableOrder,
    getRefundableOrder,
    authorizeOrderAccess,
    markPaid: (tx, orderId, input) => orders.markPaid(tx, orderId, input),
    paymentFailed: (tx, orderId, input) => orders.paymentFailed(tx, orderId, input),
    recordRefund: (tx, orderId, input) => orders.recordRefund(tx, orderId, input),
  };
}
