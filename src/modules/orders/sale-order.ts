// Orders placed without a cart: a flash-sale ticket drained from the queue becomes a pending_payment
// order at the sale price. The units are already set aside (the sale's carve-out reservation), so they
// move into the order's own reservation instead of being taken from available stock again; from then on
// the order is an order like any other (same payment, timeout and cancel paths).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { cartService } from '../cart/service.ts';
import { inventoryService } from '../inventory/service.ts';
import { hashOrderToken, newOrderToken } from './access-token.ts';
import { insertOrders, orderNumber } from './insert.ts';
import { EVENT_CREATED, EVENT_HELD, EVENT_PAYMENT_TIMEOUT } from './events.ts';
import { heldPayload } from './review.ts';
import type { OrderHold } from './schemas.ts';
import type { OrdersDeps } from './lifecycle.ts';
import { HOLD_MARGIN_SECONDS, MAX_UNPAID_TIMEOUT_SECONDS, ordersSettings } from './settings.ts';
import { invalidTimeout } from './problems.ts';
import { invalidLines } from '../inventory/problems.ts';

export interface SaleOrderInput {
  customerId: string;
  email: string;
  currency: string;
  lines: { variantId: string; productId: string; sku: string; title: string; productTitle: string; quantity: number; unitPrice: number }[];
  unpaidTimeoutSeconds: number;
  source: { kind: 'flash_sale'; saleId: string; ticketId: string } & Record<string, unknown>;
  /** The reservation the units are moved out of (the sale's carve-out). */
  stockFrom: { reservationId: string };
  /** The purchase was held for review by the risk engine: the order starts on_hold. */
  hold?: OrderHold;
}

export interface SaleOrderCreated {
  orderId: string;
  number: string;
  total: number;
}

export async function createSaleOrder(deps: OrdersDeps, tx: PlatformDb, input: SaleOrderInput): Promise<SaleOrderCreated> {
  return (await createSaleOrders(deps, tx, [input]))[0]!;
}

/**
 * Several sale orders, all taking their units from ONE source reservation, with a fixed number of
 * statements however many there are (the flash-sale drain writes a batch of tickets at once). All or none:
 * a refused input (4xx) or a short source (409 out_of_stock) throws and the caller's transaction, or its
 * savepoint, undoes the rest. Results in the order given.
 */
export async function createSaleOrders(deps: OrdersDeps, tx: PlatformDb, inputs: readonly SaleOrderInput[]): Promise<SaleOrderCreated[]> {
  if (inputs.length === 0) return [];
  const platform = deps.platforms.byId(tx.platformId);
  if (!platform) throw new Error(`platform ${tx.platformId} is not in the directory`);
  const from = inputs[0]!.stockFrom.reservationId;
  if (inputs.some((i) => i.stockFrom.reservationId !== from)) throw new Error('createSaleOrders: every order of a batch comes from one reservation');
  const now = new Date();
  const carts = cartService(deps);
  const { reviewTimeoutSeconds } = ordersSettings(platform);
  const planned = inputs.map((input) => {
    if (input.lines.length === 0) throw invalidLines('A sale order needs at least one line.');
    if (!Number.isSafeInteger(input.unpaidTimeoutSeconds) || input.unpaidTimeoutSeconds < 1 || input.unpaidTimeoutSeconds > MAX_UNPAID_TIMEOUT_SECONDS) {
      throw invalidTimeout(MAX_UNPAID_TIMEOUT_SECONDS);
    }
    const lines = input.lines.map((l) => ({ ...l, id: newId(), lineTotal: l.unitPrice * l.quantity, metadata: {} }));
    const subtotal = lines.reduce((sum, l) => sum + l.lineTotal, 0);
    // The sale price includes delivery; tax follows the platform's rule like any cart would.
    const tax = carts.computeTax(platform, { currency: input.currency, taxableAmount: subtotal });
    const totals = { subtotal, discount: 0, shipping: 0, tax: tax.tax, total: tax.included ? subtotal : subtotal + tax.tax, taxIncluded: tax.included };
    // A held order's timer is its review deadline; its stock is held through the review and a payment window.
    const review = input.hold ? reviewTimeoutSeconds : 0;
    const dueAt = new Date(now.getTime() + (input.hold ? reviewTimeoutSeconds : input.unpaidTimeoutSeconds) * 1000);
    return { input, lines, totals, orderId: newId(), reservationId: newId(), dueAt, holdSeconds: review + input.unpaidTimeoutSeconds + HOLD_MARGIN_SECONDS };
  });

  const timerIds = await deps.events.scheduleMany(
    tx,
    planned.map((p) => ({ at: p.dueAt, type: EVENT_PAYMENT_TIMEOUT, payload: { orderId: p.orderId }, key: p.orderId })),
  );
  const rows = await insertOrders(
    tx,
    planned.map((p, i) => ({
      orderId: p.orderId,
      number: orderNumber(now),
      cartId: null,
      customerId: p.input.customerId,
      email: p.input.email,
      currency: p.input.currency,
      lines: p.lines,
      totals: p.totals,
      couponCode: null,
      shippingMethod: null,
      shippingAddress: null,
      source: p.input.source,
      // The buyer is a customer who reads the order through their session: the token is never shown.
      accessTokenHash: hashOrderToken(newOrderToken()),
      reservationId: p.reservationId,
      timerId: timerIds[i]!,
      dueAt: p.dueAt,
      history: { actor: `${p.input.source.kind}:${p.input.source.saleId}`, data: { ...p.input.source } },
      ...(p.input.hold ? { hold: p.input.hold } : {}),
    })),
  );
  await deps.events.emitMany(
    tx,
    planned.map((p) => ({
      type: EVENT_CREATED,
      payload: {
        orderId: p.orderId,
        customerId: p.input.customerId,
        currency: p.input.currency,
        total: p.totals.total,
        source: p.input.source,
        lines: p.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity, unitPrice: l.unitPrice })),
      },
      key: p.orderId,
    })),
  );
  const held = planned.flatMap((p, i) => (p.input.hold ? [{ type: EVENT_HELD as typeof EVENT_HELD, payload: heldPayload(rows[i]!, p.input.hold), key: p.orderId }] : []));
  if (held.length > 0) await deps.events.emitMany(tx, held);
  await inventoryService(deps).transferReservedMany(
    tx,
    from,
    planned.map((p) => ({
      id: p.reservationId,
      reference: p.orderId,
      lines: p.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
      holdSeconds: p.holdSeconds,
    })),
  );
  return planned.map((p, i) => ({ orderId: p.orderId, number: rows[i]!.number, total: p.totals.total }));
}
