// "W*** just bought …": the live module consumes order.paid and, for an order checked out from one of
// the platform's rooms (liveRoomId), records it for the room's numbers (in the consumer's transaction,
// with its inbox row, keyed by the order, so a redelivered event never counts twice) and then tells the
// room in the high lane, after that transaction committed: the announcer waits until the record is
// visible outside the transaction and claims it with a conditional update of announced_at, so a handler
// that rolled back announces nothing (its redelivery will), and a redelivery after a commit, on this
// node or another, finds the notice claimed and announces nothing more.
import type { ModuleContext } from '../../../kernel/context.ts';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { getCustomer } from '../../accounts/customer-service.ts';
import { EVENT_PAID, ordersService } from '../../orders/service.ts';
import type { RoomHub } from '../hub/hub.ts';
import { maskedName } from './names.ts';

export const NOTICES_CONSUMER = 'live.purchase-notices';

/** When the announcer looks for the committed record (ms after the handler returned); then it gives up (rolled back). */
const ATTEMPTS_MS = [0, 20, 50, 100, 250, 500, 1000, 2000, 4000];

export interface PurchaseNotice {
  platformId: string;
  orderId: string;
  roomId: string;
  frame: unknown;
}

/** Records the order for its room in `tx` (once per order); the notice to announce after commit, or undefined. */
export async function recordPurchase(ctx: ModuleContext, tx: PlatformDb, orderId: string): Promise<PurchaseNotice | undefined> {
  const order = await ordersService(ctx).getOrder(tx, orderId);
  if (!order?.liveRoomId) return undefined;
  // Only a room of this platform counts it (the id came from the shopper's checkout).
  const recorded = await tx.execute(
    `insert into live_room_orders (platform_id, order_id, room_id, customer_id, total, currency)
     select $1, $2, r.id, $4, $5, $6 from live_rooms r where r.platform_id = $1 and r.id = $3
     on conflict do nothing`,
    [order.id, order.liveRoomId, order.customerId, order.totals.total, order.currency],
  );
  // Nothing inserted: recorded before (its notice may still be unclaimed), or no such room here.
  if (recorded.rowCount === 0 && !(await tx.maybeOne('select 1 from live_room_orders where platform_id = $1 and order_id = $2', [order.id]))) return undefined;
  const buyer = order.customerId ? await getCustomer(tx, order.customerId).catch(() => undefined) : undefined;
  const first = order.lines[0];
  const product = first ? first.productTitle + (order.lines.length > 1 ? ` and ${order.lines.length - 1} more` : '') : 'something';
  const name = maskedName(buyer ?? { name: '', email: order.email ?? '' });
  const frame = { type: 'purchase', buyer: name, product, productId: first?.productId ?? null, text: `${name} just bought ${product}`, at: new Date().toISOString() };
  return { platformId: tx.platformId, orderId: order.id, roomId: order.liveRoomId, frame };
}

/** Sends recorded notices once their transaction committed, each at most once over every node. */
export class NoticeAnnouncer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly hub: RoomHub,
  ) {}

  /** Called when the handler returns (its transaction commits, or rolls back, right after). */
  after(notice: PurchaseNotice): void {
    this.attempt(notice, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private attempt(notice: PurchaseNotice, n: number): void {
    if (this.stopped || n >= ATTEMPTS_MS.length) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.claim(notice).then(
        (outcome) => {
          if (outcome === 'not_yet') this.attempt(notice, n + 1);
        },
        (error: unknown) => {
          this.ctx.log.warn({ err: error, orderId: notice.orderId }, 'live purchase notice');
          this.attempt(notice, n + 1);
        },
      );
    }, ATTEMPTS_MS[n]! - (ATTEMPTS_MS[n - 1] ?? 0));
    timer.unref();
    this.timers.add(timer);
  }

  /** sent: this attempt claimed and sent it; done: claimed before (or never recorded for a room); not_yet: not committed (yet). */
  private async claim(notice: PurchaseNotice): Promise<'sent' | 'done' | 'not_yet'> {
    const pdb = this.ctx.platformDb(notice.platformId);
    const [claimed] = await pdb.query<{ room_id: string }>(
      'update live_room_orders set announced_at = now() where platform_id = $1 and order_id = $2 and announced_at is null returning room_id',
      [notice.orderId],
    );
    if (claimed) {
      await this.hub.effect(notice.platformId, claimed.room_id, { kind: 'broadcast', frame: notice.frame, lane: 'high' });
      return 'sent';
    }
    // Committed since the update looked, or not yet: try again; already claimed: done.
    const row = await pdb.maybeOne<{ announced: boolean }>('select announced_at is not null as announced from live_room_orders where platform_id = $1 and order_id = $2', [notice.orderId]);
    return row?.announced ? 'done' : 'not_yet';
  }
}

export function subscribePurchaseNotices(ctx: ModuleContext, announcer: NoticeAnnouncer, moduleName: string): void {
  ctx.events.subscribe(
    NOTICES_CONSUMER,
    [EVENT_PAID],
    async (event, tx) => {
      // forModule passes only events of a platform.
      const notice = await recordPurchase(ctx, tx.platform(event.platformId!), event.payload.orderId);
      if (notice) announcer.after(notice);
    },
    { forModule: moduleName },
  );
}
