// Coins: a balance per customer and the ledger of every change to it. A change is one transaction: the
// balance row is locked first (every change of one customer queues here), then the change's key is
// looked up (a retry, or a concurrent duplicate that waited on the lock, finds the first one's ledger
// row and changes nothing), then the balance moves by a conditional update and the ledger row is
// appended. So each key moves coins at most once, and a balance never goes below zero (also a CHECK).
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { iso } from '../../../kernel/cursor.ts';
import { newId } from '../../../kernel/ids.ts';
import { insufficientCoins } from './problems.ts';

export interface LedgerEntry {
  id: string;
  delta: number;
  balanceAfter: number;
  reason: CoinChange['reason'];
  topUpId: string | null;
  roomId: string | null;
  giftId: string | null;
  giftCount: number | null;
  createdAt: string;
}

interface LedgerRow {
  id: string;
  delta: string | number;
  balance_after: string | number;
  reason: LedgerEntry['reason'];
  top_up_id: string | null;
  room_id: string | null;
  gift_id: string | null;
  gift_count: number | null;
  created_at: string;
}

const COLUMNS = `id, delta, balance_after, reason, top_up_id, room_id, gift_id, gift_count, ${iso('created_at')} as created_at`;

const toEntry = (row: LedgerRow): LedgerEntry => ({
  id: row.id,
  delta: Number(row.delta),
  balanceAfter: Number(row.balance_after),
  reason: row.reason,
  topUpId: row.top_up_id,
  roomId: row.room_id,
  giftId: row.gift_id,
  giftCount: row.gift_count,
  createdAt: row.created_at,
});

export type CoinChange =
  | { reason: 'top_up'; delta: number; topUpId: string }
  // An admin refunded a top-up: its coins leave the balance; if the provider then refuses the refund, they come back.
  | { reason: 'top_up_refund' | 'top_up_refund_failed'; delta: number; topUpId: string }
  | { reason: 'gift'; delta: number; roomId: string; giftId: string; giftCount: number };

export interface ChangeOutcome {
  entry: LedgerEntry;
  /** True when the key had moved coins before: nothing changed now. */
  replayed: boolean;
}

/**
 * Moves a customer's coins once per key, in the caller's transaction. A debit larger than the balance
 * throws 409 live_insufficient_coins (the caller's transaction rolls back).
 */
export async function changeCoins(tx: PlatformDb, customerId: string, key: string, change: CoinChange): Promise<ChangeOutcome> {
  await tx.execute('insert into live_coin_balances (platform_id, customer_id) values ($1, $2) on conflict do nothing', [customerId]);
  const [held] = await tx.query<{ balance: string | number }>('select balance from live_coin_balances where platform_id = $1 and customer_id = $2 for update', [customerId]);
  const seen = await tx.maybeOne<LedgerRow>(`select ${COLUMNS} from live_coin_ledger where platform_id = $1 and customer_id = $2 and idempotency_key = $3`, [customerId, key]);
  if (seen) return { entry: toEntry(seen), replayed: true };
  const balance = Number(held!.balance);
  if (balance + change.delta < 0) throw insufficientCoins(balance, -change.delta);
  const [moved] = await tx.query<{ balance: string | number }>(
    'update live_coin_balances set balance = balance + $3, updated_at = now() where platform_id = $1 and customer_id = $2 and balance + $3 >= 0 returning balance',
    [customerId, change.delta],
  );
  const gift = change.reason === 'gift' ? change : undefined;
  const [row] = await tx.query<LedgerRow>(
    `insert into live_coin_ledger (platform_id, id, customer_id, delta, balance_after, reason, idempotency_key, top_up_id, room_id, gift_id, gift_count)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning ${COLUMNS}`,
    [newId(), customerId, change.delta, moved!.balance, change.reason, key, 'topUpId' in change ? change.topUpId : null, gift?.roomId ?? null, gift?.giftId ?? null, gift?.giftCount ?? null],
  );
  return { entry: toEntry(row!), replayed: false };
}

export async function balanceOf(pdb: PlatformDb, customerId: string): Promise<number> {
  const row = await pdb.maybeOne<{ balance: string | number }>('select balance from live_coin_balances where platform_id = $1 and customer_id = $2', [customerId]);
  return Number(row?.balance ?? 0);
}

/** The customer's latest ledger entries, newest first. */
export async function ledgerOf(pdb: PlatformDb, customerId: string, limit = 50): Promise<LedgerEntry[]> {
  const rows = await pdb.query<LedgerRow>(`select ${COLUMNS} from live_coin_ledger where platform_id = $1 and customer_id = $2 order by id desc limit $3`, [customerId, limit]);
  return rows.map(toEntry);
}
