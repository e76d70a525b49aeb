// The storefront's one API client: the typed SDK (sdk/) against the origin that served the page. The Host
// picks the platform, as it did for the page itself, so no publishable key is needed here. A signed-in
// shopper's session token lives in localStorage per platform host and is read on every request.
import { createSoukClient, unwrap, SoukProblemError, type components } from '../../sdk/index.ts';

export type StoreProduct = components['schemas']['StoreProduct'];
export type StoreVariant = components['schemas']['StoreVariant'];
export type Cart = components['schemas']['Cart'];
export type Order = components['schemas']['Order'];
export type CategoryNode = components['schemas']['CategoryNode'];
export type Customer = components['schemas']['Customer'];
export type Address = components['schemas']['Address'];
export { unwrap, SoukProblemError };

const TOKEN_KEY = 'souk.store.token';

export function getToken(): string | undefined {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export const api = createSoukClient({ baseUrl: location.origin, token: getToken });

/** A guest's order token (X-Order-Token), kept so the order page can read the order after paying. */
export function orderTokenKey(orderId: string): string {
  return `souk.store.order.${orderId}`;
}

export function orderHeaders(orderId: string): Record<string, string> {
  const token = localStorage.getItem(orderTokenKey(orderId));
  return token ? { 'x-order-token': token } : {};
}
