// The shopper's cart: its id is kept in localStorage (a guest cart is reached by its id), the cart itself
// comes from the server (totals are computed only there) and every change answers the new cart, which
// replaces the cached one. A completed or unknown cart is forgotten and the next add starts a new one.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, SoukProblemError, type Cart } from './api.ts';

const CART_KEY = 'souk.store.cart';
/** The live room the shopper last bought from a product card in: checkout attributes the order to it. */
export const LIVE_ROOM_KEY = 'souk.store.liveRoom';

export function cartId(): string | undefined {
  return localStorage.getItem(CART_KEY) ?? undefined;
}

export function forgetCart(): void {
  localStorage.removeItem(CART_KEY);
}

async function fetchCart(): Promise<Cart | null> {
  const id = cartId();
  if (!id) return null;
  try {
    const cart = unwrap(await api.GET('/store/carts/{cartId}', { params: { path: { cartId: id } } }));
    if (cart.status !== 'active') {
      forgetCart();
      return null;
    }
    return cart;
  } catch (error) {
    if (error instanceof SoukProblemError && (error.status === 404 || error.status === 401)) {
      forgetCart();
      return null;
    }
    throw error;
  }
}

export function useCart() {
  return useQuery({ queryKey: ['cart'], queryFn: fetchCart });
}

/** The cart to add to: the current one, or a new one in the shop's currency. */
export async function ensureCart(currency: string): Promise<string> {
  const existing = cartId();
  if (existing) return existing;
  const cart = unwrap(await api.POST('/store/carts', { body: { currency } }));
  localStorage.setItem(CART_KEY, cart.id);
  return cart.id;
}

/** Puts a cart answered by the server in the cache. */
export function useSetCart(): (cart: Cart | null) => void {
  const client = useQueryClient();
  return (cart) => client.setQueryData(['cart'], cart);
}

export function lineCount(cart: Cart | null | undefined): number {
  return cart?.lines.reduce((sum, line) => sum + line.quantity, 0) ?? 0;
}
