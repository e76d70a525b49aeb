// The review of orders the risk engine held (on_hold): a person approves one (it goes on to
// pending_payment with a fresh payment window, as if it had just been placed) or rejects it (cancelled:
// stock and coupon use come back, exactly as any cancel). Either way the order history records who and
// why, and order.approved / order.rejected is emitted in the same transaction.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { EVENT_APPROVED, EVENT_PAYMENT_TIMEOUT, EVENT_REJECTED, type OrderHeldPayload } from './events.ts';
import { cancelOrder, eventPayload, lockOrder, recordHistory, setStatus, type OrdersDeps } from './lifecycle.ts';
import { orderNotHeld } from './problems.ts';
import type { OrderRow } from './read.ts';
import type { OrderHold } from './schemas.ts';
import { ordersSettings } from './settings.ts';

export function heldPayload(row: OrderRow, hold: OrderHold): OrderHeldPayload {
  return eventPayload(row, { decisionId: hold.decisionId, point: hold.point, level: hold.level, reason: hold.reason });
}

const holdOfRow = (row: OrderRow): OrderHold | null => (typeof row.hold === 'string' ? (JSON.parse(row.hold) as OrderHold) : row.hold);

async function lockHeld(tx: PlatformDb, orderId: string): Promise<OrderRow> {
  const row = await lockOrder(tx, orderId);
  if (row.status !== 'on_hold') throw orderNotHeld(row.number, row.status);
  return row;
}

/** on_hold → pending_payment: the payment window (and its timer) starts now. */
export async function approveOrder(deps: OrdersDeps, tx: PlatformDb, orderId: string, input: { actor: string; note?: string }): Promise<OrderRow> {
  const row = await lockHeld(tx, orderId);
  const { unpaidTimeoutSeconds } = ordersSettings(deps.platforms.byId(tx.platformId));
  if (row.timeout_timer_id) await deps.events.cancelTimer(tx, row.timeout_timer_id);
  const dueAt = new Date(Date.now() + unpaidTimeoutSeconds * 1000);
  const timerId = await deps.events.schedule(tx, dueAt, EVENT_PAYMENT_TIMEOUT, { orderId: row.id }, { key: row.id });
  // The stock hold was taken long enough for the review deadline plus a payment window (checkout.ts).
  const next = await setStatus(tx, row, 'pending_payment', { timeout_timer_id: timerId, payment_due_at: dueAt });
  const decisionId = holdOfRow(row)?.decisionId ?? null;
  const note = input.note ?? null;
  await recordHistory(tx, row.id, { kind: 'status', from: 'on_hold', to: 'pending_payment', actor: input.actor, reason: note ?? 'approved after review', data: { review: 'approved', decisionId } });
  await deps.events.emit(tx, EVENT_APPROVED, eventPayload(next, { decisionId, actor: input.actor, note }), { key: row.id });
  return next;
}

/** on_hold → cancelled: stock and coupon use come back (cancelOrder), and order.rejected says who and why. */
export async function rejectOrder(deps: OrdersDeps, tx: PlatformDb, orderId: string, input: { actor: string; reason: string }): Promise<OrderRow> {
  const row = await lockHeld(tx, orderId);
  const next = await cancelOrder(deps, tx, row.id, { actor: input.actor, reason: `rejected after review: ${input.reason}`.slice(0, 500) });
  const decisionId = holdOfRow(row)?.decisionId ?? null;
  await deps.events.emit(tx, EVENT_REJECTED, eventPayload(next, { decisionId, actor: input.actor, note: input.reason }), { key: row.id });
  return next;
}
