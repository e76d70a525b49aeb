// The signed-in shopper (a customer session of this platform), or null for a guest.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, getToken, setToken, unwrap, SoukProblemError, type Customer } from './api.ts';
import { cartId } from './cart.ts';

export function useCustomer() {
  const token = getToken();
  return useQuery({
    queryKey: ['me', token],
    enabled: token !== undefined,
    retry: false,
    queryFn: async (): Promise<Customer | null> => {
      try {
        return unwrap(await api.GET('/store/customers/me'));
      } catch (error) {
        if (error instanceof SoukProblemError && error.status === 401) {
          setToken(undefined);
          return null;
        }
        throw error;
      }
    },
  });
}

/** After sign-in or sign-up: keep the token and move a guest cart into the customer's. */
export function useSignedIn(): (token: string) => Promise<void> {
  const client = useQueryClient();
  return async (token) => {
    setToken(token);
    const id = cartId();
    if (id) {
      // The guest cart may merge into one the customer already had: keep the id the server answers.
      const claimed = await api.POST('/store/carts/{cartId}/claim', { params: { path: { cartId: id } } }).catch(() => undefined);
      if (claimed?.data) localStorage.setItem('souk.store.cart', claimed.data.id);
    }
    await client.invalidateQueries();
  };
}

export function useSignOut(): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    await api.POST('/store/auth/logout').catch(() => undefined);
    setToken(undefined);
    localStorage.removeItem('souk.store.cart');
    client.clear();
  };
}
