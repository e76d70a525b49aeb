// A room's numbers for its admins: viewers now (this node's view of every node) and at the peak, chat
// messages, likes, gifts (count and coins, from the ledger), card clicks, and the paid orders checked out
// from the room with their revenue (live_room_orders, written from order.paid).
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import type { RoomHub } from '../hub/hub.ts';
import { getRoom } from '../rooms.ts';
import type { CommerceRuntime } from './runtime.ts';
import type { RoomStats } from './schemas.ts';

export async function roomStats(pdb: PlatformDb, hub: RoomHub, commerce: CommerceRuntime, roomId: string): Promise<RoomStats> {
  const room = await getRoom(pdb, roomId);
  const [counters] = await pdb.query<{ peak_viewers: number; card_clicks: string | number }>('select peak_viewers, card_clicks from live_rooms where platform_id = $1 and id = $2', [roomId]);
  const [messages] = await pdb.query<{ n: string | number }>(`select count(*) as n from live_messages where platform_id = $1 and room_id = $2 and kind = 'chat'`, [roomId]);
  const [gifts] = await pdb.query<{ count: string | number; coins: string | number }>(
    `select coalesce(sum(gift_count), 0) as count, coalesce(-sum(delta), 0) as coins from live_coin_ledger where platform_id = $1 and room_id = $2 and reason = 'gift'`,
    [roomId],
  );
  const revenue = await pdb.query<{ currency: string; orders: string | number; amount: string | number }>(
    'select currency, count(*) as orders, sum(total) as amount from live_room_orders where platform_id = $1 and room_id = $2 group by currency order by currency',
    [roomId],
  );
  const channel = await hub.ifLoaded(pdb.platformId, roomId);
  const viewers = channel?.totalViewers() ?? 0;
  return {
    viewers,
    peakViewers: Math.max(counters!.peak_viewers, viewers),
    messages: Number(messages!.n),
    likes: channel?.room.likes ?? room.likes,
    gifts: { count: Number(gifts!.count), coins: Number(gifts!.coins) },
    cardClicks: Number(counters!.card_clicks) + commerce.pendingClicks(pdb.platformId, roomId),
    orders: revenue.reduce((n, r) => n + Number(r.orders), 0),
    revenue: revenue.map((r) => ({ currency: r.currency, amount: Number(r.amount) })),
  };
}
