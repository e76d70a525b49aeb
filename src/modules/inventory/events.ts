// The inventory module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_LOW = 'inventory.low';
/** An admin changed on-hand stock (set or adjust; not reservations): one per ledger entry. */
export const EVENT_STOCK_ADJUSTED = 'inventory.stock_adjusted';
export const EVENT_OUT_OF_STOCK = 'inventory.out_of_stock';
/** The durable timer's event: a reservation's hold has run out. */
export const EVENT_RESERVATION_EXPIRE = 'inventory.reservation.expire';

/** A level crossed the low-stock threshold, or zero, downwards. */
export interface StockLevelPayload {
  variantId: string;
  locationId: string;
  onHand: number;
  reserved: number;
  available: number;
  threshold: number;
}

export interface StockAdjustedPayload {
  variantId: string;
  locationId: string;
  kind: 'adjust' | 'set';
  delta: number;
  onHand: number;
  reserved: number;
  reason: string;
}

export interface ReservationExpirePayload {
  reservationId: string;
}

export interface InventoryEvents {
  [EVENT_LOW]: StockLevelPayload;
  [EVENT_OUT_OF_STOCK]: StockLevelPayload;
  [EVENT_STOCK_ADJUSTED]: StockAdjustedPayload;
  [EVENT_RESERVATION_EXPIRE]: ReservationExpirePayload;
}
