// TypeBox schemas of the live rooms' commerce API: gifts, coins, top-ups, product cards, room numbers
// and custom message types.
import { Type, type Static, type TSchema } from 'typebox';
import { RefundSchema } from '../../payments/service.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const PlatformRef = Type.String({ minLength: 1, maxLength: 200 });
const IconUrl = Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://', description: 'http(s) URL of the icon' });

export const GiftParams = Type.Object({ platform: PlatformRef, giftId: Uuid });

export const GiftInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    priceCoins: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'What one costs, in coins' }),
    iconUrl: Type.Optional(IconUrl),
    active: Type.Optional(Type.Boolean({ description: 'Default true; inactive gifts cannot be sent' })),
  },
  { title: 'LiveGiftInput', additionalProperties: false },
);
export type GiftInput = Static<typeof GiftInput>;

export const GiftPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    priceCoins: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
    iconUrl: Type.Optional(Nullable(IconUrl)),
    active: Type.Optional(Type.Boolean()),
  },
  { title: 'LiveGiftPatch', additionalProperties: false, minProperties: 1 },
);
export type GiftPatch = Static<typeof GiftPatch>;

export const Gift = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    priceCoins: Type.Integer(),
    iconUrl: Nullable(Type.String()),
    active: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { title: 'LiveGift' },
);
export type Gift = Static<typeof Gift>;
export const GiftList = Type.Object({ items: Type.Array(Gift) });

export const LedgerEntry = Type.Object(
  {
    id: Type.String(),
    delta: Type.Integer({ description: 'Coins added (top-up, a refused refund given back) or taken (gift, refunded top-up: negative)' }),
    balanceAfter: Type.Integer(),
    reason: Type.Union([Type.Literal('top_up'), Type.Literal('gift'), Type.Literal('top_up_refund'), Type.Literal('top_up_refund_failed')]),
    topUpId: Nullable(Type.String()),
    roomId: Nullable(Type.String()),
    giftId: Nullable(Type.String()),
    giftCount: Nullable(Type.Integer()),
    createdAt: Type.String(),
  },
  { title: 'LiveCoinLedgerEntry' },
);

export const CoinAccount = Type.Object(
  {
    balance: Type.Integer({ description: 'Coins held now' }),
    ledger: Type.Array(LedgerEntry, { description: 'The latest 50 changes, newest first' }),
    coinPrice: Type.Object(
      { amount: Type.Integer({ description: 'Minor units one coin costs in a new top-up (settings.live.coinPrice)' }), currency: Type.String() },
      { description: 'What a coin costs now, so a shop can show a top-up\'s price before it is made' },
    ),
  },
  { title: 'LiveCoinAccount' },
);

export const TopUpInput = Type.Object(
  {
    coins: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    provider: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,49}$', description: 'Payment provider (default sandbox)' })),
    returnUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://' })),
  },
  { title: 'LiveTopUpInput', additionalProperties: false },
);
export type TopUpInput = Static<typeof TopUpInput>;

export const TopUp = Type.Object(
  {
    id: Type.String(),
    coins: Type.Integer(),
    amount: Type.Integer({ description: 'Price in minor units of currency' }),
    currency: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('failed'), Type.Literal('refunding'), Type.Literal('refunded')], { description: 'refunding: an admin refund is on its way to the provider' }),
    paymentId: Nullable(Type.String()),
    redirectUrl: Nullable(Type.String({ description: 'Where to send the shopper to pay (while pending)' })),
    createdAt: Type.String(),
    paidAt: Nullable(Type.String()),
    refundId: Nullable(Type.String({ description: 'The latest refund asked for (payments module)' })),
    refundedAt: Nullable(Type.String()),
  },
  { title: 'LiveTopUp' },
);
export type TopUp = Static<typeof TopUp>;
export const TopUpParams = Type.Object({ topUpId: Uuid });

export const AdminTopUp = Type.Object({ ...TopUp.properties, customerId: Type.String() }, { title: 'LiveAdminTopUp' });
export type AdminTopUp = Static<typeof AdminTopUp>;
export const AdminTopUpParams = Type.Object({ platform: PlatformRef, topUpId: Uuid });
export const TopUpRefundInput = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Why (kept with the refund); default names the top-up' })) },
  { title: 'LiveTopUpRefundInput', additionalProperties: false },
);
export type TopUpRefundInput = Static<typeof TopUpRefundInput>;
export const TopUpRefunded = Type.Object({ topUp: AdminTopUp, refund: RefundSchema }, { title: 'LiveTopUpRefunded' });

export const GiftSendInput = Type.Object(
  { giftId: Uuid, count: Type.Optional(Type.Integer({ minimum: 1, maximum: 999, description: 'Default 1' })) },
  { title: 'LiveGiftSendInput', additionalProperties: false },
);
export type GiftSendInput = Static<typeof GiftSendInput>;

export const GiftSent = Type.Object(
  {
    entryId: Type.String({ description: 'The ledger entry of the debit' }),
    giftId: Type.String(),
    count: Type.Integer(),
    coins: Type.Integer({ description: 'Coins the gift cost' }),
    balance: Type.Integer({ description: 'Balance after the debit' }),
    replayed: Type.Boolean({ description: 'True when this key had sent the gift already (nothing was debited now)' }),
  },
  { title: 'LiveGiftSent' },
);
export type GiftSent = Static<typeof GiftSent>;

export const GiftIdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 200, description: 'One per gift: a retry with the same key sends and debits nothing more' }),
});
export const TopUpHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A retry with the same key returns the same top-up' })),
});

export const RoomParams = Type.Object({ platform: PlatformRef, roomId: Uuid });

export const ProductCard = Type.Object(
  {
    productId: Type.String(),
    title: Type.String(),
    imageUrl: Nullable(Type.String()),
    currency: Type.String({ description: 'The platform’s default currency' }),
    price: Nullable(Type.Integer({ description: 'The lowest variant price now, minor units' })),
    variants: Type.Array(
      Type.Object({
        id: Type.String(),
        title: Type.String(),
        price: Nullable(Type.Integer()),
        compareAtPrice: Nullable(Type.Integer()),
        available: Type.Integer({ description: 'Units that can be bought now, all locations' }),
      }),
    ),
    available: Type.Integer(),
    inStock: Type.Boolean(),
    pinnedAt: Type.String(),
  },
  { title: 'LiveProductCard' },
);
export type ProductCard = Static<typeof ProductCard>;

export const PinInput = Type.Object({ productId: Uuid }, { title: 'LivePinInput', additionalProperties: false });

export const FlashLinkInput = Type.Object({ saleId: Uuid }, { title: 'LiveFlashLinkInput', additionalProperties: false });

export const FlashCard = Type.Object(
  {
    saleId: Type.String(),
    name: Type.String(),
    phase: Type.Union([Type.Literal('upcoming'), Type.Literal('live'), Type.Literal('ended'), Type.Literal('cancelled')]),
    startsAt: Type.String(),
    endsAt: Type.String(),
    serverNow: Type.String({ description: 'The server’s clock when the card was made: count down to startsAt by the offset from it, not by the device’s clock' }),
    perCustomerLimit: Nullable(Type.Integer()),
    items: Type.Array(
      Type.Object({
        variantId: Type.String(),
        productId: Type.String(),
        title: Type.String(),
        productTitle: Type.String(),
        salePrice: Type.Integer(),
        currency: Type.String(),
        quantity: Type.Integer(),
        remaining: Type.Integer({ description: 'Approximate units left, never above the truth' }),
      }),
    ),
    remaining: Type.Integer({ description: 'Units left over every item' }),
    purchasePath: Type.String({ description: 'The flash-sales purchase a signed-in customer buys through' }),
  },
  { title: 'LiveFlashCard' },
);

export const RoomStats = Type.Object(
  {
    viewers: Type.Integer({ description: 'Concurrent viewers now, all nodes (as the answering node knows them)' }),
    peakViewers: Type.Integer(),
    messages: Type.Integer({ description: 'Chat messages posted (deleted ones included)' }),
    likes: Type.Integer(),
    gifts: Type.Object({ count: Type.Integer({ description: 'Gifts sent (a gift frame with count 3 is 3)' }), coins: Type.Integer({ description: 'Their value in coins' }) }),
    cardClicks: Type.Integer(),
    orders: Type.Integer({ description: 'Paid orders checked out from the room' }),
    revenue: Type.Array(Type.Object({ currency: Type.String(), amount: Type.Integer() }), { description: 'Their totals by currency' }),
  },
  { title: 'LiveRoomStats' },
);
export type RoomStats = Static<typeof RoomStats>;

export const MessageTypeParams = Type.Object({ platform: PlatformRef, messageType: Type.String({ pattern: '^[a-z][a-z0-9_]{0,49}$', description: 'The type name clients send as "name"' }) });
export const MessageTypeInput = Type.Object(
  { schema: Type.Record(Type.String(), Type.Unknown(), { maxProperties: 50, description: 'A JSON schema (draft 2020-12 subset Ajv compiles in strict mode) the data of this type must match' }) },
  { title: 'LiveMessageTypeInput', additionalProperties: false },
);
export const MessageType = Type.Object(
  { name: Type.String(), schema: Type.Record(Type.String(), Type.Unknown()), createdAt: Type.String(), updatedAt: Type.String() },
  { title: 'LiveMessageType' },
);
export type MessageType = Static<typeof MessageType>;
export const MessageTypeList = Type.Object({ items: Type.Array(MessageType) });
