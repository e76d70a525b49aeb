// A flash sale started from the room ("3, 2, 1, go"). The host links one of the platform's flash sales
// to the room (PUT …/rooms/:roomId/flash-sale, or the host socket's `flash` frame): the room row keeps
// the sale (pinned_sale_id) and every viewer gets a `flash` card in the critical lane with the sale's
// items, remaining units, startsAt and the server's clock (serverNow), so a client counts down against
// the server, not its own clock. The linking node then drives the countdown: `flash_countdown` frames
// at 3, 2 and 1 seconds before startsAt, and at startsAt the card again with phase "live" and go: true;
// while the sale runs, a card whose remaining units changed goes out every second (high lane), and at
// endsAt the card with phase "ended". Buying is the flash-sales module's own purchase
// (POST /store/flash-sales/:saleId/purchase, the card's purchasePath): this file sells nothing itself.
// The card itself crosses nodes through the fan-out; the clock runs on every node that serves the room,
// each sending its own viewers the countdown, "go", stock and end frames (hub.local): a node that dies
// takes only its own viewers' clock with it. A node learns of a linked sale from the linking node's card
// frame, or from the room row when a viewer first joins there.
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import { flashSalesModule } from '../../flash-sales/index.ts';
import { storeSale } from '../../flash-sales/views.ts';
import type { StoreSale } from '../../flash-sales/schemas.ts';
import type { RoomHub } from '../hub/hub.ts';
import { roomNotFound, roomNotInState } from '../problems.ts';
import { flashSaleOver, flashSalesOff } from './problems.ts';

export const FLASH = 'flash';
const COUNTDOWN_SECONDS = [3, 2, 1];
const STOCK_EVERY_MS = 1000;
/** setTimeout's longest wait; a sale further away is counted down by clients from the card alone. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface FlashCard {
  saleId: string;
  name: string;
  phase: StoreSale['phase'];
  startsAt: string;
  endsAt: string;
  /** The server's clock when the card was made: a client's offset is serverNow minus its own now. */
  serverNow: string;
  perCustomerLimit: number | null;
  items: Array<{ variantId: string; productId: string; title: string; productTitle: string; salePrice: number; currency: string; quantity: number; remaining: number }>;
  /** Units left over every item (approximate, never above the truth). */
  remaining: number;
  /** Where a signed-in customer buys: the flash-sales module's purchase. */
  purchasePath: string;
}

/** The card frame: { type: "flash", card, go? } (card null: no sale linked). */
export const flashFrame = (card: FlashCard | null, go = false) => ({ type: 'flash', card, ...(go ? { go: true } : {}) });

const toCard = (sale: StoreSale, serverNow: string): FlashCard => ({
  saleId: sale.id,
  name: sale.name,
  phase: sale.phase,
  startsAt: sale.startsAt,
  endsAt: sale.endsAt,
  serverNow,
  perCustomerLimit: sale.perCustomerLimit,
  items: sale.items.map((i) => ({ variantId: i.variantId, productId: i.productId, title: i.title, productTitle: i.productTitle, salePrice: i.salePrice, currency: i.currency, quantity: i.quantity, remaining: i.remaining })),
  remaining: sale.items.reduce((sum, i) => sum + i.remaining, 0),
  purchasePath: `/store/flash-sales/${sale.id}/purchase`,
});

/** The sale as a card now; throws the flash-sales module's 404 for a sale the platform does not have. */
export async function flashCard(ctx: ModuleContext, platform: Platform, saleId: string): Promise<FlashCard> {
  if (!platform.modules.includes('flash-sales')) throw flashSalesOff();
  const { serverTime, sale } = await storeSale(ctx.runtimeOf(flashSalesModule), ctx.platformDb(platform.id), saleId);
  return toCard(sale, serverTime);
}

/** The card of the sale linked to the room, for joiners (null: none, or the sale went away). */
export async function linkedFlashCard(ctx: ModuleContext, platform: Platform, roomId: string): Promise<FlashCard | null> {
  const row = await ctx.platformDb(platform.id).maybeOne<{ pinned_sale_id: string | null }>('select pinned_sale_id from live_rooms where platform_id = $1 and id = $2', [roomId]);
  if (!row?.pinned_sale_id || !platform.modules.includes('flash-sales')) return null;
  return flashCard(ctx, platform, row.pinned_sale_id).catch(() => null);
}

/** The countdowns and stock updates this node drives, one per room. */
export class FlashClock {
  /** Room key → the timers pending for it (a timer leaves its set when it fires). */
  private readonly rooms = new Map<string, Set<NodeJS.Timeout>>();
  /** Room key → the sale and start this node's clock counts (so a second notice of it changes nothing). */
  private readonly counting = new Map<string, string>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly hub: RoomHub,
  ) {}

  /** Links the sale to the room, tells every viewer and starts the countdown; the card as sent. */
  async link(platform: Platform, roomId: string, saleId: string): Promise<FlashCard> {
    const card = await flashCard(this.ctx, platform, saleId);
    if (card.phase === 'ended' || card.phase === 'cancelled') throw flashSaleOver(saleId, card.phase);
    const [row] = await this.ctx.platformDb(platform.id).query<{ state: string }>(
      'update live_rooms set pinned_sale_id = $3, updated_at = now() where platform_id = $1 and id = $2 and state <> $4 returning state',
      [roomId, saleId, 'ended'],
    );
    if (!row) {
      const room = await this.ctx.platformDb(platform.id).maybeOne<{ state: string }>('select state from live_rooms where platform_id = $1 and id = $2', [roomId]);
      throw room ? roomNotInState(roomId, room.state, 'scheduled or live') : roomNotFound(roomId);
    }
    // Every node's viewers get the card; each node then runs its own clock (follow, on the others).
    await this.hub.effect(platform.id, roomId, { kind: 'broadcast', frame: flashFrame(card, card.phase === 'live'), lane: 'critical', keep: FLASH });
    this.schedule(platform, roomId, card);
    return card;
  }

  /**
   * Runs this node's clock for a card it learnt of: another node linked the sale, or a viewer's join read
   * it from the room. The same sale and start already counted here changes nothing; no card, or a sale
   * that is over, stops the room's clock.
   */
  follow(platformId: string, roomId: string, card: FlashCard | null): void {
    const key = `${platformId}:${roomId}`;
    if (!card || card.phase === 'ended' || card.phase === 'cancelled') {
      this.clear(key);
      return;
    }
    const platform = this.ctx.platforms.byId(platformId);
    if (!platform || this.counting.get(key) === `${card.saleId}@${card.startsAt}`) return;
    this.schedule(platform, roomId, card);
  }

  stop(): void {
    for (const key of [...this.rooms.keys()]) this.clear(key);
  }

  private clear(key: string): void {
    this.rooms.get(key)?.forEach((t) => clearTimeout(t));
    this.rooms.delete(key);
    this.counting.delete(key);
  }

  /** To this node's viewers only: every node serving the room sends its own. */
  private send(platformId: string, roomId: string, frame: unknown, lane: 'critical' | 'high', keep = true): Promise<void> {
    return this.hub.local(platformId, roomId, frame, lane, keep ? FLASH : undefined);
  }

  private schedule(platform: Platform, roomId: string, card: FlashCard): void {
    const key = `${platform.id}:${roomId}`;
    this.clear(key);
    this.rooms.set(key, new Set());
    this.counting.set(key, `${card.saleId}@${card.startsAt}`);
    const at = (ms: number, run: () => Promise<void>) => this.at(key, ms, run);
    const startsIn = Date.parse(card.startsAt) - Date.now();
    if (startsIn > 0) {
      for (const seconds of COUNTDOWN_SECONDS) {
        if (startsIn - seconds * 1000 < 0) continue;
        at(startsIn - seconds * 1000, () =>
          this.send(platform.id, roomId, { type: 'flash_countdown', saleId: card.saleId, seconds, startsAt: card.startsAt, serverNow: new Date().toISOString() }, 'critical', false),
        );
      }
      // "Go": the sale opens on the server's clock; the card comes again with the units then.
      at(startsIn, async () => {
        const live = await flashCard(this.ctx, platform, card.saleId);
        await this.send(platform.id, roomId, flashFrame({ ...live, phase: live.phase === 'upcoming' ? 'live' : live.phase }, true), 'critical');
        this.watchStock(platform, roomId, live, key);
      });
    } else {
      this.watchStock(platform, roomId, card, key);
    }
  }

  /** Runs `run` in `ms` for the room, unless the room's clock is replaced or stopped first. */
  private at(key: string, ms: number, run: () => Promise<void>): void {
    const timers = this.rooms.get(key);
    if (!timers || ms > LONGEST_TIMER_MS) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      run().catch((error: unknown) => this.ctx.log.warn({ err: error, room: key }, 'live flash-sale clock'));
    }, Math.max(0, ms));
    timer.unref();
    timers.add(timer);
  }

  /** Every second while the sale runs: the card again when its units changed; at the end, the ended card. */
  private watchStock(platform: Platform, roomId: string, shown: FlashCard, key: string): void {
    let last = shown.remaining;
    const timers = this.rooms.get(key);
    const step = async (): Promise<void> => {
      if (this.rooms.get(key) !== timers) return;
      const card = await flashCard(this.ctx, platform, shown.saleId);
      if (card.phase === 'ended' || card.phase === 'cancelled') {
        await this.send(platform.id, roomId, flashFrame(card), 'critical');
        this.clear(key);
        return;
      }
      if (card.remaining !== last) {
        last = card.remaining;
        await this.send(platform.id, roomId, flashFrame(card), 'high');
      }
      this.at(key, STOCK_EVERY_MS, step);
    };
    this.at(key, 0, step);
  }
}
