// TypeBox schemas of the cart HTTP surface. Clients never send prices: lines carry a variant and a
// quantity, and everything with money in it is computed by the server.
import { Type, type Static } from 'typebox';
import { QUANTITY_CEILING } from './settings.ts';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Email = Type.String({ format: 'email', maxLength: 254 });

export const CartParams = Type.Object({ cartId: Uuid });
export const LineParams = Type.Object({ cartId: Uuid, lineId: Uuid });

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
export const Address = Type.Object(
  {
    firstName: Type.Optional(Text(100)),
    lastName: Type.Optional(Text(100)),
    company: Type.Optional(Text(200)),
    line1: Text(200),
    line2: Type.Optional(Text(200)),
    city: Text(100),
    region: Type.Optional(Text(100)),
    postalCode: Type.Optional(Text(20)),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. DE' }),
    phone: Type.Optional(Text(40)),
  },
  { title: 'Address', additionalProperties: false },
);
export type Address = Static<typeof Address>;

const Quantity = Type.Integer({ minimum: 1, maximum: QUANTITY_CEILING, description: "1 to the platform's maxLineQuantity (default 100)" });
export const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Unknown(), {
  maxProperties: 20,
  description: 'Free-form line data (gift note, engraving); lines of one variant merge only when it is equal',
});

export const CreateCartInput = Type.Object(
  {
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: "One of the platform's currencies (default: its default currency)" })),
    email: Type.Optional(Email),
    shippingAddress: Type.Optional(Address),
  },
  { title: 'CreateCartInput', additionalProperties: false },
);
export type CreateCartInput = Static<typeof CreateCartInput>;
export const UpdateCartInput = Type.Object(
  { email: Type.Optional(Nullable(Email)), shippingAddress: Type.Optional(Nullable(Address)) },
  { title: 'UpdateCartInput', additionalProperties: false },
);
export type UpdateCartInput = Static<typeof UpdateCartInput>;
export const AddLineInput = Type.Object({ variantId: Uuid, quantity: Quantity, metadata: Type.Optional(Metadata) }, { title: 'AddCartLineInput', additionalProperties: false });
export type AddLineInput = Static<typeof AddLineInput>;
export const UpdateLineInput = Type.Object({ quantity: Quantity }, { additionalProperties: false });
export const CouponInput = Type.Object({ code: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) }, { additionalProperties: false });
export const ShippingMethodInput = Type.Object({ methodId: Type.String({ minLength: 1, maxLength: 50 }) }, { additionalProperties: false });

export const CartLine = Type.Object({
  id: Uuid,
  variantId: Uuid,
  productId: Uuid,
  sku: Type.String(),
  title: Type.String(),
  productTitle: Type.String(),
  quantity: Type.Integer(),
  unitPrice: Type.Integer({ description: 'Captured from the catalog in the cart currency' }),
  lineTotal: Type.Integer(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  priceChanged: Type.Boolean({ description: 'The catalog price changed since it was captured; re-captured in this response' }),
}, { title: 'CartLine' });
export type CartLine = Static<typeof CartLine>;

export const CartCoupon = Type.Union([
  Type.Object({ code: Type.String(), discount: Type.Integer() }),
  Type.Object({ code: Type.String(), error: Type.Object({ code: Type.String(), detail: Type.String() }) }),
  Type.Null(),
]);
export type CartCoupon = Static<typeof CartCoupon>;

export const CartTotals = Type.Object({
  subtotal: Type.Integer(),
  discount: Type.Integer(),
  shipping: Type.Integer(),
  tax: Type.Integer(),
  total: Type.Integer(),
  taxIncluded: Type.Boolean(),
}, { title: 'CartTotals' });

export const CartStatus = Type.Union([Type.Literal('active'), Type.Literal('completed'), Type.Literal('merged')]);
export type CartStatus = Static<typeof CartStatus>;

export const Cart = Type.Object({
  id: Uuid,
  status: CartStatus,
  customerId: Nullable(Type.String()),
  email: Nullable(Type.String()),
  currency: Type.String(),
  version: Type.Integer(),
  lines: Type.Array(CartLine),
  coupon: CartCoupon,
  shippingMethod: Nullable(Type.Object({ id: Type.String(), name: Type.String(), amount: Type.Integer() })),
  shippingAddress: Nullable(Type.Record(Type.String(), Type.Unknown())),
  totals: CartTotals,
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Cart' });
export type Cart = Static<typeof Cart>;

export const ShippingOptionList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      amount: Type.Integer(),
      freeOver: Nullable(Type.Integer()),
      delivery: Type.Boolean({ description: 'True when the order is delivered, so checkout needs a complete shipping address' }),
    }),
  ),
});
