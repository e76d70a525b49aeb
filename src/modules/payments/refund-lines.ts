// Refunds by line: "these units of these lines (and maybe the shipping)" turned into the amount the
// customer paid for them (line-shares.ts), checked against what earlier refunds already returned.
// Everything here runs in the refund's transaction after the order's payment rows are locked, so two
// concurrent refunds of one order take turns and the second counts the first one's units.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { orderShares, unitsAmount } from './line-shares.ts';
import type { OrdersService } from '../orders/service.ts';
import type { RefundInput } from './schemas.ts';
import { noOrderOnPlatform, nothingToRefund, refundAmountOrLines, refundExceedsLine, refundReasonRequired, shippingAlreadyRefunded, unknownOrderLine } from './problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';

export interface LineRefundRequest {
  lines: { lineId: string; quantity: number }[];
  shipping: boolean;
}

/** A refund body is either a free amount or lines (with or without the shipping); never both, never neither. */
export type RefundRequest = { kind: 'amount'; amount: number; reason: string } | ({ kind: 'lines'; reason: string | null } & LineRefundRequest);

export function refundRequestOf(body: RefundInput): RefundRequest {
  const byLine = body.lines !== undefined || body.shipping !== undefined;
  if ((body.amount !== undefined) === byLine) {
    throw refundAmountOrLines();
  }
  if (body.amount !== undefined) {
    if (body.reason === undefined) throw refundReasonRequired();
    return { kind: 'amount', amount: body.amount, reason: body.reason };
  }
  return { kind: 'lines', lines: body.lines ?? [], shipping: body.shipping ?? false, reason: body.reason ?? null };
}

export interface PlannedLineRefund {
  amount: number;
  /** lineId null is the shipping. */
  items: { lineId: string | null; quantity: number; amount: number }[];
  /** What the refund returns, in words, for a refund sent without a reason. */
  description: string;
}

/** Units refunded so far per line id ('' for the shipping), counting refunds that have not failed. */
async function refundedUnits(tx: PlatformDb, orderId: string): Promise<Map<string, number>> {
  const rows = await tx.query<{ line_id: string | null; units: number }>(
    `select l.line_id, sum(l.quantity)::int as units
     from payment_refund_lines l
     join payment_refunds r on r.platform_id = l.platform_id and r.id = l.refund_id
     where l.platform_id = $1 and l.order_id = $2 and r.status <> 'failed'
     group by l.line_id`,
    [orderId],
  );
  return new Map(rows.map((r) => [r.line_id ?? '', r.units]));
}

/**
 * The amount and items of a refund by line. 404 order_not_found, 422 unknown_order_line, 409
 * refund_exceeds_line (more units than are left, or the shipping twice), 422 nothing_to_refund (the
 * units cost nothing, or nothing was named). The caller holds the order's payment row locks.
 */
export async function planLineRefund(orders: OrdersService, tx: PlatformDb, orderId: string, request: LineRefundRequest): Promise<PlannedLineRefund> {
  const order = await orders.getRefundableOrder(tx, orderId);
  if (!order) throw noOrderOnPlatform(orderId);
  const shares = orderShares(order);
  const refunded = await refundedUnits(tx, orderId);
  // The same line named twice is one request for the sum of its units.
  const asked = new Map<string, number>();
  for (const { lineId, quantity } of request.lines) asked.set(lineId.toLowerCase(), (asked.get(lineId.toLowerCase()) ?? 0) + quantity);

  const items: PlannedLineRefund['items'] = [];
  const words: string[] = [];
  for (const [lineId, quantity] of asked) {
    const index = shares.lines.findIndex((l) => l.lineId === lineId);
    const line = shares.lines[index];
    if (!line) {
      throw unknownOrderLine(order.number, lineId, order.lines.map((l) => l.id));
    }
    const before = refunded.get(lineId) ?? 0;
    const left = line.quantity - before;
    if (quantity > left) {
      throw refundExceedsLine(lineId, order.lines[index]!.sku, left, line.quantity, quantity);
    }
    items.push({ lineId, quantity, amount: unitsAmount(line, before, quantity) });
    words.push(`${quantity} × ${order.lines[index]!.sku}`);
  }
  if (request.shipping) {
    if ((refunded.get('') ?? 0) > 0) {
      throw shippingAlreadyRefunded(order.number);
    }
    items.push({ lineId: null, quantity: 1, amount: shares.shipping });
    words.push('shipping');
  }
  const amount = items.reduce((sum, item) => sum + item.amount, 0);
  if (amount === 0) {
    throw nothingToRefund(order.number, items.length === 0);
  }
  return { amount, items, description: `refund of ${words.join(', ')}` };
}

/** Writes what a refund by line returned, in the transaction that reserved the refund. */
export async function recordRefundLines(tx: PlatformDb, refundId: string, orderId: string, items: PlannedLineRefund['items']): Promise<void> {
  const { params, param } = sqlParams([refundId, orderId]);
  const values = items.map((item, i) => `($1, $2, ${param(i)}, $3, ${param(item.lineId)}::uuid, ${param(item.quantity)}, ${param(item.amount)})`);
  await tx.execute(`insert into payment_refund_lines (platform_id, refund_id, item, order_id, line_id, quantity, amount) values ${values.join(', ')}`, params);
}

/** The items of the given refunds, by refund id (item order). */
export async function refundLinesOf(pdb: PlatformDb, refundIds: readonly string[]): Promise<Map<string, PlannedLineRefund['items']>> {
  const byRefund = new Map<string, PlannedLineRefund['items']>();
  if (refundIds.length === 0) return byRefund;
  const rows = await pdb.query<{ refund_id: string; line_id: string | null; quantity: number; amount: string | number }>(
    'select refund_id, line_id, quantity, amount from payment_refund_lines where platform_id = $1 and refund_id = any($2::uuid[]) order by refund_id, item',
    [refundIds],
  );
  for (const row of rows) {
    const list = byRefund.get(row.refund_id) ?? [];
    list.push({ lineId: row.line_id, quantity: row.quantity, amount: Number(row.amount) });
    byRefund.set(row.refund_id, list);
  }
  return byRefund;
}
