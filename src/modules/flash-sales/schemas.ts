// Request and response schemas of the flash-sale routes (TypeBox: validation, serialisation, OpenAPI).
import { Type, type Static } from 'typebox';
import { MAX_ITEMS, MAX_PAYMENT_TIMEOUT_SECONDS, MAX_PURCHASE_QUANTITY } from './settings.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

export const PlatformParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 100 }) });
export const AdminSaleParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 100 }), saleId: Uuid });
export const SaleParams = Type.Object({ saleId: Uuid });
export const TicketParams = Type.Object({ ticketId: Uuid });

export const ScheduleInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    startsAt: DateTime,
    endsAt: DateTime,
    perCustomerLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PURCHASE_QUANTITY, description: 'Units one customer may hold in the sale (all variants); no limit when absent' })),
    minAccountAgeHours: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 365 * 10, description: 'Customers whose account is younger cannot buy' })),
    paymentTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAYMENT_TIMEOUT_SECONDS, description: 'An unpaid sale order is cancelled after this and its units go back to the sale' })),
    items: Type.Array(
      Type.Object(
        {
          variantId: Uuid,
          salePrice: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Minor units of the platform’s default currency' }),
          quantity: Type.Integer({ minimum: 1, maximum: 100_000, description: 'Units carved out of normal stock for the sale' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ITEMS },
    ),
  },
  { title: 'FlashSaleInput', additionalProperties: false },
);
export type ScheduleInput = Static<typeof ScheduleInput>;

export const SaleItem = Type.Object({
  variantId: Uuid,
  productId: Uuid,
  sku: Type.String(),
  title: Type.String(),
  productTitle: Type.String(),
  salePrice: Type.Integer(),
  currency: Type.String(),
  quantity: Type.Integer({ description: 'Current sale quantity (units that came back after general buyers took them are no longer counted)' }),
}, { title: 'FlashSaleItem' });
export type SaleItem = Static<typeof SaleItem>;

const Phase = Type.Union([Type.Literal('upcoming'), Type.Literal('live'), Type.Literal('ended'), Type.Literal('cancelled')]);

export const Sale = Type.Object({
  id: Uuid,
  name: Type.String(),
  status: Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled'), Type.Literal('ended')]),
  phase: Phase,
  startsAt: DateTime,
  endsAt: DateTime,
  perCustomerLimit: Type.Union([Type.Integer(), Type.Null()]),
  minAccountAgeHours: Type.Integer(),
  paymentTimeoutSeconds: Type.Integer(),
  gateEpoch: Type.Integer(),
  reservationId: Type.Union([Uuid, Type.Null()]),
  reconciledAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime,
  items: Type.Array(SaleItem),
}, { title: 'FlashSale' });
export type Sale = Static<typeof Sale>;

export const SaleList = Type.Object({ items: Type.Array(Sale), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const SalesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled'), Type.Literal('ended')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type SalesQuery = Static<typeof SalesQuery>;

export const StoreSale = Type.Object({
  id: Uuid,
  name: Type.String(),
  phase: Phase,
  startsAt: DateTime,
  endsAt: DateTime,
  perCustomerLimit: Type.Union([Type.Integer(), Type.Null()]),
  minAccountAgeHours: Type.Integer(),
  items: Type.Array(
    Type.Object({ ...SaleItem.properties, remaining: Type.Integer({ description: 'Approximate units left; never above the truth' }) }),
  ),
}, { title: 'StoreFlashSale' });
export type StoreSale = Static<typeof StoreSale>;
export const StoreSaleList = Type.Object({ serverTime: DateTime, items: Type.Array(StoreSale) });
export const StoreSaleOne = Type.Object({ serverTime: DateTime, sale: StoreSale });

export const PurchaseInput = Type.Object(
  { variantId: Uuid, quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PURCHASE_QUANTITY })) },
  { additionalProperties: false },
);
export type PurchaseInput = Static<typeof PurchaseInput>;
export const PurchaseResult = Type.Object(
  {
    ticketId: Uuid,
    status: Type.Literal('pending'),
    duplicate: Type.Boolean(),
    held: Type.Optional(Type.Literal(true, { description: 'The shop holds this purchase for review: its order is created on_hold and cannot be paid until approved' })),
  },
  { title: 'FlashSalePurchase' },
);

export const Ticket = Type.Object({
  id: Uuid,
  saleId: Uuid,
  variantId: Uuid,
  quantity: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('ordered'), Type.Literal('cancelled'), Type.Literal('failed')]),
  orderId: Type.Union([Uuid, Type.Null()]),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
}, { title: 'Ticket' });
export type Ticket = Static<typeof Ticket>;

const Counters = Type.Object(
  {
    attempts: Type.Integer({ description: 'Purchases that reached the sale (admitted + answered before the gate); rate-limited ones are in Prometheus only' }),
    admitted: Type.Integer({ description: 'Purchases that reached the stock gate' }),
    won: Type.Integer(),
    soldOut: Type.Integer({ description: 'Sold-out answers, from the gate or a node’s sold-out flag' }),
    limitReached: Type.Integer(),
    duplicates: Type.Integer({ description: 'Repeats within the double-click window, answered with the first ticket' }),
    refused: Type.Integer({ description: 'Refused by the risk hook or the account age' }),
    returned: Type.Integer({ description: 'Units given back to the gate (unpaid orders, unwritten tickets)' }),
  },
  { description: 'Outcome counters of every node; answers given before the gate arrive within a quarter of a second' },
);

export const GateView = Type.Object({
  epoch: Type.Integer(),
  remaining: Type.Record(Type.String(), Type.Integer()),
  customers: Type.Integer({ description: 'Customers holding units' }),
  unitsHeld: Type.Integer(),
});
export type GateView = Static<typeof GateView>;

export const SaleStats = Type.Object({
  saleId: Uuid,
  phase: Phase,
  serverTime: DateTime,
  gate: Type.Object({ kind: Type.String(), loaded: Type.Boolean(), state: Type.Union([GateView, Type.Null()]), counters: Counters }),
  items: Type.Array(Type.Object({ variantId: Uuid, quantity: Type.Integer(), activeUnits: Type.Integer(), remaining: Type.Integer() })),
  tickets: Type.Object({ pending: Type.Integer(), ordered: Type.Integer(), cancelled: Type.Integer(), failed: Type.Integer() }),
  ordersCreated: Type.Integer(),
  ordersPaid: Type.Integer(),
  queueDepth: Type.Integer({ description: 'Tickets waiting for their order' }),
  ordersDrainedPerSecond: Type.Number({
    description: 'Observed: orders created from won tickets per second, averaged over the last 10 s (0 when the queue is idle)',
  }),
  drainRateLimitPerSecond: Type.Integer({
    description: 'Setting: the most orders per second this node creates from won tickets (SOUK_FLASH_DRAIN_PER_SECOND)',
  }),
}, { title: 'FlashSaleStats' });

export const ReconcileReport = Type.Object({
  saleId: Uuid,
  repaired: Type.Boolean(),
  reason: Type.String(),
  before: Type.Union([GateView, Type.Null()]),
  after: Type.Union([GateView, Type.Null()]),
  lostUnitsReturned: Type.Integer({ description: 'Units the gate had handed out without a ticket, now takeable again' }),
  activeUnits: Type.Integer(),
  pendingTickets: Type.Integer(),
  epoch: Type.Integer(),
}, { title: 'FlashSaleReconcileReport' });
export type ReconcileReport = Static<typeof ReconcileReport>;
