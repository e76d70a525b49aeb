// Orders brought in as history (the migration module's import of a Souk export): an order placed on the
// shop a platform came from is written as it was (its number, status, totals, lines, addresses, dates)
// and is a record, not a sale. Nothing else happens: no stock is reserved or moved, no event is emitted
// (no webhook, no payment, no e-mail), no payment timer is set, and the guest access token is a fresh
// random one nobody holds (the old shop's token is not in the export). Cancelling such an order later
// gives no stock back either (it holds no reservation).
//
// Idempotent by number: an order whose number the platform has is left as it is and counted unchanged.
// The order's id is kept when it is a UUID this platform does not use (so references in the exported
// data still line up), else a new one is made. Lines name their variant by SKU, mapped to this
// platform's variant; the customer is linked by email. Not kept: the cart, the reservation and the live
// room the order was bought in (rows of the old platform that do not come along).
import { Type, type Static } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { invalidValue } from '../../kernel/http/problems.ts';
import { isUuid, newId, randomHex } from '../../kernel/ids.ts';
import { customerIdsByEmail } from '../accounts/index.ts';
import { catalogService } from '../catalog/service.ts';
import { hashOrderToken } from './access-token.ts';
import { OrderStatus, PaymentStatus } from './schemas.ts';

const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = (maxLength: number) => Type.String({ maxLength });
const Maybe = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** An order as `souk export --format jsonl` writes it (the fields an import reads; others are ignored). */
export const OrderImportSchema = Type.Object({
  id: Type.Optional(Type.String()),
  number: Type.String({ minLength: 1, maxLength: 100 }),
  status: OrderStatus,
  paymentStatus: PaymentStatus,
  email: Maybe(Text(400)),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  totals: Type.Object({ subtotal: Money, discount: Money, shipping: Money, tax: Money, total: Money, taxIncluded: Type.Boolean() }),
  paidAmount: Money,
  refundedAmount: Money,
  couponCode: Maybe(Text(64)),
  shippingMethod: Maybe(Type.Object({ id: Text(200), name: Text(500), amount: Money })),
  shippingAddress: Maybe(Type.Record(Type.String(), Type.Unknown())),
  source: Maybe(Type.Record(Type.String(), Type.Unknown())),
  paymentDueAt: Type.String(),
  carrier: Maybe(Text(200)),
  trackingNumber: Maybe(Text(200)),
  cancelReason: Maybe(Text(2000)),
  /** Why the old shop's risk engine held it (kept as a record; its decision id is the old platform's). */
  hold: Maybe(Type.Record(Type.String(), Type.Unknown())),
  lines: Type.Array(
    Type.Object({
      id: Type.Optional(Type.String()),
      sku: Type.String({ minLength: 1, maxLength: 200 }),
      title: Text(1000),
      productTitle: Text(1000),
      quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
      unitPrice: Money,
      lineTotal: Money,
      metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    { maxItems: 1000 },
  ),
  createdAt: Type.String(),
  updatedAt: Type.Optional(Type.String()),
});
export type OrderImport = Static<typeof OrderImportSchema>;

export interface OrderImportCounts {
  created: number;
  unchanged: number;
}

function instant(value: string | undefined, field: string, number: string): string {
  const time = value === undefined ? Number.NaN : Date.parse(value);
  if (!Number.isFinite(time)) throw invalidValue(`order ${number}: ${field} "${value ?? ''}" is not a date and time`);
  return new Date(time).toISOString();
}

/** What the schema cannot say: amounts that must agree, dates that must be dates. */
function checkOrder(order: OrderImport): void {
  if (order.refundedAmount > order.paidAmount) {
    throw invalidValue(`order ${order.number}: refundedAmount ${order.refundedAmount} is more than paidAmount ${order.paidAmount}`);
  }
  instant(order.createdAt, 'createdAt', order.number);
  instant(order.paymentDueAt, 'paymentDueAt', order.number);
  if (order.updatedAt !== undefined) instant(order.updatedAt, 'updatedAt', order.number);
}

/**
 * Writes the orders whose number is new to the platform, with their lines and one history entry each
 * ("imported"), in three statements. A 400 invalid_value names the first order that cannot be written
 * (an amount that does not add up, a SKU this platform has no variant for), and nothing is written.
 */
export async function importOrders(deps: Pick<ModuleContext, 'events'>, tx: PlatformDb, orders: readonly OrderImport[]): Promise<OrderImportCounts> {
  const numbers = new Set<string>();
  for (const order of orders) {
    checkOrder(order);
    if (numbers.has(order.number)) throw invalidValue(`order ${order.number} is in the file twice`);
    numbers.add(order.number);
  }
  if (orders.length === 0) return { created: 0, unchanged: 0 };
  const fileIds = orders.flatMap((o) => (o.id && isUuid(o.id) ? [o.id.toLowerCase()] : []));
  const taken = await tx.query<{ id: string; number: string }>(
    'select id, number from orders where platform_id = $1 and (number = any($2::text[]) or id = any($3::uuid[]))',
    [[...numbers], fileIds],
  );
  const knownNumbers = new Set(taken.map((r) => r.number));
  const takenIds = new Set(taken.map((r) => r.id));
  const fresh = orders.filter((o) => !knownNumbers.has(o.number));
  if (fresh.length === 0) return { created: 0, unchanged: orders.length };

  const variants = await catalogService(deps).getVariantIdsBySku(tx, fresh.flatMap((o) => o.lines.map((l) => l.sku)));
  const customers = await customerIdsByEmail(tx, fresh.flatMap((o) => (o.email ? [o.email] : [])));
  const orderRecords: Record<string, unknown>[] = [];
  const lineRecords: Record<string, unknown>[] = [];
  const historyRecords: Record<string, unknown>[] = [];
  for (const order of fresh) {
    const keepId = order.id !== undefined && isUuid(order.id) && !takenIds.has(order.id.toLowerCase());
    const id = keepId ? order.id!.toLowerCase() : newId();
    order.lines.forEach((line, position) => {
      const variant = variants.get(line.sku);
      if (!variant) throw invalidValue(`order ${order.number}: line ${position + 1} has SKU ${line.sku}, which no variant of this platform has (import the products first)`);
      lineRecords.push({
        order_id: id,
        id: keepId && line.id && isUuid(line.id) ? line.id.toLowerCase() : newId(),
        position,
        variant_id: variant.variantId,
        product_id: variant.productId,
        sku: line.sku,
        title: line.title,
        product_title: line.productTitle,
        quantity: line.quantity,
        unit_price: line.unitPrice,
        line_total: line.lineTotal,
        metadata: line.metadata ?? {},
      });
    });
    const email = order.email ?? null;
    orderRecords.push({
      id,
      number: order.number,
      customer_id: email ? (customers.get(email.trim().toLowerCase()) ?? null) : null,
      email,
      access_token_hash: hashOrderToken(`ot_${randomHex(24)}`),
      status: order.status,
      payment_status: order.paymentStatus,
      currency: order.currency,
      subtotal: order.totals.subtotal,
      discount_total: order.totals.discount,
      shipping_total: order.totals.shipping,
      tax_total: order.totals.tax,
      tax_included: order.totals.taxIncluded,
      total: order.totals.total,
      paid_amount: order.paidAmount,
      refunded_amount: order.refundedAmount,
      coupon_code: order.couponCode ?? null,
      shipping_method: order.shippingMethod ?? null,
      shipping_address: order.shippingAddress ?? null,
      source: order.source ?? null,
      payment_due_at: instant(order.paymentDueAt, 'paymentDueAt', order.number),
      carrier: order.carrier ?? null,
      tracking_number: order.trackingNumber ?? null,
      cancel_reason: order.cancelReason ?? null,
      hold: order.hold ?? null,
      created_at: instant(order.createdAt, 'createdAt', order.number),
      updated_at: instant(order.updatedAt ?? order.createdAt, 'updatedAt', order.number),
    });
    historyRecords.push({ id: newId(), order_id: id, to_status: order.status, data: { imported: { id: order.id ?? null, number: order.number } } });
  }
  await tx.execute(
    `insert into orders (platform_id, id, number, customer_id, email, access_token_hash, status, payment_status, currency, subtotal,
       discount_total, shipping_total, tax_total, tax_included, total, paid_amount, refunded_amount, coupon_code, shipping_method,
       shipping_address, source, payment_due_at, carrier, tracking_number, cancel_reason, hold, created_at, updated_at)
     select $1::uuid, r.id, r.number, r.customer_id, r.email, r.access_token_hash, r.status, r.payment_status, r.currency, r.subtotal,
       r.discount_total, r.shipping_total, r.tax_total, r.tax_included, r.total, r.paid_amount, r.refunded_amount, r.coupon_code,
       r.shipping_method, r.shipping_address, r.source, r.payment_due_at, r.carrier, r.tracking_number, r.cancel_reason, r.hold, r.created_at, r.updated_at
     from jsonb_to_recordset($2::jsonb) as r(id uuid, number text, customer_id uuid, email text, access_token_hash text, status text,
       payment_status text, currency text, subtotal bigint, discount_total bigint, shipping_total bigint, tax_total bigint,
       tax_included boolean, total bigint, paid_amount bigint, refunded_amount bigint, coupon_code text, shipping_method jsonb,
       shipping_address jsonb, source jsonb, payment_due_at timestamptz, carrier text, tracking_number text, cancel_reason text,
       hold jsonb, created_at timestamptz, updated_at timestamptz)`,
    [JSON.stringify(orderRecords)],
  );
  if (lineRecords.length > 0) {
    await tx.execute(
      `insert into order_lines (platform_id, order_id, id, position, variant_id, product_id, sku, title, product_title, quantity, unit_price, line_total, metadata)
       select $1::uuid, r.order_id, r.id, r.position, r.variant_id, r.product_id, r.sku, r.title, r.product_title, r.quantity, r.unit_price, r.line_total, r.metadata
       from jsonb_to_recordset($2::jsonb) as r(order_id uuid, id uuid, position integer, variant_id uuid, product_id uuid, sku text, title text,
         product_title text, quantity integer, unit_price bigint, line_total bigint, metadata jsonb)`,
      [JSON.stringify(lineRecords)],
    );
  }
  await tx.execute(
    `insert into order_history (platform_id, id, order_id, kind, from_status, to_status, actor, reason, data, at)
     select $1::uuid, r.id, r.order_id, 'status', null, r.to_status, 'system', 'imported', r.data, now()
     from jsonb_to_recordset($2::jsonb) as r(id uuid, order_id uuid, to_status text, data jsonb)`,
    [JSON.stringify(historyRecords)],
  );
  return { created: fresh.length, unchanged: orders.length - fresh.length };
}
