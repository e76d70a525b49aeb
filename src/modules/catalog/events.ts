// The catalog module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_PRODUCT_CREATED = 'catalog.product_created';
export const EVENT_PRODUCT_UPDATED = 'catalog.product_updated';
export const EVENT_PRODUCT_ARCHIVED = 'catalog.product_archived';

export interface ProductCreatedPayload {
  productId: string;
  handle: string | undefined;
}

export interface ProductUpdatedPayload {
  productId: string;
  handle: string | undefined;
  /** The fields the admin sent; null from a bulk import (any field may have changed). */
  fields: string[] | null;
}

export interface ProductArchivedPayload {
  productId: string;
  handle: string;
}

export interface CatalogEvents {
  [EVENT_PRODUCT_CREATED]: ProductCreatedPayload;
  [EVENT_PRODUCT_UPDATED]: ProductUpdatedPayload;
  [EVENT_PRODUCT_ARCHIVED]: ProductArchivedPayload;
}
