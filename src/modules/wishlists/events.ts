// The wishlists module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_ITEM_ADDED = 'wishlist.item_added';

export interface WishlistItemAddedPayload {
  customerId: string;
  productId: string;
}

export interface WishlistsEvents {
  [EVENT_ITEM_ADDED]: WishlistItemAddedPayload;
}
