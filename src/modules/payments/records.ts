// Reading payments and refunds: the SQL columns, the row types beside them and the views the API returns.
import { iso } from '../../kernel/cursor.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { AdminPayment, Payment, PaymentStatus, Refund, RefundKind, RefundStatus } from './schemas.ts';

export interface PaymentRow {
  id: string;
  order_id: string;
  /** 'order', or the purpose of another module's payee (payees.ts). */
  purpose: string;
  provider: string;
  provider_ref: string | null;
  redirect_url: string | null;
  return_url: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  captured_amount: number;
  refunded_amount: number;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

export const PAYMENT_COLUMNS = `id, order_id, purpose, provider, provider_ref, redirect_url, return_url, amount, currency, status,
  captured_amount, refunded_amount, failure_reason, ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    provider: row.provider,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    capturedAmount: row.captured_amount,
    refundedAmount: row.refunded_amount,
    redirectUrl: row.redirect_url,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface RefundRow {
  id: string;
  payment_id: string;
  order_id: string;
  amount: number;
  currency: string;
  reason: string;
  kind: RefundKind;
  actor: string;
  status: RefundStatus;
  provider_refund_ref: string | null;
  failure_reason: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

export const REFUND_COLUMNS = `id, payment_id, order_id, amount, currency, reason, kind, actor, status, provider_refund_ref, failure_reason,
  attempts, ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;

export function toRefund(row: RefundRow): Refund {
  return {
    id: row.id,
    paymentId: row.payment_id,
    orderId: row.order_id,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    kind: row.kind,
    status: row.status,
    providerRefundRef: row.provider_refund_ref,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function readPaymentRow(pdb: PlatformDb, paymentId: string): Promise<PaymentRow | undefined> {
  if (!isUuid(paymentId)) return undefined;
  return pdb.maybeOne<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where platform_id = $1 and id = $2`, [paymentId]);
}

export async function getPayment(pdb: PlatformDb, paymentId: string): Promise<Payment | undefined> {
  const row = await readPaymentRow(pdb, paymentId);
  return row ? toPayment(row) : undefined;
}

export async function getRefund(pdb: PlatformDb, refundId: string): Promise<Refund | undefined> {
  const row = await pdb.maybeOne<RefundRow>(`select ${REFUND_COLUMNS} from payment_refunds where platform_id = $1 and id = $2`, [refundId]);
  return row ? toRefund(row) : undefined;
}

/** Every payment of an order, oldest first, with its refunds and the provider events applied to it. */
export async function listOrderPayments(pdb: PlatformDb, orderId: string): Promise<AdminPayment[]> {
  const payments = await pdb.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where platform_id = $1 and order_id = $2 order by id`, [orderId]);
  if (payments.length === 0) return [];
  const refunds = await pdb.query<RefundRow>(`select ${REFUND_COLUMNS} from payment_refunds where platform_id = $1 and order_id = $2 order by id`, [orderId]);
  const events = await pdb.query<{ payment_id: string; event_id: string; type: string; outcome: string; detail: string | null; received_at: string }>(
    `select e.payment_id, e.event_id, e.type, e.outcome, e.detail, ${iso('e.received_at')} as received_at
     from payment_events e join payments p on p.platform_id = $1 and p.id = e.payment_id
     where e.platform_id = $1 and p.order_id = $2 order by e.received_at, e.event_id`,
    [orderId],
  );
  return payments.map((row) => ({
    ...toPayment(row),
    providerRef: row.provider_ref,
    refunds: refunds.filter((r) => r.payment_id === row.id).map(toRefund),
    events: events
      .filter((e) => e.payment_id === row.id)
      .map((e) => ({ eventId: e.event_id, type: e.type, outcome: e.outcome, detail: e.detail, receivedAt: e.received_at })),
  }));
}
