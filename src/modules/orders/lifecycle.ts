// Order transitions after checkout. Each runs in the caller's transaction, locks the order row first,
// checks the state machine, applies the side effects (stock, coupon, timer), records a history entry and
// emits an event — all or nothing.
//
// Lock order matches checkout's (coupon row before stock levels), so a cancel and a checkout that share
// a coupon and a variant queue behind each other instead of deadlocking.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import { inventoryService } from '../inventory/service.ts';
import { promotionsService } from '../promotions/service.ts';
import { ORDER_COLUMNS, readOrderRow, type OrderRow } from './read.ts';
import { EVENT_CANCELLED, EVENT_COMPLETED, EVENT_DELIVERED, EVENT_FULFILLED, EVENT_PAID, EVENT_REFUNDED, type OrderStatePayload } from './events.ts';
import { assertTransition, paymentStatusFor, type OrderStatus } from './state.ts';
import { contactSupport, invalidRefundAmount, orderAmountMismatch, orderNotFound, orderRefundTooLarge } from './problems.ts';
import { sqlParams, type SqlParams } from '../../kernel/db/params.ts';
import { cancelTimerStatement } from '../events/outbox.ts';

export type OrdersDeps = Pick<ModuleContext, 'events' | 'platforms' | 'runtimeOf'>;

export interface HistoryInput {
  kind: 'status' | 'payment' | 'refund';
  from?: OrderStatus | null;
  to?: OrderStatus | null;
  actor: string;
  reason?: string | null;
  data?: Record<string, unknown>;
}

/** The insert of a history entry, its values numbered by `param` (one statement's own or a larger one's). */
function historyInsert(orderId: string, entry: HistoryInput, param: SqlParams['param']): string {
  const values = [newId(), orderId, entry.kind, entry.from ?? null, entry.to ?? null, entry.actor, entry.reason ?? null, JSON.stringify(entry.data ?? {})];
  return `insert into order_history (platform_id, id, order_id, kind, from_status, to_status, actor, reason, data) values ($1, ${values.map(param).join(', ')})`;
}

export async function recordHistory(tx: PlatformDb, orderId: string, entry: HistoryInput): Promise<void> {
  const { params, param } = sqlParams();
  await tx.execute(historyInsert(orderId, entry, param), params);
}

export async function lockOrder(tx: PlatformDb, orderId: string): Promise<OrderRow> {
  const row = await readOrderRow(tx, orderId, true);
  if (!row) throw orderNotFound(orderId);
  return row;
}

/** The order as it stands, with what the event adds (its payload type comes from events.ts). */
export function eventPayload<E extends object>(row: OrderRow, extra: E): OrderStatePayload & E {
  return {
    orderId: row.id,
    number: row.number,
    customerId: row.customer_id,
    currency: row.currency,
    total: Number(row.total),
    paidAmount: Number(row.paid_amount),
    refundedAmount: Number(row.refunded_amount),
    ...extra,
  };
}

/** What a transition writes besides the order row, in the same statement. */
interface StatusSideWrites {
  /** The history entry of the transition. */
  history?: HistoryInput;
  /** The order's payment timer, cancelled (the order row is locked already; the timer row comes next). */
  cancelTimerId?: string | null;
}

export async function setStatus(tx: PlatformDb, row: OrderRow, to: OrderStatus, columns: Record<string, unknown> = {}, side: StatusSideWrites = {}): Promise<OrderRow> {
  const { params, param } = sqlParams([row.id, to]);
  const sets = Object.keys(columns).map((name) => `${name} = ${param(columns[name])}`);
  // The history row and the timer's removal ride as CTEs: one statement instead of three.
  const ctes: string[] = [];
  if (side.cancelTimerId) ctes.push(`t as (${cancelTimerStatement(param(side.cancelTimerId))})`);
  if (side.history) ctes.push(`h as (${historyInsert(row.id, side.history, param)})`);
  // Returns the row as readOrderRow would, so the change is one round trip.
  const updated = await tx.maybeOne<OrderRow>(
    `${ctes.length ? `with ${ctes.join(', ')} ` : ''}update orders as o set status = $3, updated_at = now()${sets.length ? `, ${sets.join(', ')}` : ''} where o.platform_id = $1 and o.id = $2 returning ${ORDER_COLUMNS}`,
    params,
  );
  if (!updated) throw new Error(`order ${row.id} vanished while locked`);
  return updated;
}

/**
 * Cancels an order that is pending payment or paid: the coupon use and the stock come back (a held
 * reservation is released; a paid order's committed stock is put back on hand), the payment timer is
 * dropped. Refunding a paid order is the payments module's job: it reacts to order.cancelled.
 */
export async function cancelOrder(deps: OrdersDeps, tx: PlatformDb, orderId: string, input: { actor: string; reason: string }): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  assertTransition(row.number, row.status, 'cancelled');
  await promotionsService(deps).releaseCouponRedemption(tx, row.id);
  const inventory = inventoryService(deps);
  if (row.reservation_id) {
    const reservation = await inventory.getReservation(tx, row.reservation_id);
    if (reservation?.status === 'active') {
      await inventory.releaseReservation(tx, row.reservation_id, row.status === 'pending_payment' ? input.reason.slice(0, 200) : 'cancelled');
    } else if (reservation?.status === 'committed') {
      for (const line of reservation.lines) {
        await inventory.adjustStock(tx, {
          variantId: line.variantId,
          locationId: line.locationId,
          delta: line.quantity,
          reason: `order ${row.number} cancelled: ${input.reason}`.slice(0, 500),
          reference: row.id,
          actor: { id: 'system', label: input.actor },
        });
      }
    }
  }
  const next = await setStatus(tx, row, 'cancelled', { cancel_reason: input.reason }, {
    cancelTimerId: row.timeout_timer_id,
    history: { kind: 'status', from: row.status, to: 'cancelled', actor: input.actor, reason: input.reason },
  });
  await deps.events.emit(tx, EVENT_CANCELLED, eventPayload(next, { reason: input.reason, wasPaid: row.status === 'paid' }), { key: row.id });
  return next;
}

/**
 * The storefront's cancel: a customer (or a guest with the order token) may cancel their order only while
 * it is unpaid. A paid order is the shop's to cancel, because that means a refund (409 contact_support);
 * a shipped or later one is refused by the state machine like any other move (409 illegal_transition).
 */
export async function cancelByCustomer(deps: OrdersDeps, tx: PlatformDb, orderId: string): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  if (row.status === 'paid') throw contactSupport(row.number);
  const actor = row.customer_id ? `customer:${row.customer_id}` : 'guest';
  return cancelOrder(deps, tx, row.id, { actor, reason: 'cancelled by customer' });
}

/** paid → fulfilled (shipped) with the carrier and tracking number. */
export async function fulfilOrder(deps: OrdersDeps, tx: PlatformDb, orderId: string, input: { actor: string; carrier: string; trackingNumber: string }): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  assertTransition(row.number, row.status, 'fulfilled');
  const next = await setStatus(tx, row, 'fulfilled', { carrier: input.carrier, tracking_number: input.trackingNumber }, {
    history: { kind: 'status', from: row.status, to: 'fulfilled', actor: input.actor, data: { carrier: input.carrier, trackingNumber: input.trackingNumber } },
  });
  await deps.events.emit(tx, EVENT_FULFILLED, eventPayload(next, { carrier: input.carrier, trackingNumber: input.trackingNumber }), { key: row.id });
  return next;
}

/** fulfilled → delivered, delivered → completed: plain steps with a history entry and an event. */
export async function advanceOrder(deps: OrdersDeps, tx: PlatformDb, orderId: string, to: 'delivered' | 'completed', input: { actor: string; reason?: string }): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  assertTransition(row.number, row.status, to);
  const next = await setStatus(tx, row, to, {}, { history: { kind: 'status', from: row.status, to, actor: input.actor, reason: input.reason ?? null } });
  await deps.events.emit(tx, to === 'delivered' ? EVENT_DELIVERED : EVENT_COMPLETED, eventPayload(next, {}), { key: row.id });
  return next;
}

export type MarkPaidOutcome = 'paid' | 'already_paid' | 'not_payable';

/**
 * A payment was captured. Idempotent: a second capture notice for a paid order is 'already_paid'. A
 * cancelled order (timed out before the money arrived) is 'not_payable' and the caller refunds. The
 * amount must be exactly the order total, in its currency.
 */
export async function markPaid(
  deps: OrdersDeps,
  tx: PlatformDb,
  orderId: string,
  input: { amount: number; currency: string; paymentId: string; provider: string },
): Promise<{ outcome: MarkPaidOutcome; row: OrderRow }> {
  const row = await lockOrder(tx, orderId);
  // A held order cannot take money until a person approves it (no payment can be started for it).
  if (row.status === 'cancelled' || row.status === 'on_hold') return { outcome: 'not_payable', row };
  if (row.status !== 'pending_payment') return { outcome: 'already_paid', row };
  if (input.currency !== row.currency || input.amount !== Number(row.total)) {
    throw orderAmountMismatch(row.number, row.total, row.currency, input.amount, input.currency);
  }
  if (row.reservation_id) {
    try {
      await inventoryService(deps).commitReservation(tx, row.reservation_id);
    } catch (error) {
      // The hold ran out before the money came (its timer fired although the order's did not): the
      // units may be sold to someone else, so this order cannot be paid; it is cancelled and refunded.
      if (!(error instanceof HttpProblem) || error.status !== 409) throw error;
      await cancelOrder(deps, tx, orderId, { actor: `payment:${input.provider}`, reason: 'stock_hold_expired' });
      return { outcome: 'not_payable', row: (await readOrderRow(tx, orderId))! };
    }
  }
  const next = await setStatus(tx, row, 'paid', { payment_status: 'paid', paid_amount: input.amount }, {
    cancelTimerId: row.timeout_timer_id,
    history: { kind: 'status', from: row.status, to: 'paid', actor: `payment:${input.provider}`, data: { paymentId: input.paymentId, amount: input.amount } },
  });
  await deps.events.emit(tx, EVENT_PAID, eventPayload(next, { paymentId: input.paymentId, provider: input.provider }), { key: row.id });
  return { outcome: 'paid', row: next };
}

/** A declined or failed payment cancels a pending order (stock and coupon back); otherwise it is only noted. */
export async function paymentFailed(deps: OrdersDeps, tx: PlatformDb, orderId: string, input: { paymentId: string; reason: string }): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  if (row.status !== 'pending_payment') {
    await recordHistory(tx, row.id, { kind: 'payment', actor: 'payment', reason: `ignored failure: ${input.reason}`, data: { paymentId: input.paymentId } });
    return row;
  }
  return cancelOrder(deps, tx, orderId, { actor: 'payment', reason: `payment_failed: ${input.reason}`.slice(0, 500) });
}

/** Money went back to the customer: refunded amount and payment status move, never above what was paid. */
export async function recordRefund(
  deps: OrdersDeps,
  tx: PlatformDb,
  orderId: string,
  input: { amount: number; refundId: string; reason: string; actor: string },
): Promise<OrderRow> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw invalidRefundAmount();
  const row = await lockOrder(tx, orderId);
  const paid = Number(row.paid_amount);
  const refunded = Number(row.refunded_amount);
  if (refunded + input.amount > paid) {
    throw orderRefundTooLarge(row.number, paid - refunded, row.currency, input.amount);
  }
  const paymentStatus = paymentStatusFor(paid, refunded + input.amount);
  await tx.execute('update orders set refunded_amount = refunded_amount + $3, payment_status = $4, updated_at = now() where platform_id = $1 and id = $2', [
    row.id,
    input.amount,
    paymentStatus,
  ]);
  const next = (await readOrderRow(tx, row.id))!;
  await recordHistory(tx, row.id, { kind: 'refund', actor: input.actor, reason: input.reason, data: { refundId: input.refundId, amount: input.amount, paymentStatus } });
  await deps.events.emit(tx, EVENT_REFUNDED, eventPayload(next, { refundId: input.refundId, amount: input.amount, paymentStatus }), { key: row.id });
  return next;
}
