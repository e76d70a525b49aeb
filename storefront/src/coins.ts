// The signed-in shopper's coins (live-room gifts): balance, latest ledger entries and what a coin costs,
// one query for the room's gift bar and the top-up page.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './api.ts';

export const COINS_KEY = ['live-coins'];

export function useCoins(options: { enabled?: boolean; refetchInterval?: number } = {}) {
  return useQuery({ queryKey: COINS_KEY, queryFn: async () => unwrap(await api.GET('/store/live/coins')), ...options });
}
