// The orders module's events: their names and payloads, in one place. Emitters and subscribers (here and
// in other modules) import from this file, so a payload is declared once and checked by the compiler.

export const EVENT_CREATED = 'order.created';
export const EVENT_PAID = 'order.paid';
export const EVENT_CANCELLED = 'order.cancelled';
export const EVENT_FULFILLED = 'order.fulfilled';
export const EVENT_DELIVERED = 'order.delivered';
export const EVENT_COMPLETED = 'order.completed';
export const EVENT_REFUNDED = 'order.refunded';
/** Held for review by the risk engine (created on_hold); approved or rejected by a person. */
export const EVENT_HELD = 'order.held';
export const EVENT_APPROVED = 'order.approved';
export const EVENT_REJECTED = 'order.rejected';
/** The durable timer's event: the order's payment window has closed. */
export const EVENT_PAYMENT_TIMEOUT = 'order.payment_timeout';

export interface OrderLineSummary {
  variantId: string;
  quantity: number;
  unitPrice: number;
}

/** Where an order not made from a cart came from (a flash-sale ticket). */
export type OrderSource = { kind: 'flash_sale'; saleId: string; ticketId: string } & Record<string, unknown>;

export interface OrderCreatedPayload {
  orderId: string;
  customerId: string | null;
  currency: string;
  total: number;
  /** Checkout from a cart. */
  couponCode?: string | null;
  /** An order made for a flash-sale ticket. */
  source?: OrderSource;
  lines: OrderLineSummary[];
}

/** The order as it stands after a transition; every event after order.created carries it. */
export interface OrderStatePayload {
  orderId: string;
  number: string;
  customerId: string | null;
  currency: string;
  total: number;
  paidAmount: number;
  refundedAmount: number;
}

export interface OrderCancelledPayload extends OrderStatePayload {
  reason: string;
  wasPaid: boolean;
}

export interface OrderPaidPayload extends OrderStatePayload {
  paymentId: string;
  provider: string;
}

export interface OrderFulfilledPayload extends OrderStatePayload {
  carrier: string;
  trackingNumber: string;
}

export interface OrderRefundedPayload extends OrderStatePayload {
  refundId: string;
  amount: number;
  paymentStatus: string;
}

export interface OrderHeldPayload extends OrderStatePayload {
  decisionId: string;
  point: string;
  level: number;
  reason: string;
}

/** Who reviewed the held order and why (a rejected order is also cancelled: order.cancelled follows). */
export interface OrderReviewedPayload extends OrderStatePayload {
  decisionId: string | null;
  actor: string;
  note: string | null;
}

export interface OrderPaymentTimeoutPayload {
  orderId: string;
}

export interface OrdersEvents {
  [EVENT_CREATED]: OrderCreatedPayload;
  [EVENT_PAID]: OrderPaidPayload;
  [EVENT_CANCELLED]: OrderCancelledPayload;
  [EVENT_FULFILLED]: OrderFulfilledPayload;
  [EVENT_DELIVERED]: OrderStatePayload;
  [EVENT_COMPLETED]: OrderStatePayload;
  [EVENT_REFUNDED]: OrderRefundedPayload;
  [EVENT_PAYMENT_TIMEOUT]: OrderPaymentTimeoutPayload;
  [EVENT_HELD]: OrderHeldPayload;
  [EVENT_APPROVED]: OrderReviewedPayload;
  [EVENT_REJECTED]: OrderReviewedPayload;
}
