// The orders module's public service for other modules (payments, flash sales). Bind it once to the
// module context; every writing function takes the caller's transaction.
import type { FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { authorizeOrderAccess } from './access.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { markPaid, paymentFailed, recordRefund, type MarkPaidOutcome, type OrdersDeps } from './lifecycle.ts';
import { getOrder, listOrders, readOrderRow, totalsOf, type OrderRow, type OrderTotals } from './read.ts';
import type { Order, OrderList, OrdersQuery } from './schemas.ts';
import { createSaleOrder, createSaleOrders, type SaleOrderCreated, type SaleOrderInput } from './sale-order.ts';
import type { OrderStatus, PaymentStatus } from './state.ts';
import { importOrders, type OrderImport, type OrderImportCounts } from './import.ts';

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

async function getPayableOrder(pdb: PlatformDb, orderId: string): Promise<PayableOrder | undefined> {
  const row = await readOrderRow(pdb, orderId);
  return row ? payable(row) : undefined;
}

/** What a refund by line needs: the order's totals as charged and each line's units and price. */
export interface RefundableOrder {
  id: string;
  number: string;
  currency: string;
  totals: OrderTotals;
  /** In the order's line order (the tie-break of every allocation). */
  lines: { id: string; sku: string; quantity: number; lineTotal: number }[];
}

async function getRefundableOrder(pdb: PlatformDb, orderId: string): Promise<RefundableOrder | undefined> {
  const row = await readOrderRow(pdb, orderId);
  if (!row) return undefined;
  const lines = await pdb.query<{ id: string; sku: string; quantity: number; line_total: string | number }>(
    'select id, sku, quantity, line_total from order_lines where platform_id = $1 and order_id = $2 order by position',
    [orderId],
  );
  return {
    id: row.id,
    number: row.number,
    currency: row.currency,
    totals: totalsOf(row),
    lines: lines.map((l) => ({ id: l.id, sku: l.sku, quantity: l.quantity, lineTotal: Number(l.line_total) })),
  };
}

export interface OrdersService {
  /** The order with its lines as the API shows it (live purchase notices read the product and the room). */
  getOrder(pdb: PlatformDb, orderId: string): Promise<Order | undefined>;
  getPayableOrder(pdb: PlatformDb, orderId: string): Promise<PayableOrder | undefined>;
  /** The order's totals and lines, for refunds by line. */
  getRefundableOrder(pdb: PlatformDb, orderId: string): Promise<RefundableOrder | undefined>;
  /** Throws 404 unless the request may act on the order: its customer's session or the guest order token. */
  authorizeOrderAccess(pdb: PlatformDb, request: FastifyRequest, orderId: string): Promise<void>;
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
  /** Orders newest first with their lines, a page at a time (exports pass nextCursor back). */
  listOrders(pdb: PlatformDb, query: OrdersQuery): Promise<OrderList>;
  /** Orders of another shop written as history (import.ts): no stock, no events, idempotent by number. */
  importOrders(tx: PlatformDb, orders: readonly OrderImport[]): Promise<OrderImportCounts>;
}

export function ordersService(deps: OrdersDeps | ModuleContext): OrdersService {
  return {
    getOrder: (pdb, orderId) => getOrder(pdb, orderId),
    getPayableOrder,
    getRefundableOrder,
    async authorizeOrderAccess(pdb, request, orderId) {
      await authorizeOrderAccess(pdb, request, orderId);
    },
    async markPaid(tx, orderId, input) {
      const { outcome, row } = await markPaid(deps, tx, orderId, input);
      return { outcome, order: payable(row) };
    },
    paymentFailed: async (tx, orderId, input) => payable(await paymentFailed(deps, tx, orderId, input)),
    recordRefund: async (tx, orderId, input) => payable(await recordRefund(deps, tx, orderId, input)),
    createSaleOrder: (tx, input) => createSaleOrder(deps, tx, input),
    createSaleOrders: (tx, inputs) => createSaleOrders(deps, tx, inputs),
    listOrders,
    importOrders: (tx, orders) => importOrders(deps, tx, orders),
  };
}

export { ORDER_TOKEN_HEADER } from './access.ts';
export type { MarkPaidOutcome } from './lifecycle.ts';
export * from './events.ts';
export type { OrderStatus, PaymentStatus } from './state.ts';
export type { SaleOrderInput } from './sale-order.ts';
export type { Order } from './schemas.ts';
export { OrderImportSchema, type OrderImport, type OrderImportCounts } from './import.ts';
