// Request and response shapes of the orders routes (TypeBox: validation, serialisation and OpenAPI).
import { Type, type Static } from 'typebox';

// Spelled out (not mapped from the state tables) so the static types stay literal unions.
export const OrderStatus = Type.Union([
  Type.Literal('on_hold'),
  Type.Literal('pending_payment'),
  Type.Literal('paid'),
  Type.Literal('fulfilled'),
  Type.Literal('delivered'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
]);
export const PaymentStatus = Type.Union([Type.Literal('unpaid'), Type.Literal('paid'), Type.Literal('partially_refunded'), Type.Literal('refunded')]);
const Money = Type.Integer({ minimum: 0, description: 'Minor units of the order currency' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const OrderLine = Type.Object({
  id: Type.String({ description: 'The line id a refund by line names' }),
  variantId: Type.String(),
  productId: Type.String(),
  sku: Type.String(),
  title: Type.String(),
  productTitle: Type.String(),
  quantity: Type.Integer(),
  unitPrice: Money,
  lineTotal: Money,
  metadata: Type.Record(Type.String(), Type.Unknown()),
}, { title: 'OrderLine' });

export const HistoryEntry = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'status, payment or refund' }),
  fromStatus: Nullable(Type.String()),
  toStatus: Nullable(Type.String()),
  actor: Type.String(),
  reason: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
  at: Type.String(),
}, { title: 'OrderHistoryEntry' });

/** Why the risk engine held the order for review (kept after the review, so the order still says why). */
export const OrderHold = Type.Object({
  decisionId: Type.String({ description: 'The stored risk decision (GET /admin/platforms/{platform}/risk/decisions/{decisionId})' }),
  point: Type.String({ description: 'The decision point that held it: checkout or flash_sale' }),
  level: Type.Integer({ minimum: 0, maximum: 4 }),
  score: Type.Number(),
  reason: Type.String({ description: 'The rules that fired, in the policy\'s own words' }),
  rules: Type.Array(Type.Object({ rule: Type.String(), score: Type.Number(), description: Type.Optional(Type.String()) })),
  heldAt: Type.String(),
}, { title: 'OrderHold' });
export type OrderHold = Static<typeof OrderHold>;

export const Order = Type.Object({
  id: Type.String(),
  number: Type.String(),
  status: OrderStatus,
  paymentStatus: PaymentStatus,
  allowedTransitions: Type.Array(Type.String(), { description: 'What the order can become next' }),
  cartId: Nullable(Type.String({ description: 'The cart checked out; null for an order placed another way (see source)' })),
  source: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'Where a cartless order came from, e.g. { kind: "flash_sale", saleId, ticketId }' })),
  liveRoomId: Nullable(Type.String({ description: 'The live room the order was bought from (checkout with liveRoomId)' })),
  customerId: Nullable(Type.String()),
  email: Nullable(Type.String()),
  currency: Type.String(),
  totals: Type.Object({ subtotal: Money, discount: Money, shipping: Money, tax: Money, total: Money, taxIncluded: Type.Boolean() }),
  paidAmount: Money,
  refundedAmount: Money,
  couponCode: Nullable(Type.String()),
  shippingMethod: Nullable(Type.Object({ id: Type.String(), name: Type.String(), amount: Money })),
  shippingAddress: Nullable(Type.Record(Type.String(), Type.Unknown())),
  reservationId: Nullable(Type.String()),
  paymentDueAt: Type.String(),
  carrier: Nullable(Type.String()),
  trackingNumber: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
  hold: Nullable(OrderHold),
  lines: Type.Array(OrderLine),
  history: Type.Optional(Type.Array(HistoryEntry)),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Order' });
export type Order = Static<typeof Order>;

/** The checkout answer: the order, plus the token a guest needs to read and pay it. */
export const CheckoutResult = Type.Intersect([Order, Type.Object({ accessToken: Type.String({ description: 'Send as X-Order-Token to read or pay this order without a customer session' }) })]);

export const CheckoutBody = Type.Object(
  {
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'The cart version the shopper confirmed; a changed cart is a 409 cart_stale' })),
    liveRoomId: Type.Optional(Type.String({ format: 'uuid', description: 'The live room the shopper bought from: the order is attributed to it (purchase notice, room numbers)' })),
  },
  { title: 'CheckoutInput', additionalProperties: false },
);
export type CheckoutBody = Static<typeof CheckoutBody>;

export const OrderList = Type.Object({ items: Type.Array(Order), nextCursor: Nullable(Type.String()) });
export type OrderList = Static<typeof OrderList>;

export const OrdersQuery = Type.Object(
  {
    status: Type.Optional(OrderStatus),
    paymentStatus: Type.Optional(PaymentStatus),
    customerId: Type.Optional(Type.String({ format: 'uuid' })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    createdFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Only orders placed at or after this instant (ISO 8601 with a zone, e.g. 2026-05-01T00:00:00+08:00)' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time', description: 'Only orders placed before this instant (exclusive); not before createdFrom' })),
    coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only orders that used this coupon code (any case)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type OrdersQuery = Static<typeof OrdersQuery>;

export const CancelBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
export const FulfilBody = Type.Object(
  {
    carrier: Type.String({ minLength: 1, maxLength: 100 }),
    trackingNumber: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export const ReviewQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const ApproveBody = Type.Object({ note: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Why it was approved, for the order history' })) }, { additionalProperties: false });
export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why it was rejected, for the order history and the cancel reason' }) }, { additionalProperties: false });
export const NoteBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
