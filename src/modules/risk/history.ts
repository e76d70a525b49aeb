// Order history as risk signals: per account, orders, cancellations, refunds and unpaid (expired)
// flash-sale orders. A consumer of order events keeps one small row per account up to date
// (risk_account_history), in the event's own transaction, off any request path. A decision whose policy
// reads a history_* signal (plan.ts) gets the row by primary key through a per-node cache (HISTORY_TTL_MS;
// concurrent misses share one read), so a burst from one account costs one read per TTL and a policy
// without history rules costs nothing.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { EVENT_CANCELLED, EVENT_CREATED, EVENT_PAID, EVENT_REFUNDED } from '../orders/events.ts';

export interface AccountHistory {
  orders: number;
  cancelled: number;
  refunded: number;
  unpaidFlash: number;
}

export const NO_HISTORY: AccountHistory = Object.freeze({ orders: 0, cancelled: 0, refunded: 0, unpaidFlash: 0 });
export const HISTORY_TTL_MS = 30_000;
const MAX_CACHED = 100_000;

type Column = 'orders' | 'cancelled' | 'refunded' | 'unpaid_flash';

async function bump(pdb: PlatformDb, accountId: string, column: Column): Promise<void> {
  await pdb.query(
    `insert into risk_account_history (platform_id, account_id, ${column}) values ($1, $2, 1)
     on conflict (platform_id, account_id) do update set ${column} = risk_account_history.${column} + 1, updated_at = now()`,
    [accountId],
  );
}

export async function readHistory(pdb: PlatformDb, accountId: string): Promise<AccountHistory> {
  const rows = await pdb.query<{ orders: number; cancelled: number; refunded: number; unpaid_flash: number }>(
    'select orders, cancelled, refunded, unpaid_flash from risk_account_history where platform_id = $1 and account_id = $2',
    [accountId],
  );
  const row = rows[0];
  return row ? { orders: row.orders, cancelled: row.cancelled, refunded: row.refunded, unpaidFlash: row.unpaid_flash } : NO_HISTORY;
}

/** Subscribes the risk module to order events (delivered for platforms with the risk module on). */
export function subscribeHistory(ctx: Pick<ModuleContext, 'events'>): void {
  ctx.events.subscribe(
    'risk.account-history',
    [EVENT_CREATED, EVENT_PAID, EVENT_CANCELLED, EVENT_REFUNDED],
    async (event, tx) => {
      if (!event.platformId) return;
      const pdb = tx.platform(event.platformId);
      const payload = event.payload as { orderId: string; customerId: string | null };
      const account = payload.customerId;
      if (account === null) return;
      switch (event.type) {
        case EVENT_CREATED: {
          await bump(pdb, account, 'orders');
          const source = (event.payload as { source?: { kind?: string } }).source;
          if (source?.kind === 'flash_sale') {
            await pdb.query('insert into risk_open_flash_orders (platform_id, order_id, account_id) values ($1, $2, $3) on conflict do nothing', [payload.orderId, account]);
          }
          return;
        }
        case EVENT_PAID:
          await pdb.query('delete from risk_open_flash_orders where platform_id = $1 and order_id = $2', [payload.orderId]);
          return;
        case EVENT_CANCELLED: {
          await bump(pdb, account, 'cancelled');
          const open = await pdb.query('delete from risk_open_flash_orders where platform_id = $1 and order_id = $2 returning order_id', [payload.orderId]);
          if (open.length > 0 && (event.payload as { reason?: string }).reason === 'payment_timeout') await bump(pdb, account, 'unpaid_flash');
          return;
        }
        case EVENT_REFUNDED: {
          // An order counts once, at its first refund (partial refunds follow with a larger refundedAmount).
          const refund = event.payload as { amount: number; refundedAmount: number };
          if (refund.refundedAmount === refund.amount) await bump(pdb, account, 'refunded');
          return;
        }
      }
    },
    { forModule: 'risk' },
  );
}

/** The node's cache of account histories: a decision waits for a read only on a miss. */
export class HistoryCache {
  private readonly entries = new Map<string, { history: AccountHistory; until: number }>();
  private readonly reading = new Map<string, Promise<AccountHistory>>();

  /** The account's history if cached and fresh (the fast case, no await). */
  cached(platformId: string, accountId: string, now: number): AccountHistory | undefined {
    const entry = this.entries.get(`${platformId}|${accountId}`);
    return entry !== undefined && entry.until > now ? entry.history : undefined;
  }

  async load(pdb: PlatformDb, accountId: string, now: number): Promise<AccountHistory> {
    const key = `${pdb.platformId}|${accountId}`;
    let pending = this.reading.get(key);
    if (!pending) {
      pending = readHistory(pdb, accountId).then(
        (history) => {
          this.reading.delete(key);
          if (this.entries.size >= MAX_CACHED) this.entries.clear();
          this.entries.set(key, { history, until: now + HISTORY_TTL_MS });
          return history;
        },
        (error: unknown) => {
          this.reading.delete(key);
          throw error;
        },
      );
      this.reading.set(key, pending);
    }
    return pending;
  }

  clear(): void {
    this.entries.clear();
    this.reading.clear();
  }
}
