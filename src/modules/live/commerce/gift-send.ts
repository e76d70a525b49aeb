// Sending a gift: screened at the risk gate ('live_gift'), paid in coins once per key, then shown to the
// whole room in the high lane (a slow viewer loses chat before it loses a gift). The debit and its
// ledger row commit before anything is broadcast; a retry or a concurrent duplicate with the same key
// finds the first debit (coins.ts) and broadcasts nothing again.
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import type { RiskGateRequest } from '../../../kernel/risk-gate.ts';
import type { Customer } from '../../accounts/customer-service.ts';
import type { RoomHub } from '../hub/hub.ts';
import { roomNotInState } from '../problems.ts';
import { getRoom } from '../rooms.ts';
import { changeCoins } from './coins.ts';
import { getGift } from './gifts.ts';
import { shownName } from './names.ts';
import { giftNotFound, keyReused } from './problems.ts';
import type { GiftSent } from './schemas.ts';
import { coinPriceOf } from '../settings.ts';

export interface GiftOrder {
  roomId: string;
  giftId: string;
  count: number;
  /** The client's key for this gift: the same key sends it once. */
  key: string;
}

export async function sendGift(ctx: ModuleContext, hub: RoomHub, platform: Platform, customer: Customer, request: RiskGateRequest, order: GiftOrder): Promise<GiftSent> {
  const pdb = ctx.platformDb(platform.id);
  const room = await getRoom(pdb, order.roomId);
  if (room.state !== 'live') throw roomNotInState(room.id, room.state, 'live');
  const gift = await getGift(pdb, order.giftId);
  if (!gift.active) throw giftNotFound(gift.id);
  const cost = gift.priceCoins * order.count;
  await ctx.riskGate.screen(platform, 'live_gift', request, {
    accountId: customer.id,
    email: customer.email,
    accountCreatedAt: customer.createdAt,
    amount: cost * coinPriceOf(platform.settings),
    currency: platform.defaultCurrency,
  });
  const { entry, replayed } = await pdb.transaction((tx) =>
    changeCoins(tx, customer.id, `gift:${order.key}`, { reason: 'gift', delta: -cost, roomId: room.id, giftId: gift.id, giftCount: order.count }),
  );
  if (replayed && (entry.reason !== 'gift' || entry.giftId !== gift.id || entry.giftCount !== order.count || entry.roomId !== room.id)) throw keyReused(order.key);
  if (!replayed) {
    const frame = { type: 'gift', id: entry.id, from: shownName(customer), giftId: gift.id, name: gift.name, iconUrl: gift.iconUrl, count: order.count, coins: cost, at: entry.createdAt };
    await hub.effect(platform.id, room.id, { kind: 'broadcast', frame, lane: 'high' });
  }
  return { entryId: entry.id, giftId: gift.id, count: order.count, coins: -entry.delta, balance: entry.balanceAfter, replayed };
}
