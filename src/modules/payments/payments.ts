// Starting a payment for an order and applying what the provider reports about it.
//
// Starting: one open (requires_action) payment per order, inserted by one statement (in a short
// transaction when the risk gate screens it or an open payment is found); the provider's intent is
// created after it (a network call), then recorded. A double click or a retry finds the same payment,
// and providers make createIntent idempotent per payment id, so the shopper never gets two intents for
// one order.
//
// Provider events: under the payment's row lock, an event id seen before is a no-op (redelivery), and
// the status only moves forward from requires_action, so replays and late or out-of-order events change
// nothing once the outcome is known. A success marks the order paid in the same transaction; money that
// arrives for an order that can no longer be paid is refunded automatically.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { CommitWrite } from '../../kernel/db/types.ts';
import { newId } from '../../kernel/ids.ts';
import type { PaymentsDeps } from './deps.ts';
import type { GatedPlatform, RiskGateRequest } from '../../kernel/risk-gate.ts';
import { ORDER_PURPOSE, payeeOf, type Payable, type PaymentPayee } from './payees.ts';
import { EVENT_PAYMENT_FAILED, EVENT_PAYMENT_SUCCEEDED } from './events.ts';
import type { PaymentInstrument, ProviderEvent } from './provider.ts';
import { PAYMENT_COLUMNS, readPaymentRow, type PaymentRow } from './records.ts';
import { reserveRefund } from './refunds.ts';
import type { PaymentStatus, StartedPayment } from './schemas.ts';
import { eventAmountMismatch, noOrderOnPlatform, noPaymentForIntent, nothingToPay, orderNotPayable, paymentMethodNotTaken, providerError, providerNotAvailable } from './problems.ts';

export interface StartPaymentResult {
  payment: StartedPayment;
  /** False when an open payment of the order was returned instead of a new one. */
  created: boolean;
}

const started = (row: PaymentRow): StartedPayment => ({
  paymentId: row.id,
  redirectUrl: row.redirect_url ?? '',
  amount: row.amount,
  currency: row.currency,
  status: row.status,
});

/** The platform when the risk gate screens its payments, else undefined (nothing to screen). */
function screening(deps: PaymentsDeps, platformId: string): GatedPlatform | undefined {
  const platform = deps.ctx.platforms.byId(platformId);
  return platform && deps.ctx.riskGate.active(platform) ? platform : undefined;
}

/**
 * A payment has no order to hold, so a review verdict is asked as a challenge (gate.ts). The card's
 * fingerprint, when the shopper gave a payment method, links the accounts that pay with one card.
 */
async function screenPayment(deps: PaymentsDeps, platform: GatedPlatform, tx: PlatformDb, client: RiskGateRequest, id: string, order: Payable, due: number, instrument: PaymentInstrument | undefined): Promise<void> {
  await deps.ctx.riskGate.screen(
    platform,
    'payment',
    client,
    {
      orderId: id,
      amount: due,
      currency: order.currency,
      ...(order.accountId ? { accountId: order.accountId } : {}),
      ...(order.email ? { email: order.email } : {}),
      ...(instrument ? { instrumentFingerprint: instrument.fingerprint } : {}),
    },
    { db: tx },
  );
}

/**
 * Opens (or finds) the payment of a pending_payment order and its provider intent. The caller has checked
 * that the requester may act on the order. 404 order_not_found, 409 order_not_payable / nothing_to_pay,
 * 400 payment_method_invalid, 502 provider_error when the provider could not create the intent.
 */
export async function startPayment(
  deps: PaymentsDeps,
  platformId: string,
  orderId: string,
  input: { provider: string; returnUrl?: string; paymentMethod?: string },
  options: {
    /** The request as the risk gate reads it; a new payment attempt is screened at the `payment` point. */
    client?: RiskGateRequest;
    /** What is paid for: an order (the default) or another module's payee (payees.ts). */
    purpose?: string;
    /** Where the payee reads what is due, outside any transaction (the platform's database by default). */
    reads?: PlatformDb;
  } = {},
): Promise<StartPaymentResult> {
  const provider = deps.provider(input.provider);
  if (!provider) throw providerNotAvailable(input.provider);
  const purpose = options.purpose ?? ORDER_PURPOSE;
  const payee = payeeOf(deps.orders, purpose);
  if (!payee) throw new Error(`no payee is registered for payment purpose "${purpose}"`);
  const pdb = deps.ctx.platformDb(platformId);
  // Asked of the provider before the transaction (it may be a network call); a bad one is a 400.
  let instrument: PaymentInstrument | undefined;
  if (input.paymentMethod !== undefined) {
    if (!provider.instrumentOf) throw paymentMethodNotTaken(provider.name);
    instrument = await provider.instrumentOf({ platformId, paymentMethod: input.paymentMethod });
  }

  // What is due is a plain read (no lock): read before the transaction it is as good as read first
  // thing inside it. `reads` may answer it from the caller's access check (repeated-read.ts).
  // orderId names what is paid for: an order, or (another purpose) the payee's own id.
  // After a provider call (instrumentOf) the caller's earlier read may be stale: read again.
  const order = await payee.payable(instrument === undefined ? (options.reads ?? pdb) : pdb, orderId);
  if (!order) throw noOrderOnPlatform(orderId);
  if (!order.open) {
    throw orderNotPayable(order.label, order.state);
  }
  const due = order.due;
  if (due <= 0) throw nothingToPay(order.label);
  const newPayment = (db: PlatformDb) =>
    db.maybeOne<PaymentRow>(
      `insert into payments (platform_id, id, order_id, provider, amount, currency, return_url, purpose)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (platform_id, order_id) where status = 'requires_action' do nothing
       returning ${PAYMENT_COLUMNS}`,
      [newId(), orderId, input.provider, due, order.currency, input.returnUrl ?? null, purpose],
    );
  const gate = options.client ? screening(deps, platformId) : undefined;
  // The usual start finds no open payment: the insert itself is the look (an open one takes the order's
  // only requires_action slot). Unscreened, it needs no transaction: one statement, no commit to wait for.
  const unscreened = gate ? undefined : await newPayment(pdb);
  const { row, created } = unscreened
    ? { row: unscreened, created: true }
    : await pdb.transaction(async (tx) => {
        // Before any provider is called: a deny or an unsolved challenge (403) opens no payment (a payment
        // inserted before the screen goes with the transaction's rollback).
        const screen = () => (gate && options.client ? screenPayment(deps, gate, tx, options.client, orderId, order, due, instrument) : undefined);
        const first = gate ? await newPayment(tx) : undefined;
        if (first) {
          await screen();
          return { row: first, created: true };
        }
        const open = await openPayment(tx, orderId);
        if (open && open.provider === input.provider && open.amount === due && open.currency === order.currency && open.purpose === purpose) return { row: open, created: false };
        await screen();
        if (open) {
          // The order's total or the chosen provider changed under an open attempt: close it before the new one.
          await tx.execute(
            `update payments set status = 'cancelled', failure_reason = 'superseded', updated_at = now() where platform_id = $1 and id = $2 and status = 'requires_action'`,
            [open.id],
          );
        }
        const inserted = await newPayment(tx);
        // Lost a race with a concurrent start for the same order: use the winner's payment.
        return inserted ? { row: inserted, created: true } : { row: (await openPayment(tx, orderId))!, created: false };
      });
  if (row.provider_ref && row.redirect_url) return { payment: started(row), created };

  // An open payment is only reused for the same provider, so `provider` is the payment's own.
  let intent: { providerRef: string; redirectUrl: string };
  try {
    intent = await provider.createIntent({
      platformId,
      paymentId: row.id,
      orderId,
      amount: row.amount,
      currency: row.currency,
      ...(row.return_url ? { returnUrl: row.return_url } : {}),
    });
  } catch (error) {
    deps.ctx.log.warn({ err: error, paymentId: row.id }, 'payment provider could not create an intent');
    await pdb.execute(
      `update payments set status = 'cancelled', failure_reason = 'provider_error', updated_at = now() where platform_id = $1 and id = $2 and status = 'requires_action' and provider_ref is null`,
      [row.id],
    );
    throw providerError(row.provider);
  }
  const updated = await pdb.maybeOne<PaymentRow>(
    `update payments set provider_ref = $3, redirect_url = $4, updated_at = now()
     where platform_id = $1 and id = $2 and (provider_ref is null or provider_ref = $3)
     returning ${PAYMENT_COLUMNS}`,
    [row.id, intent.providerRef, intent.redirectUrl],
  );
  return { payment: started(updated ?? (await readPaymentRow(pdb, row.id))!), created };
}

/** Payment events name the purpose when the payment is not for an order (orderId is then the payee's id). */
const purposeOf = (payment: PaymentRow) => (payment.purpose === ORDER_PURPOSE ? {} : { purpose: payment.purpose });

function openPayment(tx: PlatformDb, orderId: string): Promise<PaymentRow | undefined> {
  return tx.maybeOne<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where platform_id = $1 and order_id = $2 and status = 'requires_action'`, [orderId]);
}

export interface EventOutcome {
  outcome: 'applied' | 'ignored' | 'duplicate';
  paymentId: string;
  status: PaymentStatus;
  /** Refunds reserved by this event (money for an order that could not take it), to send after commit. */
  refundIds: string[];
}

/** A provider event as recorded in payment_events. */
interface PaymentEventRow {
  platformId: string;
  provider: string;
  eventId: string;
  paymentId: string;
  type: string;
  outcome: 'applied' | 'ignored';
  detail: string | null;
}

const EVENT_COLUMNS = 'platform_id, provider, event_id, payment_id, type, outcome, detail';

/** Applied events, held until their transaction commits (Queryable.atCommit); a read of the table sees them. */
const PAYMENT_EVENTS: CommitWrite<PaymentEventRow> = {
  statement: (rows) => ({
    text: `insert into payment_events (${EVENT_COLUMNS})
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[])`,
    params: [
      rows.map((r) => r.platformId),
      rows.map((r) => r.provider),
      rows.map((r) => r.eventId),
      rows.map((r) => r.paymentId),
      rows.map((r) => r.type),
      rows.map((r) => r.outcome),
      rows.map((r) => r.detail),
    ],
  }),
  readBy: /\bpayment_events\b/i,
};

/** Records an event now; false when `onConflict` skipped it (a delivery of it is already recorded). */
async function recordEvent(tx: PlatformDb, row: PaymentEventRow, onConflict: string): Promise<boolean> {
  const { rowCount } = await tx.execute(
    `insert into payment_events (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7) ${onConflict}`,
    [row.provider, row.eventId, row.paymentId, row.type, row.outcome, row.detail],
  );
  return rowCount > 0;
}

const duplicate = (payment: PaymentRow): EventOutcome => ({ outcome: 'duplicate', paymentId: payment.id, status: payment.status, refundIds: [] });

/**
 * Applies one verified provider event to the payment it names, in one transaction with the order's
 * change. 404 payment_not_found (unknown intent on this platform), 422 amount_mismatch (the event's
 * amount or currency is not the payment's); both leave everything unchanged.
 */
export async function applyProviderEvent(deps: PaymentsDeps, platformId: string, providerName: string, event: ProviderEvent): Promise<EventOutcome> {
  const pdb = deps.ctx.platformDb(platformId);
  const result = await pdb.transaction(async (tx): Promise<EventOutcome> => {
    // The row lock serialises every event of one payment, so the forward-only status change below sees
    // the previous event's committed effects. The duplicate check rides in the same statement. On
    // PostgreSQL its subquery reads with the snapshot taken before the lock wait, so a delivery of the
    // same event that committed during the wait is not seen here; the payment row itself is read at its
    // latest version, though, and such a delivery either moved the status away from requires_action
    // (applied) or found it already away or the type unknown (ignored). Either way this one takes the
    // ignored path, which records the event with on conflict do nothing and answers duplicate when that
    // wrote nothing. So only an event seen for the first time can be applied.
    const found = await tx.maybeOne<PaymentRow & { seen: boolean }>(
      `select ${PAYMENT_COLUMNS},
         exists (select 1 from payment_events e where e.platform_id = $1 and e.provider = $2 and e.event_id = $4) as seen
       from payments where platform_id = $1 and provider = $2 and provider_ref = $3 for update`,
      [providerName, event.providerRef, event.id],
    );
    if (!found) throw noPaymentForIntent(providerName, event.providerRef);
    const { seen, ...payment } = found;
    if (seen) return duplicate(payment);
    if (event.amount !== payment.amount || event.currency !== payment.currency) {
      throw eventAmountMismatch(event, payment);
    }

    let outcome: 'applied' | 'ignored' = 'ignored';
    let detail: string | null = `payment was already ${payment.status}`;
    let status = payment.status;
    const refundIds: string[] = [];
    const payee = payeeOf(deps.orders, payment.purpose);
    if (!payee) throw new Error(`payment ${payment.id} is for purpose "${payment.purpose}", which no module of this build pays`);
    if (payment.status === 'requires_action' && event.type === 'payment.succeeded') {
      outcome = 'applied';
      status = 'succeeded';
      detail = await settleOrder(payee, tx, payment, refundIds);
      await deps.ctx.events.emit(
        tx,
        EVENT_PAYMENT_SUCCEEDED,
        { paymentId: payment.id, orderId: payment.order_id, provider: providerName, amount: payment.amount, currency: payment.currency, ...purposeOf(payment) },
        { key: payment.order_id },
      );
    } else if (payment.status === 'requires_action' && event.type === 'payment.failed') {
      const reason = event.reason ?? 'failed';
      await tx.execute(
        `update payments set status = 'failed', failure_reason = $3, updated_at = now() where platform_id = $1 and id = $2`,
        [payment.id, reason],
      );
      outcome = 'applied';
      status = 'failed';
      detail = reason;
      await payee.failed(tx, payment.order_id, { paymentId: payment.id, reason });
      await deps.ctx.events.emit(
        tx,
        EVENT_PAYMENT_FAILED,
        { paymentId: payment.id, orderId: payment.order_id, provider: providerName, reason, ...purposeOf(payment) },
        { key: payment.order_id },
      );
    }
    const row: PaymentEventRow = { platformId, provider: providerName, eventId: event.id, paymentId: payment.id, type: event.type, outcome, detail };
    if (outcome === 'applied') {
      // No delivery of this event has committed (see above): the row is held and goes out with the
      // commit. Should it conflict all the same, the commit fails and nothing of this event is kept.
      if (tx.atCommit) tx.atCommit(PAYMENT_EVENTS, row);
      else await recordEvent(tx, row, '');
    } else if (!(await recordEvent(tx, row, 'on conflict (platform_id, provider, event_id) do nothing'))) {
      // A delivery of the same event committed while this one waited for the row lock.
      return duplicate(payment);
    }
    return { outcome, paymentId: payment.id, status, refundIds };
  });
  if (result.refundIds.length > 0) deps.kickRefunds(platformId, result.refundIds);
  return result;
}

/**
 * The money is in: the payment succeeds and the order is marked paid. If another payment of the order
 * already succeeded (a second charge) or the order was cancelled meanwhile, the money goes back: a refund
 * is reserved here and sent after commit. Returns the detail recorded with the event.
 */
async function settleOrder(payee: PaymentPayee, tx: PlatformDb, payment: PaymentRow, refundIds: string[]): Promise<string | null> {
  // One round trip: the update runs as a CTE, and the look for another succeeded payment of the order
  // skips this one, so it reads the same whether or not it sees the update.
  const other = await tx.maybeOne<{ id: string }>(
    `with succeeded as (
       update payments set status = 'succeeded', captured_amount = amount, updated_at = now() where platform_id = $1 and id = $3)
     select id from payments where platform_id = $1 and order_id = $2 and status = 'succeeded' and id <> $3 limit 1`,
    [payment.order_id, payment.id],
  );
  const outcome = other
    ? 'duplicate_payment'
    : await payee.paid(tx, payment.order_id, { amount: payment.amount, currency: payment.currency, paymentId: payment.id, provider: payment.provider });
  if (outcome === 'paid' || outcome === 'already_paid') return `order ${outcome}`;
  const reason = outcome === 'duplicate_payment' ? `order already paid by payment ${other!.id}` : 'order was cancelled before the payment arrived';
  refundIds.push(await reserveRefund(tx, { paymentId: payment.id, amount: payment.amount, reason, kind: 'not_payable', actor: 'system', claim: false }));
  return `${outcome}: refunded`;
}
