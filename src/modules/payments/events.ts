// The payments module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_PAYMENT_SUCCEEDED = 'payment.succeeded';
export const EVENT_PAYMENT_FAILED = 'payment.failed';
export const EVENT_PAYMENT_REFUNDED = 'payment.refunded';
export const EVENT_REFUND_FAILED = 'payment.refund_failed';

export interface PaymentSucceededPayload {
  paymentId: string;
  orderId: string;
  provider: string;
  amount: number;
  currency: string;
  /** Set when the payment is not for an order: the payee's purpose (orderId is then the payee's id). */
  purpose?: string;
}

export interface PaymentFailedPayload {
  paymentId: string;
  orderId: string;
  provider: string;
  reason: string;
  purpose?: string;
}

export interface PaymentRefundedPayload {
  refundId: string;
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  /** The refund's kind (e.g. 'not_payable': money that arrived after the order was cancelled). */
  kind: string;
  reason: string;
  /** Set when the payment is not for an order: the payee's purpose (orderId is then the payee's id). */
  purpose?: string;
}

export interface RefundFailedPayload {
  refundId: string;
  paymentId: string;
  orderId: string;
  amount: number;
  reason: string;
}

export interface PaymentsEvents {
  [EVENT_PAYMENT_SUCCEEDED]: PaymentSucceededPayload;
  [EVENT_PAYMENT_FAILED]: PaymentFailedPayload;
  [EVENT_PAYMENT_REFUNDED]: PaymentRefundedPayload;
  [EVENT_REFUND_FAILED]: RefundFailedPayload;
}
