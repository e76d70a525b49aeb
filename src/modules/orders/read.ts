// Reading orders: one order with its lines (and history for admins), and keyset-paginated lists
// filtered by status, payment status, customer or email.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, iso } from '../../kernel/cursor.ts';
import type { Order, OrderHold, OrderList, OrdersQuery } from './schemas.ts';
import { allowedTransitions, type OrderStatus, type PaymentStatus } from './state.ts';
import { sqlParams } from '../../kernel/db/params.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';
import { invalidCreatedFilter } from './problems.ts';

export interface OrderRow {
  id: string;
  number: string;
  cart_id: string | null;
  source: Record<string, unknown> | string | null;
  live_room_id: string | null;
  customer_id: string | null;
  email: string | null;
  /** SHA-256 (hex) of the guest access token; the token itself is not stored. */
  access_token_hash: string;
  status: OrderStatus;
  payment_status: PaymentStatus;
  currency: string;
  subtotal: string | number;
  discount_total: string | number;
  shipping_total: string | number;
  tax_total: string | number;
  tax_included: boolean;
  total: string | number;
  paid_amount: string | number;
  refunded_amount: string | number;
  coupon_code: string | null;
  shipping_method: Order['shippingMethod'];
  shipping_address: Order['shippingAddress'];
  reservation_id: string | null;
  timeout_timer_id: string | null;
  payment_due_at: string;
  carrier: string | null;
  tracking_number: string | null;
  cancel_reason: string | null;
  hold: OrderHold | string | null;
  created_at: string;
  updated_at: string;
}

/** Every column, with timestamps as ISO strings (the same text on both engines). */
export const ORDER_COLUMNS = `o.id, o.number, o.cart_id, o.customer_id, o.email, o.access_token_hash, o.status, o.payment_status, o.currency,
  o.subtotal, o.discount_total, o.shipping_total, o.tax_total, o.tax_included, o.total, o.paid_amount, o.refunded_amount,
  o.coupon_code, o.shipping_method, o.shipping_address, o.reservation_id, o.timeout_timer_id, ${iso('o.payment_due_at')} as payment_due_at,
  o.carrier, o.tracking_number, o.cancel_reason, o.hold, o.source, o.live_room_id, ${iso('o.created_at')} as created_at, ${iso('o.updated_at')} as updated_at`;

const LINES_JSON = `coalesce((select json_agg(json_build_object('id', l.id, 'variantId', l.variant_id, 'productId', l.product_id, 'sku', l.sku,
    'title', l.title, 'productTitle', l.product_title, 'quantity', l.quantity, 'unitPrice', l.unit_price,
    'lineTotal', l.line_total, 'metadata', l.metadata) order by l.position)
  from order_lines l where l.platform_id = $1 and l.order_id = o.id), '[]'::json) as lines`;

const HISTORY_JSON = `coalesce((select json_agg(json_build_object('id', h.id, 'kind', h.kind, 'fromStatus', h.from_status,
    'toStatus', h.to_status, 'actor', h.actor, 'reason', h.reason, 'data', h.data, 'at', ${iso('h.at')}) order by h.id)
  from order_history h where h.platform_id = $1 and h.order_id = o.id), '[]'::json) as history`;

type FullRow = OrderRow & { lines: Order['lines'] | string; history?: NonNullable<Order['history']> | string };

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);


/** An order's totals as numbers (the driver may return numerics as strings). */
export function totalsOf(row: OrderRow): OrderTotals {
  return {
    subtotal: Number(row.subtotal),
    discount: Number(row.discount_total),
    shipping: Number(row.shipping_total),
    tax: Number(row.tax_total),
    total: Number(row.total),
    taxIncluded: row.tax_included,
  };
}

/** An order's totals, as the order schema states them. */
export type OrderTotals = Order['totals'];

export function toOrder(row: OrderRow, lines: Order['lines'], history?: Order['history']): Order {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    paymentStatus: row.payment_status,
    allowedTransitions: [...allowedTransitions(row.status)],
    cartId: row.cart_id,
    source: row.source === null ? null : json(row.source),
    liveRoomId: row.live_room_id,
    customerId: row.customer_id,
    email: row.email,
    currency: row.currency,
    totals: totalsOf(row),
    paidAmount: Number(row.paid_amount),
    refundedAmount: Number(row.refunded_amount),
    couponCode: row.coupon_code,
    shippingMethod: json(row.shipping_method),
    shippingAddress: json(row.shipping_address),
    reservationId: row.reservation_id,
    paymentDueAt: row.payment_due_at,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    cancelReason: row.cancel_reason,
    hold: row.hold === null ? null : json(row.hold),
    lines,
    ...(history ? { history } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fromFull(row: FullRow): Order {
  return toOrder(row, json(row.lines), row.history === undefined ? undefined : json(row.history));
}

/** The order row alone, optionally locked for the caller's transaction. */
export function readOrderRow(pdb: PlatformDb, orderId: string, forUpdate = false): Promise<OrderRow | undefined> {
  return pdb.maybeOne<OrderRow>(`select ${ORDER_COLUMNS} from orders o where o.platform_id = $1 and o.id = $2${forUpdate ? ' for update' : ''}`, [orderId]);
}

export async function getOrder(pdb: PlatformDb, orderId: string, options: { history?: boolean } = {}): Promise<Order | undefined> {
  const row = await pdb.maybeOne<FullRow>(
    `select ${ORDER_COLUMNS}, ${LINES_JSON}${options.history ? `, ${HISTORY_JSON}` : ''} from orders o where o.platform_id = $1 and o.id = $2`,
    [orderId],
  );
  return row ? fromFull(row) : undefined;
}

/** A createdFrom/createdTo bound as a Date the database can hold (years 1 to 9999), or a 400 naming the field. */
function createdBound(name: 'createdFrom' | 'createdTo', text: string): Date {
  const at = new Date(text);
  const year = at.getUTCFullYear();
  if (Number.isNaN(at.getTime()) || year < 1 || year > 9999) {
    throw invalidCreatedFilter(`${name} "${text}" is not an instant between the years 1 and 9999; send ISO 8601 with a zone, e.g. 2026-05-01T00:00:00Z.`);
  }
  return at;
}

/** The createdFrom/createdTo window of a list query, checked: both instants valid, and the end not before the start. */
export function createdWindow(query: Pick<OrdersQuery, 'createdFrom' | 'createdTo'>): { from?: Date; to?: Date } {
  const from = query.createdFrom ? createdBound('createdFrom', query.createdFrom) : undefined;
  const to = query.createdTo ? createdBound('createdTo', query.createdTo) : undefined;
  if (from && to && to < from) throw invalidCreatedFilter(`createdTo (${query.createdTo}) is before createdFrom (${query.createdFrom}); swap them.`);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** Newest first. `customerId` scopes the list to one customer (the storefront's "my orders"). */
export async function listOrders(pdb: PlatformDb, query: OrdersQuery): Promise<OrderList> {
  const { from, to } = createdWindow(query);
  const { params, param } = sqlParams();
  const where = ['o.platform_id = $1'];
  if (query.status) where.push(`o.status = ${param(query.status)}`);
  if (query.paymentStatus) where.push(`o.payment_status = ${param(query.paymentStatus)}`);
  if (query.customerId) where.push(`o.customer_id = ${param(query.customerId.toLowerCase())}::uuid`);
  if (query.email) where.push(`lower(o.email) = lower(${param(query.email)})`);
  if (from) where.push(`o.created_at >= ${param(from.toISOString())}::timestamptz`);
  if (to) where.push(`o.created_at < ${param(to.toISOString())}::timestamptz`);
  if (query.coupon) where.push(`lower(o.coupon_code) = lower(${param(query.coupon.trim())})`);
  if (query.cursor) where.push(`o.id < ${param(decodeCursor(query.cursor, 1)[0])}::uuid`);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await pdb.query<FullRow>(
    `select ${ORDER_COLUMNS}, ${LINES_JSON} from orders o where ${where.join(' and ')} order by o.id desc limit ${rowsToFetch(limit)}`,
    params,
  );
  return takePage(rows, limit, fromFull, (last) => encodeCursor([last.id]));
}

/** The review queue: orders held for review, oldest first (the order they were held in). */
export async function listHeldOrders(pdb: PlatformDb, query: { limit?: number; cursor?: string }): Promise<OrderList> {
  const { params, param } = sqlParams();
  const after = query.cursor ? ` and o.id > ${param(decodeCursor(query.cursor, 1)[0])}::uuid` : '';
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await pdb.query<FullRow>(
    `select ${ORDER_COLUMNS}, ${LINES_JSON} from orders o where o.platform_id = $1 and o.status = 'on_hold'${after} order by o.id limit ${rowsToFetch(limit)}`,
    params,
  );
  return takePage(rows, limit, fromFull, (last) => encodeCursor([last.id]));
}

export async function listHistory(pdb: PlatformDb, orderId: string): Promise<NonNullable<Order['history']>> {
  const row = await pdb.maybeOne<{ history: NonNullable<Order['history']> | string }>(`select ${HISTORY_JSON} from orders o where o.platform_id = $1 and o.id = $2`, [orderId]);
  return row ? json(row.history) : [];
}
