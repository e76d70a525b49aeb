// The order state machine, in one table so the rules are read in one place. Payment state (unpaid, paid,
// partially_refunded, refunded) is tracked beside it: a refund does not move a shipped order backwards.
import { illegalTransition } from './problems.ts';

export const ORDER_STATUSES = ['on_hold', 'pending_payment', 'paid', 'fulfilled', 'delivered', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_STATUSES = ['unpaid', 'paid', 'partially_refunded', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

// on_hold: held for review by the risk engine; only a person moves it on (approve → pending_payment,
// reject → cancelled), or its review timeout cancels it. It can be neither paid nor shipped.
const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  on_hold: ['pending_payment', 'cancelled'],
  pending_payment: ['paid', 'cancelled'],
  paid: ['fulfilled', 'cancelled'],
  fulfilled: ['delivered'],
  delivered: ['completed'],
  completed: [],
  cancelled: [],
};

export function allowedTransitions(from: OrderStatus): readonly OrderStatus[] {
  return NEXT[from];
}

/** 409 naming the transitions that are allowed from here, so the caller knows what it can do instead. */
export function assertTransition(orderNumber: string, from: OrderStatus, to: OrderStatus): void {
  if (NEXT[from].includes(to)) return;
  const allowed = NEXT[from];
  throw illegalTransition(orderNumber, from, to, allowed);
}

export function paymentStatusFor(paid: number, refunded: number): PaymentStatus {
  if (paid === 0) return 'unpaid';
  if (refunded === 0) return 'paid';
  return refunded >= paid ? 'refunded' : 'partially_refunded';
}
