// Writing a new order: the row, its lines and its first history entry in one statement (an order is
// latency-bound on round trips, not on rows). Checkout (from a cart) and flash sales (from a ticket)
// both come through here, so an order looks the same whichever way it was placed.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId, randomHex } from '../../kernel/ids.ts';
import { ORDER_COLUMNS, type OrderRow } from './read.ts';
import type { Order, OrderHold } from './schemas.ts';
import { sqlParams, type SqlParams } from '../../kernel/db/params.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** YYMMDD-XXXXXXXX: readable on a phone call, unique per platform (40 random bits a day). */
export function orderNumber(now: Date): string {
  const date = now.toISOString().slice(2, 10).replaceAll('-', '');
  const hex = randomHex(5);
  let bits = BigInt(`0x${hex}`);
  let suffix = '';
  for (let i = 0; i < 8; i += 1) {
    suffix = CROCKFORD[Number(bits & 31n)]! + suffix;
    bits >>= 5n;
  }
  return `${date}-${suffix}`;
}

export type OrderLineInput = Order['lines'][number];

/** The most orders one insertOrders statement writes (callers batch below it: the flash-sale drain takes 50). */
export const MAX_ORDERS_PER_STATEMENT = 500;

export interface NewOrder {
  orderId: string;
  number: string;
  /** The cart it was checked out from; null for orders placed another way (a flash-sale ticket). */
  cartId: string | null;
  customerId: string | null;
  email: string;
  currency: string;
  lines: readonly OrderLineInput[];
  totals: Order['totals'];
  couponCode: string | null;
  shippingMethod: Order['shippingMethod'];
  shippingAddress: Record<string, unknown> | null;
  /** Where the order came from when not a cart, e.g. { kind: 'flash_sale', saleId, ticketId }. */
  source: Record<string, unknown> | null;
  /** SHA-256 of the guest access token (access-token.ts); the token itself is never stored here. */
  accessTokenHash: string;
  reservationId: string;
  timerId: string;
  dueAt: Date;
  history: { actor: string; data: Record<string, unknown> };
  /** Held for review by the risk engine: the order starts on_hold instead of pending_payment. */
  hold?: OrderHold;
}

/**
 * One order and, in the same statement, another module's write that goes with it (checkout: the cart's
 * completion), given as a statement returning a row when it wrote, its values numbered by `param`.
 * `alongside` says whether it did.
 */
export async function insertOrderWith(tx: PlatformDb, o: NewOrder, alongside: (param: SqlParams['param']) => string): Promise<{ row: OrderRow; alongside: boolean }> {
  const rows = await insertOrderRows<OrderRow & { alongside_rows: number }>(tx, [o], alongside);
  const { alongside_rows: written, ...row } = rows[0]!;
  return { row, alongside: written > 0 };
}

/**
 * Several orders with their lines and history in one statement (the flash-sale drain writes a batch of
 * tickets' orders at once). Rows in the order given.
 */
export async function insertOrders(tx: PlatformDb, orders: readonly NewOrder[]): Promise<OrderRow[]> {
  return insertOrderRows<OrderRow>(tx, orders);
}

async function insertOrderRows<R extends OrderRow>(tx: PlatformDb, orders: readonly NewOrder[], alongside?: (param: SqlParams['param']) => string): Promise<R[]> {
  if (orders.length === 0) return [];
  // 22 parameters an order, 11 a line, 6 for its history: keep well inside PostgreSQL's 65,535.
  if (orders.length > MAX_ORDERS_PER_STATEMENT) throw new Error(`insertOrders takes at most ${MAX_ORDERS_PER_STATEMENT} orders at once, got ${orders.length}`);
  // $1 is the platform (bound by the PlatformDb), so the first pushed value is $2.
  const { params, param } = sqlParams();
  const orderValues: string[] = [];
  const lineValues: string[] = [];
  const historyValues: string[] = [];
  for (const o of orders) {
    const { totals } = o;
    const id = param(o.orderId);
    const columns = [
      o.number,
      o.cartId,
      o.customerId,
      o.email,
      o.accessTokenHash,
      o.currency,
      totals.subtotal,
      totals.discount,
      totals.shipping,
      totals.tax,
      totals.taxIncluded,
      totals.total,
      o.couponCode,
      o.shippingMethod === null ? null : JSON.stringify(o.shippingMethod),
      o.shippingAddress === null ? null : JSON.stringify(o.shippingAddress),
      o.reservationId,
      o.timerId,
      o.dueAt,
      o.source === null ? null : JSON.stringify(o.source),
      o.hold ? 'on_hold' : 'pending_payment',
      o.hold ? JSON.stringify(o.hold) : null,
    ].map(param);
    orderValues.push(`($1, ${id}, ${columns.join(', ')})`);
    o.lines.forEach((line, i) => {
      const values = [line.id, i, line.variantId, line.productId, line.sku, line.title, line.productTitle, line.quantity, line.unitPrice, line.lineTotal, JSON.stringify(line.metadata)].map(param);
      lineValues.push(`($1, ${id}, ${values.join(', ')})`);
    });
    const first = [newId(), 'status', o.hold ? 'on_hold' : 'pending_payment', o.history.actor, o.hold?.reason ?? null, JSON.stringify(o.history.data)];
    const [historyId, kind, toStatus, actor, reason, data] = first.map(param);
    historyValues.push(`($1, ${historyId}, ${id}, ${kind}, null, ${toStatus}, ${actor}, ${reason}, ${data})`);
  }
  const also = alongside ? alongside(param) : undefined;
  const rows = await tx.query<R>(
    `with o as (
       insert into orders as o (platform_id, id, number, cart_id, customer_id, email, access_token_hash, currency, subtotal, discount_total,
         shipping_total, tax_total, tax_included, total, coupon_code, shipping_method, shipping_address, reservation_id,
         timeout_timer_id, payment_due_at, source, status, hold)
       values ${orderValues.join(', ')}
       returning ${ORDER_COLUMNS}
     ),
     l as (
       insert into order_lines (platform_id, order_id, id, position, variant_id, product_id, sku, title, product_title, quantity, unit_price, line_total, metadata)
       values ${lineValues.join(', ')}
     ),
     h as (
       insert into order_history (platform_id, id, order_id, kind, from_status, to_status, actor, reason, data)
       values ${historyValues.join(', ')}
     )${also ? `,
     s as (${also})` : ''}
     select *${also ? ', (select count(*) from s)::int as alongside_rows' : ''} from o`,
    params,
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return orders.map((o) => byId.get(o.orderId)!);
}
