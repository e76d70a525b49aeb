// Refunds in three steps, so the provider is never called inside a database transaction and a crash
// at any point loses no money:
//   1. reserve (in the caller's transaction): a pending refund row, and the payment's refunded_amount
//      raised by a conditional update that keeps it under captured_amount (the CHECK stands behind it).
//      The payment row lock serialises concurrent refunds of one payment, so two cannot both fit.
//   2. send (no transaction): provider.refund with the refund id as idempotency key.
//   3. settle (a short transaction): pending → succeeded (and the order's refundedAmount through
//      orders.recordRefund) or → failed (the reserved amount given back). Conditional on 'pending', so
//      a second sender settles nothing twice.
// A process that dies between 1 and 3 leaves a pending row whose claim runs out; the sweeper sends it
// again, and the idempotency key makes the provider answer with the first refund.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import type { PaymentsDeps } from './deps.ts';
import { EVENT_PAYMENT_REFUNDED, EVENT_REFUND_FAILED } from './events.ts';
import { ORDER_PURPOSE, payeeOf, type PaymentPayee } from './payees.ts';
import { getRefund, REFUND_COLUMNS, type RefundRow } from './records.ts';
import { planLineRefund, recordRefundLines, type RefundRequest } from './refund-lines.ts';
import type { Refund, RefundKind } from './schemas.ts';
import { REFUND_CLAIM_SECONDS } from './settings.ts';
import { noCapturedPayment, noOrderOnPlatform, paymentRefundTooLarge, refundRefused } from './problems.ts';

/** After this many failed sends (network trouble, provider down) a refund is marked failed for a person to look at. */
const MAX_SEND_ATTEMPTS = 8;

export interface ReserveRefundInput {
  paymentId: string;
  amount: number;
  reason: string;
  kind: RefundKind;
  actor: string;
  /** True when the caller sends it at once (it holds the claim); otherwise the worker picks it up. */
  claim: boolean;
}

/** Step 1, in the caller's transaction. 409 refund_exceeds_captured when the payment has less left. */
export async function reserveRefund(tx: PlatformDb, input: ReserveRefundInput): Promise<string> {
  const taken = await tx.maybeOne<{ order_id: string; currency: string }>(
    `update payments set refunded_amount = refunded_amount + $3, updated_at = now()
     where platform_id = $1 and id = $2 and status = 'succeeded' and refunded_amount + $3 <= captured_amount
     returning order_id, currency`,
    [input.paymentId, input.amount],
  );
  if (!taken) {
    const current = await tx.maybeOne<{ captured_amount: number; refunded_amount: number }>(
      'select captured_amount, refunded_amount from payments where platform_id = $1 and id = $2',
      [input.paymentId],
    );
    const refundable = current ? current.captured_amount - current.refunded_amount : 0;
    throw paymentRefundTooLarge(refundable, input.amount);
  }
  const id = newId();
  await tx.execute(
    `insert into payment_refunds (platform_id, id, payment_id, order_id, amount, currency, reason, kind, actor, locked_until)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $10::boolean then now() + make_interval(secs => $11) end)`,
    [id, input.paymentId, taken.order_id, input.amount, taken.currency, input.reason, input.kind, input.actor, input.claim, REFUND_CLAIM_SECONDS],
  );
  return id;
}

/** Takes the claim on a pending refund whose previous claim (if any) ran out; undefined when another has it. */
async function claimRefund(pdb: PlatformDb, refundId: string): Promise<RefundRow | undefined> {
  return pdb.maybeOne<RefundRow>(
    `update payment_refunds set locked_until = now() + make_interval(secs => $3), updated_at = now()
     where platform_id = $1 and id = $2 and status = 'pending' and (locked_until is null or locked_until < now())
     returning ${REFUND_COLUMNS}`,
    [refundId, REFUND_CLAIM_SECONDS],
  );
}

/** The payee of a refund's payment when it pays for something other than an order (a coin top-up). */
async function otherPayeeOf(deps: PaymentsDeps, tx: PlatformDb, paymentId: string): Promise<{ purpose: string; payee: PaymentPayee | undefined } | undefined> {
  const row = await tx.maybeOne<{ purpose: string }>('select purpose from payments where platform_id = $1 and id = $2', [paymentId]);
  if (!row || row.purpose === ORDER_PURPOSE) return undefined;
  return { purpose: row.purpose, payee: payeeOf(deps.orders, row.purpose) };
}

async function settleFailed(deps: PaymentsDeps, pdb: PlatformDb, refund: RefundRow, reason: string): Promise<void> {
  await pdb.transaction(async (tx) => {
    const moved = await tx.execute(
      `update payment_refunds set status = 'failed', failure_reason = $3, locked_until = null, updated_at = now()
       where platform_id = $1 and id = $2 and status = 'pending'`,
      [refund.id, reason.slice(0, 500)],
    );
    if (moved.rowCount !== 1) return;
    await tx.execute('update payments set refunded_amount = refunded_amount - $3, updated_at = now() where platform_id = $1 and id = $2', [
      refund.payment_id,
      refund.amount,
    ]);
    // An admin refund of another payee's payment: the payee puts back what it undid when it asked for it.
    const other = refund.kind === 'admin' ? await otherPayeeOf(deps, tx, refund.payment_id) : undefined;
    await other?.payee?.refundFailed?.(tx, refund.order_id, { refundId: refund.id, paymentId: refund.payment_id, amount: refund.amount, reason });
    await deps.ctx.events.emit(tx, EVENT_REFUND_FAILED, { refundId: refund.id, paymentId: refund.payment_id, orderId: refund.order_id, amount: refund.amount, reason }, { key: refund.order_id });
  });
}

async function settleSucceeded(deps: PaymentsDeps, pdb: PlatformDb, refund: RefundRow, refundRef: string): Promise<void> {
  await pdb.transaction(async (tx) => {
    const moved = await tx.execute(
      `update payment_refunds set status = 'succeeded', provider_refund_ref = $3, locked_until = null, attempts = attempts + 1, updated_at = now()
       where platform_id = $1 and id = $2 and status = 'pending'`,
      [refund.id, refundRef],
    );
    if (moved.rowCount !== 1) return;
    const other = await otherPayeeOf(deps, tx, refund.payment_id);
    if (other) {
      // Not an order's money: its payee (a coin top-up, say) records the refund its own way.
      if (refund.kind === 'admin') await other.payee?.refunded?.(tx, refund.order_id, { refundId: refund.id, paymentId: refund.payment_id, amount: refund.amount });
    } else if (refund.kind !== 'not_payable') {
      // Money an order never counted as paid (it arrived after the order was cancelled) is not the order's refund.
      await deps.orders.recordRefund(tx, refund.order_id, { amount: refund.amount, refundId: refund.id, reason: refund.reason, actor: refund.actor });
    }
    await deps.ctx.events.emit(
      tx,
      EVENT_PAYMENT_REFUNDED,
      {
        refundId: refund.id,
        paymentId: refund.payment_id,
        orderId: refund.order_id,
        amount: refund.amount,
        currency: refund.currency,
        kind: refund.kind,
        reason: refund.reason,
        ...(other ? { purpose: other.purpose } : {}),
      },
      { key: refund.order_id },
    );
  });
}

/**
 * Steps 2 and 3 for a refund this process has claimed. A provider that refuses (a 4xx problem) fails the
 * refund for good; any other error leaves it pending for the sweeper, until MAX_SEND_ATTEMPTS.
 */
async function sendClaimed(deps: PaymentsDeps, pdb: PlatformDb, refund: RefundRow): Promise<void> {
  const payment = await pdb.maybeOne<{ provider: string; provider_ref: string | null }>(
    'select provider, provider_ref from payments where platform_id = $1 and id = $2',
    [refund.payment_id],
  );
  const provider = payment ? deps.provider(payment.provider) : undefined;
  if (!payment?.provider_ref || !provider) {
    await settleFailed(deps, pdb, refund, `payment provider ${payment?.provider ?? '?'} is not available`);
    return;
  }
  let refundRef: string;
  try {
    ({ refundRef } = await provider.refund({ platformId: pdb.platformId, providerRef: payment.provider_ref, amount: refund.amount, idempotencyKey: refund.id }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if ((error instanceof HttpProblem && error.status < 500) || refund.attempts + 1 >= MAX_SEND_ATTEMPTS) {
      await settleFailed(deps, pdb, refund, message);
      return;
    }
    // Try again later: count the attempt and let the claim run out on its own.
    await pdb.execute('update payment_refunds set attempts = attempts + 1, failure_reason = $3 where platform_id = $1 and id = $2 and status = \'pending\'', [
      refund.id,
      message.slice(0, 500),
    ]);
    deps.ctx.log.warn({ err: error, refundId: refund.id }, 'refund send failed; will retry');
    return;
  }
  await settleSucceeded(deps, pdb, refund, refundRef);
}

/** Sends the given pending refunds (or every one whose claim ran out), each once, outside any transaction. */
export async function sendPendingRefunds(deps: PaymentsDeps, platformId: string, refundIds?: readonly string[]): Promise<void> {
  const pdb = deps.ctx.platformDb(platformId);
  const ids =
    refundIds ??
    (
      await pdb.query<{ id: string }>(
        `select id from payment_refunds where platform_id = $1 and status = 'pending' and (locked_until is null or locked_until < now()) order by id limit 100`,
      )
    ).map((r) => r.id);
  for (const id of ids) {
    const claimed = await claimRefund(pdb, id);
    if (claimed) await sendClaimed(deps, pdb, claimed);
  }
}

/**
 * An admin refund of an order's captured money — a free amount, or units of lines (and the shipping) at
 * what the customer paid for them — reserved against the order's succeeded payment with the most left,
 * sent to the provider at once, settled, and returned. 404 order_not_found, 409 refund_exceeds_captured,
 * for lines also 422 unknown_order_line, 409 refund_exceeds_line, 422 nothing_to_refund (nothing changes
 * on any of them), 502 refund_failed when the provider refuses (the units are then refundable again).
 */
export async function refundOrder(deps: PaymentsDeps, platformId: string, orderId: string, input: RefundRequest & { actor: string }): Promise<Refund> {
  const pdb = deps.ctx.platformDb(platformId);
  const order = await deps.orders.getPayableOrder(pdb, orderId);
  if (!order) throw noOrderOnPlatform(orderId);
  const { refundId, items } = await pdb.transaction(async (tx) => {
    // Every succeeded payment of the order, locked in id order (as a cancellation locks them): concurrent
    // refunds of one order take turns here, so each counts the units and money the others took.
    const payments = await tx.query<{ id: string; left: number | string }>(
      `select id, captured_amount - refunded_amount as left from payments
       where platform_id = $1 and order_id = $2 and status = 'succeeded' order by id for update`,
      [orderId],
    );
    const payment = payments.reduce<(typeof payments)[number] | undefined>((best, p) => (best === undefined || Number(p.left) > Number(best.left) ? p : best), undefined);
    if (!payment) throw noCapturedPayment(order.number);
    const plan = input.kind === 'lines' ? await planLineRefund(deps.orders, tx, orderId, input) : undefined;
    const amount = plan ? plan.amount : input.kind === 'amount' ? input.amount : 0;
    const reason = input.reason ?? plan?.description ?? 'refund';
    const id = await reserveRefund(tx, { paymentId: payment.id, amount, reason, kind: 'admin', actor: input.actor, claim: true });
    if (plan) await recordRefundLines(tx, id, orderId, plan.items);
    return { refundId: id, items: plan?.items };
  });
  const refund = { ...(await sendReservedNow(deps, pdb, refundId)), ...(items ? { lines: items } : {}) };
  if (refund.status === 'failed') {
    throw refundRefused(refund.failureReason, refund);
  }
  return refund;
}

/** Steps 2 and 3 at once for a refund the caller reserved with the claim; the refund as it ended. */
async function sendReservedNow(deps: PaymentsDeps, pdb: PlatformDb, refundId: string): Promise<Refund> {
  const claimed = await pdb.maybeOne<RefundRow>(`select ${REFUND_COLUMNS} from payment_refunds where platform_id = $1 and id = $2`, [refundId]);
  await sendClaimed(deps, pdb, claimed!);
  return (await getRefund(pdb, refundId))!;
}

/**
 * An admin refund of a payment made for another module's payee (a coin top-up). `undo` runs first in the
 * refund's transaction: the payee takes back what the money bought, or throws to refuse (then nothing
 * changes). The amount is then reserved, sent at once and settled; the payee's refunded hook records
 * success, its refundFailed hook puts back what undo took. 409 refund_exceeds_captured, 502 refund_failed.
 */
export async function refundPayeePayment(
  deps: PaymentsDeps,
  platformId: string,
  input: { paymentId: string; amount: number; reason: string; actor: string },
  undo: (tx: PlatformDb) => Promise<void>,
): Promise<Refund> {
  const pdb = deps.ctx.platformDb(platformId);
  const refundId = await pdb.transaction(async (tx) => {
    await undo(tx);
    return reserveRefund(tx, { ...input, kind: 'admin', claim: true });
  });
  const refund = await sendReservedNow(deps, pdb, refundId);
  if (refund.status === 'failed') throw refundRefused(refund.failureReason, refund);
  return refund;
}

/**
 * The order was cancelled: whatever its succeeded payments still hold is reserved for refund, in the
 * caller's transaction. Returns the refund ids to send after commit (none when nothing is left).
 */
export async function reserveOrderRemainder(tx: PlatformDb, orderId: string, reason: string): Promise<string[]> {
  const payments = await tx.query<{ id: string; left: number }>(
    `select id, captured_amount - refunded_amount as left from payments
     where platform_id = $1 and order_id = $2 and status = 'succeeded' and captured_amount > refunded_amount
     order by id for update`,
    [orderId],
  );
  const ids: string[] = [];
  for (const payment of payments) {
    ids.push(await reserveRefund(tx, { paymentId: payment.id, amount: payment.left, reason, kind: 'order_cancelled', actor: 'system', claim: false }));
  }
  return ids;
}
