// The orders module's public service for other modules (payments, flash sales). Bind it once to the
// module context; every writing function takes the caller's transaction.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { markPaid, paymentFailed, recordRefund, type MarkPaidOutcome, type OrdersDeps } from './lifecycle.ts';
import { readOrderRow, type OrderRow } from './read.ts';
import { createSaleOrder, createSaleOrders, type SaleOrderCreated, type SaleOrderInput } from './sale-order.ts';
import type { OrderStatus, PaymentStatus } from './state.ts';

export interface PayableOrder {
  id: string;
  number: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  currency: string;
  total: number;
  paidAmount: number;
  refundedAmount: number;
  customerId: string | null;
  email: string | null;
}

function payable(row: OrderRow): PayableOrder {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    paymentStatus: row.payment_status,
    currency: row.currency,
    total: Number(row.total),
    paidAmount: Number(row.paid_amount),
    refundedAmount: Number(row.refunded_amount),
    customerId: row.customer_id,
    email: row.email,
  };
}

export async function getPayableOrder(pdb: PlatformDb, orderId: string): Promise<PayableOrder | undefined> {
  const row = await readOrderRow(pdb, orderId);
  return row ? payable(row) : undefined;
}

export interface OrdersService {
  markPaid(
    tx: PlatformDb,
    orderId: string,
    input: { amount: number; currency: string; paymentId: string; provider: string },
  ): Promise<{ outcome: MarkPaidOutcome; order: PayableOrder }>;
  paymentFailed(tx: PlatformDb, orderId: string, input: { paymentId: string; reason: string }): Promise<PayableOrder>;
  recordRefund(tx: PlatformDb, orderId: string, input: { amount: number; refundId: string; reason: string; actor: string }): Promise<PayableOrder>;
  /** A cartless order (a flash-sale ticket) in pending_payment; its units move out of `stockFrom`'s reservation. */
  createSaleOrder(tx: PlatformDb, input: SaleOrderInput): Promise<SaleOrderCreated>;
  /** Several sale orders from one source reservation in a fixed number of statements, all or none. */
  createSaleOrders(tx: PlatformDb, inputs: readonly SaleOrderInput[]): Promise<SaleOrderCreated[]>;
}

export function ordersService(deps: OrdersDeps | ModuleContext): OrdersService {
  return {
    async markPaid(tx, orderId, input) {
      const { outcome, row } = await markPaid(deps, tx, orderId, input);
      return { outcome, order: payable(row) };
    },
    paymentFailed: async (tx, orderId, input) => payable(await paymentFailed(deps, tx, orderId, input)),
    recordRefund: async (tx, orderId, input) => payable(await recordRefund(deps, tx, orderId, input)),
    createSaleOrder: (tx, input) => createSaleOrder(deps, tx, input),
    createSaleOrders: (tx, inputs) => createSaleOrders(deps, tx, inputs),
  };
}

export { authorizeOrderAccess, ORDER_TOKEN_HEADER } from './access.ts';
export { EVENT_CANCELLED, EVENT_CREATED, EVENT_PAID, EVENT_REFUNDED, type MarkPaidOutcome } from './lifecycle.ts';
export type { OrderStatus, PaymentStatus } from './state.ts';
export type { SaleOrderInput } from './sale-order.ts';
