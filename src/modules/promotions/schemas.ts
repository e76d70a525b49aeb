// TypeBox schemas of the coupon admin API. The schema is the first line against absurd input; the rules
// that span fields (what a fixed or percentage coupon needs, the window's order, the platform's
// currencies) are checked in coupons.ts, and the table's CHECK constraints hold them once more.
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
// Inputs that may be null use a type list, as the catalog does: with coerceTypes on, a union would coerce
// null into 0 or "" in its first branch, while a type list leaves a value alone when it already fits.
const NullableInteger = (minimum: number, maximum: number, description: string) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum, maximum, description });
const NullableTimestamp = (description: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time', description: `${description}; ISO 8601 with a time zone, or null` });

const Uuid = Type.String({ format: 'uuid' });
const Limit = Type.Integer({ minimum: 1, maximum: 100, description: 'Page size (default 50)' });
const Cursor = Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' });
const IdList = (what: string) =>
  Type.Array(Uuid, { maxItems: 100, uniqueItems: true, description: `${what}; empty means the whole cart` });

export const CouponCode = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
  description: 'Letters, digits, dashes and underscores; matched case-insensitively',
});
const Kind = Type.Union([Type.Literal('fixed'), Type.Literal('percentage')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

export const PlatformParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }) });
export const CouponParams = Type.Object({ platform: Type.String(), couponId: Uuid });

/** The limits, window, scope and status: what a coupon's create and PATCH have in common. */
const mutable = {
  status: Type.Optional(Status),
  minSubtotal: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: "Minimum cart subtotal (minor units of the cart's currency)" })),
  startsAt: Type.Optional(NullableTimestamp('When the coupon starts to apply')),
  endsAt: Type.Optional(NullableTimestamp('When the coupon stops applying')),
  usageLimit: Type.Optional(NullableInteger(1, 1_000_000_000, 'Total uses; null = unlimited')),
  perCustomerLimit: Type.Optional(NullableInteger(1, 1_000_000, 'Uses per customer (or guest email); null = unlimited')),
  productIds: Type.Optional(IdList('Products the coupon applies to')),
  categoryIds: Type.Optional(IdList('Categories the coupon applies to (with the categories below them)')),
  description: Type.Optional(Type.String({ maxLength: 500 })),
};

export const CouponInput = Type.Object(
  {
    code: CouponCode,
    kind: Kind,
    amount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'fixed: minor units off' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: "fixed: one of the platform's currencies" })),
    percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'percentage: percent off the eligible lines' })),
    ...mutable,
  },
  { title: 'CouponInput', additionalProperties: false },
);
export type CouponInput = Static<typeof CouponInput>;

export const CouponPatch = Type.Object(mutable, { title: 'CouponPatch', additionalProperties: false, minProperties: 1 });
export type CouponPatch = Static<typeof CouponPatch>;

export const Coupon = Type.Object({
  id: Uuid,
  code: Type.String(),
  kind: Kind,
  amount: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  percent: Nullable(Type.Integer()),
  minSubtotal: Type.Integer(),
  startsAt: Nullable(Type.String()),
  endsAt: Nullable(Type.String()),
  usageLimit: Nullable(Type.Integer()),
  timesUsed: Type.Integer(),
  perCustomerLimit: Nullable(Type.Integer()),
  productIds: Type.Array(Type.String()),
  categoryIds: Type.Array(Type.String()),
  status: Status,
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Coupon' });
export type Coupon = Static<typeof Coupon>;
export const CouponList = Type.Object({ items: Type.Array(Coupon), nextCursor: Nullable(Type.String()) });
export type CouponList = Static<typeof CouponList>;
export const CouponsQuery = Type.Object(
  {
    status: Type.Optional(Status),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Exact code, any case' })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type CouponsQuery = Static<typeof CouponsQuery>;

export const Redemption = Type.Object({
  id: Uuid,
  couponId: Uuid,
  orderId: Type.String(),
  customerId: Nullable(Type.String({ description: 'The customer, or null for a guest' })),
  email: Nullable(Type.String({ description: "A guest's email (lower case) the use counted against" })),
  amount: Type.Integer({ description: 'The discount given (minor units)' }),
  currency: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('released')]),
  createdAt: Type.String(),
  releasedAt: Nullable(Type.String()),
}, { title: 'CouponRedemption' });
export type Redemption = Static<typeof Redemption>;
export const RedemptionList = Type.Object({ items: Type.Array(Redemption), nextCursor: Nullable(Type.String()) });
export type RedemptionList = Static<typeof RedemptionList>;
export const RedemptionsQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('released')])),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type RedemptionsQuery = Static<typeof RedemptionsQuery>;
