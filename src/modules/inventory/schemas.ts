// TypeBox schemas of the inventory HTTP surface. Limits here are the first line against absurd input;
// the service checks the same limits again for callers that are not HTTP (checkout, imports).
import { Type, type Static } from 'typebox';

/** Largest quantity one reservation line may ask for, and the most lines one reservation may have. */
export const MAX_LINE_QUANTITY = 100_000;
export const MAX_LINES = 100;
/** Stock levels are integers up to this (the on_hand CHECK constraint says the same). */
export const MAX_ON_HAND = 1_000_000_000;

const Uuid = Type.String({ format: 'uuid' });
const Reason = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Why the stock changed; kept in the ledger' });
const Reference = Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S(?:.*\\S)?$', description: 'What the change or hold is for: an order, cart or checkout id' });
const Limit = Type.Integer({ minimum: 1, maximum: 100, description: 'Page size (default 50)' });
const Cursor = Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' });

export const PlatformParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }) });
export const VariantLevelParams = Type.Object({ platform: Type.String(), variantId: Uuid });
export const ReservationParams = Type.Object({ platform: Type.String(), reservationId: Uuid });

// ---- locations ----
export const LocationInput = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', description: 'Lower-case letters, digits and dashes; "default" is reserved' }),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  },
  { title: 'StockLocationInput', additionalProperties: false },
);
export type LocationInput = Static<typeof LocationInput>;
export const Location = Type.Object({ id: Uuid, code: Type.String(), name: Type.String(), isDefault: Type.Boolean(), createdAt: Type.String() }, { title: 'StockLocation' });
export type Location = Static<typeof Location>;
export const LocationList = Type.Object({ items: Type.Array(Location) });

// ---- levels ----
export const StockLevel = Type.Object({
  variantId: Uuid,
  locationId: Uuid,
  locationCode: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer({ description: 'onHand - reserved' }),
  lowStock: Type.Boolean({ description: "available is at or below the platform's lowStockThreshold" }),
  updatedAt: Type.String(),
}, { title: 'InventoryLevel' });
export type StockLevel = Static<typeof StockLevel>;
/** What a person needs to recognise the variant a row of a stock list is about (null: the catalog no longer has it). */
const VariantNames = {
  sku: Type.Union([Type.String(), Type.Null()], { description: "The variant's SKU, from the catalog" }),
  productTitle: Type.Union([Type.String(), Type.Null()], { description: "The variant's product title, from the catalog" }),
};
export const ListedStockLevel = Type.Object({ ...StockLevel.properties, ...VariantNames }, { title: 'ListedInventoryLevel' });
export const StockLevelList = Type.Object({ items: Type.Array(ListedStockLevel), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type StockLevelList = Static<typeof StockLevelList>;
export const LevelsQuery = Type.Object(
  {
    variantId: Type.Optional(Uuid),
    locationId: Type.Optional(Uuid),
    lowStock: Type.Optional(Type.Boolean({ description: 'Only levels at or below the low-stock threshold' })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type LevelsQuery = Static<typeof LevelsQuery>;
export const VariantStock = Type.Object({
  variantId: Uuid,
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  levels: Type.Array(StockLevel),
}, { title: 'VariantStock' });
export type VariantStock = Static<typeof VariantStock>;

const LocationRef = Type.Optional(Type.String({ format: 'uuid', description: 'Stock location; the default location when omitted' }));
export const AdjustInput = Type.Object(
  {
    delta: Type.Integer({ minimum: -MAX_ON_HAND, maximum: MAX_ON_HAND, description: 'Units to add (positive) or remove (negative); not 0' }),
    reason: Reason,
    locationId: LocationRef,
    reference: Type.Optional(Reference),
  },
  { title: 'StockAdjustment', additionalProperties: false },
);
export type AdjustInput = Static<typeof AdjustInput>;
export const SetInput = Type.Object(
  {
    onHand: Type.Integer({ minimum: 0, maximum: MAX_ON_HAND, description: 'The counted quantity on hand' }),
    reason: Reason,
    locationId: LocationRef,
    reference: Type.Optional(Reference),
  },
  { title: 'StockCount', additionalProperties: false },
);
export type SetInput = Static<typeof SetInput>;

// ---- ledger ----
export const LedgerEntry = Type.Object({
  id: Uuid,
  variantId: Uuid,
  locationId: Uuid,
  kind: Type.Union([Type.Literal('adjust'), Type.Literal('set'), Type.Literal('commit')]),
  delta: Type.Integer(),
  onHandAfter: Type.Integer(),
  reservedAfter: Type.Integer(),
  reason: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
  actor: Type.String({ description: '"admin_user:<id>", "api_key:<id>" or "system"' }),
  actorLabel: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
}, { title: 'StockLedgerEntry' });
export type LedgerEntry = Static<typeof LedgerEntry>;
export const ListedLedgerEntry = Type.Object({ ...LedgerEntry.properties, ...VariantNames }, { title: 'ListedStockLedgerEntry' });
export const LedgerList = Type.Object({ items: Type.Array(ListedLedgerEntry), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type LedgerList = Static<typeof LedgerList>;
export const LedgerQuery = Type.Object(
  { variantId: Type.Optional(Uuid), locationId: Type.Optional(Uuid), limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export type LedgerQuery = Static<typeof LedgerQuery>;
export const AdjustResult = Type.Object({ level: StockLevel, entry: LedgerEntry }, { title: 'StockChangeResult' });
export type AdjustResult = Static<typeof AdjustResult>;

// ---- reservations ----
const ReservationStatus = Type.Union([Type.Literal('active'), Type.Literal('committed'), Type.Literal('released'), Type.Literal('expired')]);
export type ReservationStatus = Static<typeof ReservationStatus>;
export const ReserveLineInput = Type.Object(
  {
    variantId: Uuid,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
    locationId: LocationRef,
  },
  { title: 'ReservationLineInput', additionalProperties: false },
);
export const ReserveInput = Type.Object(
  {
    reference: Reference,
    lines: Type.Array(ReserveLineInput, { minItems: 1, maxItems: MAX_LINES }),
    holdSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: "Default: the platform's reservationHoldSeconds (15 minutes)" })),
  },
  { title: 'ReservationInput', additionalProperties: false },
);
export type ReserveInput = Static<typeof ReserveInput>;
export const ReleaseInput = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9_]*$', description: 'e.g. cancelled, payment_failed (default cancelled)' })) },
  { additionalProperties: false },
);
export const ReservationLine = Type.Object({ variantId: Uuid, locationId: Uuid, quantity: Type.Integer() }, { title: 'ReservationLine' });
export const Reservation = Type.Object({
  id: Uuid,
  reference: Type.String(),
  status: ReservationStatus,
  expiresAt: Type.String(),
  releaseReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lines: Type.Array(ReservationLine),
}, { title: 'Reservation' });
export type Reservation = Static<typeof Reservation>;
export const ReservationList = Type.Object({ items: Type.Array(Reservation), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type ReservationList = Static<typeof ReservationList>;
export const ReservationsQuery = Type.Object(
  { status: Type.Optional(ReservationStatus), reference: Type.Optional(Reference), limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export type ReservationsQuery = Static<typeof ReservationsQuery>;

// ---- storefront ----
export const AvailabilityQuery = Type.Object(
  {
    variantIds: Type.String({
      minLength: 36,
      maxLength: 3700,
      pattern: '^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36})*$',
      description: 'Comma-separated variant ids (up to 100)',
    }),
  },
  { additionalProperties: false },
);
export const Availability = Type.Object({
  items: Type.Array(Type.Object({ variantId: Uuid, available: Type.Integer(), inStock: Type.Boolean() })),
}, { title: 'Availability' });
export type Availability = Static<typeof Availability>;
