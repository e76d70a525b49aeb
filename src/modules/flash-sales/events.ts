// The flash-sales module's events: their names and payloads, in one place (see orders/events.ts). The
// ticket writer and the sale lifecycle both emit these; naming them here keeps tickets.ts from importing
// lifecycle.ts (which reaches tickets.ts again through the drain).
import type { GateView, ScheduleInput } from './schemas.ts';

export const EVENT_SCHEDULED = 'flash_sale.scheduled';
export const EVENT_CANCELLED = 'flash_sale.cancelled';
export const EVENT_ENDED = 'flash_sale.ended';
export const EVENT_WON = 'flash_sale.won';
/** The durable timer's event: the sale's end time has come. */
export const EVENT_END = 'flash_sale.end';

export interface SaleScheduledPayload {
  saleId: string;
  name: string;
  startsAt: string;
  endsAt: string;
  actor: string;
  items: ScheduleInput['items'];
}

export interface SaleCancelledPayload {
  saleId: string;
  actor: string;
}

export interface SaleEndedPayload {
  saleId: string;
  /** Pending tickets turned into orders by the end itself. */
  drainedAtEnd: number;
  gateAtEnd: GateView | null;
}

/** One ticket written: a customer won units of the sale (the order follows from the drain). */
export interface SaleWonPayload {
  saleId: string;
  ticketId: string;
  variantId: string;
  customerId: string;
  quantity: number;
}

export interface SaleEndPayload {
  saleId: string;
}

export interface FlashSalesEvents {
  [EVENT_SCHEDULED]: SaleScheduledPayload;
  [EVENT_CANCELLED]: SaleCancelledPayload;
  [EVENT_ENDED]: SaleEndedPayload;
  [EVENT_WON]: SaleWonPayload;
  [EVENT_END]: SaleEndPayload;
}
