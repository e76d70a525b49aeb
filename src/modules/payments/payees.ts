// The seam between a payment and what it pays for. An order is the usual payee (the orders module); a
// module that sells something else for money (the live module's coin top-ups) registers a payee under a
// purpose name and starts payments with that purpose. The payee's effects (paid, failed, refunds) run
// inside the payment's transaction, under the payment row's lock, exactly like orders.markPaid: a
// capture and its effect (order paid, coins credited) commit together or not at all, and a redelivered
// webhook finds the payment already succeeded and calls nothing. Only `payable` is a plain read.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import type { OrdersService } from '../orders/service.ts';

export const ORDER_PURPOSE = 'order';

export interface Payable {
  /** How the shopper knows it (an order's number), for problem messages. */
  label: string;
  /** Its state as its module names it ("pending_payment", "paid"…). */
  state: string;
  /** Whether it may be paid now. */
  open: boolean;
  /** Minor units still due. */
  due: number;
  currency: string;
  /** Who pays and their mailbox, when known: facts for the risk gate's `payment` point. */
  accountId?: string;
  email?: string;
}

export interface PaymentPayee {
  /**
   * The thing by id on the caller's platform, or undefined when there is none. A plain read (no lock):
   * starting a payment calls it outside any transaction.
   */
  payable(db: PlatformDb, id: string): Promise<Payable | undefined>;
  /** The money is in (the caller's transaction). not_payable: the caller refunds it. */
  paid(tx: PlatformDb, id: string, input: { amount: number; currency: string; paymentId: string; provider: string }): Promise<'paid' | 'already_paid' | 'not_payable'>;
  /** The payment failed or was declined. */
  failed(tx: PlatformDb, id: string, input: { paymentId: string; reason: string }): Promise<void>;
  /** An admin refund of this payee's payment reached the provider (the caller's transaction). */
  refunded?(tx: PlatformDb, id: string, input: RefundSettled): Promise<void>;
  /**
   * An admin refund of this payee's payment was refused by the provider or gave up: whatever the payee
   * undid when the refund was reserved (coins taken back, say) is to be put back (the caller's transaction).
   */
  refundFailed?(tx: PlatformDb, id: string, input: RefundSettled & { reason: string }): Promise<void>;
}

export interface RefundSettled {
  refundId: string;
  paymentId: string;
  amount: number;
}

/** Payee kinds this build knows (code, like the provider kinds): stateless, they act only on the tx given. */
const payees = new Map<string, PaymentPayee>();

/** Makes a purpose payable (call at import time of the module that owns it). */
export function registerPaymentPayee(purpose: string, payee: PaymentPayee): void {
  if (!/^[a-z][a-z0-9_]{0,49}$/.test(purpose) || purpose === ORDER_PURPOSE) throw new Error(`payment purpose "${purpose}" must be lower-case letters, digits and _ (and not "order")`);
  payees.set(purpose, payee);
}

/** The orders module as a payee. */
function orderPayee(orders: OrdersService): PaymentPayee {
  return {
    async payable(db, id) {
      const order = await orders.getPayableOrder(db, id);
      if (!order) return undefined;
      return {
        label: order.number,
        state: order.status,
        open: order.status === 'pending_payment',
        due: order.total - order.paidAmount,
        currency: order.currency,
        ...(order.customerId ? { accountId: order.customerId } : {}),
        ...(order.email ? { email: order.email } : {}),
      };
    },
    async paid(tx, id, input) {
      return (await orders.markPaid(tx, id, input)).outcome;
    },
    async failed(tx, id, input) {
      await orders.paymentFailed(tx, id, input);
    },
  };
}

/** The payee of a purpose; undefined for a purpose nobody registered (its module is not in this build). */
export function payeeOf(orders: OrdersService, purpose: string): PaymentPayee | undefined {
  return purpose === ORDER_PURPOSE ? orderPayee(orders) : payees.get(purpose);
}
