// TypeBox schemas of the payments HTTP surface.
import { Type, type Static } from 'typebox';
import { MoneyAmount } from '../../kernel/money.ts';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const PaymentStatus = Type.Union([Type.Literal('requires_action'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]);
export type PaymentStatus = Static<typeof PaymentStatus>;
export const RefundStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);
export type RefundStatus = Static<typeof RefundStatus>;
export const RefundKind = Type.Union([Type.Literal('admin'), Type.Literal('order_cancelled'), Type.Literal('not_payable')]);
export type RefundKind = Static<typeof RefundKind>;

export const OrderParams = Type.Object({ orderId: Uuid });
export const PaymentParams = Type.Object({ paymentId: Uuid });
export const AdminOrderParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }), orderId: Uuid });
export const HostedPageParams = Type.Object({ platformId: Uuid, paymentId: Uuid });

export const StartPaymentInput = Type.Object(
  {
    provider: Type.Literal('sandbox', { description: 'The payment provider; "sandbox" is built in' }),
    returnUrl: Type.Optional(
      Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://[^\\s]+$', description: 'Where the hosted page sends the shopper after paying (http or https)' }),
    ),
    paymentMethod: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'The payment method the shopper chose, when the provider takes one up front (a token from its client library; the sandbox takes a test card number such as "4242 4242 4242 4242"). The provider fingerprints the card, and the risk engine links the accounts paying with one card.',
      }),
    ),
  },
  { title: 'StartPaymentInput', additionalProperties: false },
);
export type StartPaymentInput = Static<typeof StartPaymentInput>;

export const StartedPayment = Type.Object({
  paymentId: Uuid,
  redirectUrl: Type.String({ description: "The provider's page where the shopper pays" }),
  amount: Type.Integer(),
  currency: Type.String(),
  status: PaymentStatus,
}, { title: 'StartedPayment' });
export type StartedPayment = Static<typeof StartedPayment>;

export const Refund = Type.Object({
  id: Uuid,
  paymentId: Uuid,
  orderId: Uuid,
  amount: Type.Integer(),
  currency: Type.String(),
  reason: Type.String(),
  kind: RefundKind,
  status: RefundStatus,
  providerRefundRef: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  lines: Type.Optional(
    Type.Array(
      Type.Object({
        lineId: Nullable(Type.String({ description: 'The order line; null for the shipping' })),
        quantity: Type.Integer(),
        amount: Type.Integer({ description: 'What these units returned' }),
      }),
      { description: 'For a refund by line: what each line (and the shipping) returned' },
    ),
  ),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Refund' });
export type Refund = Static<typeof Refund>;

export const Payment = Type.Object({
  id: Uuid,
  orderId: Uuid,
  provider: Type.String(),
  status: PaymentStatus,
  amount: Type.Integer(),
  currency: Type.String(),
  capturedAmount: Type.Integer(),
  refundedAmount: Type.Integer({ description: 'Refunds succeeded or still pending with the provider' }),
  redirectUrl: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Payment' });
export type Payment = Static<typeof Payment>;

export const AdminPayment = Type.Intersect([
  Payment,
  Type.Object({
    providerRef: Nullable(Type.String()),
    refunds: Type.Array(Refund),
    events: Type.Array(Type.Object({ eventId: Type.String(), type: Type.String(), outcome: Type.String(), detail: Nullable(Type.String()), receivedAt: Type.String() })),
  }),
]);
export type AdminPayment = Static<typeof AdminPayment>;
export const AdminPaymentList = Type.Object({ items: Type.Array(AdminPayment) });

export const RefundInput = Type.Object(
  {
    amount: Type.Optional(MoneyAmount({ minimum: 1, description: 'A free amount in minor units; at most what was captured and not yet refunded. Not with lines' })),
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            lineId: Uuid,
            quantity: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Units of the line to refund, at most those not yet refunded' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100, description: "Units to refund at what the customer paid for them (the line's share of discount and tax)" },
      ),
    ),
    shipping: Type.Optional(Type.Boolean({ description: 'With lines (or alone): also refund what was paid for shipping, once per order' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Required with amount; a refund by line is described by its units when left out' })),
  },
  { title: 'RefundInput', additionalProperties: false },
);
export type RefundInput = Static<typeof RefundInput>;

export const WebhookResult = Type.Object({
  received: Type.Boolean(),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('ignored'), Type.Literal('duplicate')]),
  paymentId: Uuid,
  status: PaymentStatus,
});
export type WebhookResult = Static<typeof WebhookResult>;
