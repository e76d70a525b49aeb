// Orders placed without a cart: a flash-sale ticket drained from the queue becomes a pending_payment
// order at the sale price. The units are already set aside (the sale's carve-out reservation), so they
// move into the order's own reservation instead of being taken from available stock again; from then on
// the order is an order like any other (same payment, timeout and cancel paths).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { badRequest } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import { strategiesFor } from '../cart/service.ts';
import { inventoryService } from '../inventory/service.ts';
import { insertOrder, orderNumber } from './insert.ts';
import { EVENT_CREATED, EVENT_PAYMENT_TIMEOUT, type OrdersDeps } from './lifecycle.ts';
import { HOLD_MARGIN_SECONDS, MAX_UNPAID_TIMEOUT_SECONDS } from './settings.ts';

export interface SaleOrderInput {
  customerId: string;
  email: string;
  currency: string;
  lines: { variantId: string; productId: string; sku: string; title: string; productTitle: string; quantity: number; unitPrice: number }[];
  unpaidTimeoutSeconds: number;
  source: { kind: 'flash_sale'; saleId: string; ticketId: string } & Record<string, unknown>;
  /** The reservation the units are moved out of (the sale's carve-out). */
  stockFrom: { reservationId: string };
}

export async function createSaleOrder(deps: OrdersDeps, tx: PlatformDb, input: SaleOrderInput): Promise<{ orderId: string; number: string; total: number }> {
  const platform = deps.platforms.byId(tx.platformId);
  if (!platform) throw new Error(`platform ${tx.platformId} is not in the directory`);
  if (input.lines.length === 0) throw badRequest('invalid_lines', 'A sale order needs at least one line.');
  if (!Number.isSafeInteger(input.unpaidTimeoutSeconds) || input.unpaidTimeoutSeconds < 1 || input.unpaidTimeoutSeconds > MAX_UNPAID_TIMEOUT_SECONDS) {
    throw badRequest('invalid_timeout', `unpaidTimeoutSeconds must be 1 to ${MAX_UNPAID_TIMEOUT_SECONDS}.`);
  }
  const lines = input.lines.map((l) => ({ ...l, lineTotal: l.unitPrice * l.quantity, metadata: {} }));
  const subtotal = lines.reduce((sum, l) => sum + l.lineTotal, 0);
  // The sale price includes delivery; tax follows the platform's rule like any cart would.
  const tax = strategiesFor(platform).tax.compute(platform, { currency: input.currency, taxableAmount: subtotal });
  const totals = { subtotal, discount: 0, shipping: 0, tax: tax.tax, total: tax.included ? subtotal : subtotal + tax.tax, taxIncluded: tax.included };

  const orderId = newId();
  const now = new Date();
  const dueAt = new Date(now.getTime() + input.unpaidTimeoutSeconds * 1000);
  const timerId = await deps.events.schedule(tx, dueAt, EVENT_PAYMENT_TIMEOUT, { orderId }, { key: orderId });
  const reservationId = newId();
  const row = await insertOrder(tx, {
    orderId,
    number: orderNumber(now),
    cartId: null,
    customerId: input.customerId,
    email: input.email,
    currency: input.currency,
    lines,
    totals,
    couponCode: null,
    shippingMethod: null,
    shippingAddress: null,
    source: input.source,
    reservationId,
    timerId,
    dueAt,
    history: { actor: `${input.source.kind}:${input.source.saleId}`, data: { ...input.source } },
  });
  await deps.events.emit(
    tx,
    EVENT_CREATED,
    { orderId, customerId: input.customerId, currency: input.currency, total: totals.total, source: input.source, lines: lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity, unitPrice: l.unitPrice })) },
    { key: orderId },
  );
  await inventoryService(deps).transferReserved(tx, {
    id: reservationId,
    fromReservationId: input.stockFrom.reservationId,
    reference: orderId,
    lines: lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
    holdSeconds: input.unpaidTimeoutSeconds + HOLD_MARGIN_SECONDS,
  });
  return { orderId, number: row.number, total: totals.total };
}
