// Buying coins: a top-up row (pending) and a payment for it through the payments module, with the
// purpose LIVE_COINS. The payments module calls topUpPayee in the transaction that records the capture,
// so the coins are credited in the same commit as the payment's success, once (the top-up moves
// pending → paid by a conditional update, and the ledger key "top_up:<id>" is unique per customer).
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { iso } from '../../../kernel/cursor.ts';
import { newId } from '../../../kernel/ids.ts';
import { paymentsModule } from '../../payments/index.ts';
import { providerNotAvailable, startPayment, type PaymentPayee } from '../../payments/service.ts';
import { coinPriceOf } from '../settings.ts';
import { changeCoins } from './coins.ts';
import { keyReused, paymentsOff } from './problems.ts';
import type { TopUp, TopUpInput } from './schemas.ts';

export const LIVE_COINS = 'live_coins';

interface TopUpRow {
  id: string;
  customer_id: string;
  coins: number;
  amount: string | number;
  currency: string;
  status: TopUp['status'];
  payment_id: string | null;
  created_at: string;
  paid_at: string | null;
}

const COLUMNS = `id, customer_id, coins, amount, currency, status, payment_id, ${iso('created_at')} as created_at, ${iso('paid_at')} as paid_at`;

const toTopUp = (row: TopUpRow, redirectUrl: string | null = null): TopUp => ({
  id: row.id,
  coins: row.coins,
  amount: Number(row.amount),
  currency: row.currency,
  status: row.status,
  paymentId: row.payment_id,
  redirectUrl: row.status === 'pending' ? redirectUrl : null,
  createdAt: row.created_at,
  paidAt: row.paid_at,
});

/** A new top-up (or the one this key made before) with the payment page to pay it on. */
export async function startTopUp(ctx: ModuleContext, platform: Platform, customerId: string, input: TopUpInput, key: string | undefined): Promise<{ topUp: TopUp; created: boolean }> {
  if (!platform.modules.includes('payments')) throw paymentsOff();
  // Refused before the top-up row is written: a request that fails leaves nothing behind.
  const { deps } = ctx.runtimeOf(paymentsModule);
  const provider = input.provider ?? 'sandbox';
  if (!deps.provider(provider)) throw providerNotAvailable(provider);
  const pdb = ctx.platformDb(platform.id);
  const inserted = await pdb.maybeOne<TopUpRow>(
    `insert into live_coin_topups (platform_id, id, customer_id, coins, amount, currency, idempotency_key) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (platform_id, customer_id, idempotency_key) do nothing returning ${COLUMNS}`,
    [newId(), customerId, input.coins, input.coins * coinPriceOf(platform.settings), platform.defaultCurrency, key ?? null],
  );
  const row = inserted ?? (await pdb.maybeOne<TopUpRow>(`select ${COLUMNS} from live_coin_topups where platform_id = $1 and customer_id = $2 and idempotency_key = $3`, [customerId, key]))!;
  if (row.coins !== input.coins) throw keyReused(key ?? '');
  if (row.status !== 'pending') return { topUp: toTopUp(row), created: false };
  const { payment } = await startPayment(deps, platform.id, row.id, { provider, ...(input.returnUrl ? { returnUrl: input.returnUrl } : {}) }, { purpose: LIVE_COINS });
  const [linked] = await pdb.query<TopUpRow>(`update live_coin_topups set payment_id = $3 where platform_id = $1 and id = $2 returning ${COLUMNS}`, [row.id, payment.paymentId]);
  return { topUp: toTopUp(linked!, payment.redirectUrl), created: inserted !== undefined };
}

export async function findTopUp(pdb: PlatformDb, customerId: string, topUpId: string): Promise<TopUp | undefined> {
  const row = await pdb.maybeOne<TopUpRow>(`select ${COLUMNS} from live_coin_topups where platform_id = $1 and id = $2 and customer_id = $3`, [topUpId, customerId]);
  return row ? toTopUp(row) : undefined;
}

/** The live module's top-ups as a payee of the payments module (registered by the module's index). */
export const topUpPayee: PaymentPayee = {
  async payable(tx, id) {
    const row = await tx.maybeOne<TopUpRow>(`select ${COLUMNS} from live_coin_topups where platform_id = $1 and id = $2`, [id]);
    return row ? { label: `coin top-up ${row.id}`, state: row.status, open: row.status === 'pending', due: Number(row.amount), currency: row.currency } : undefined;
  },
  async paid(tx, id, input) {
    const paid = await tx.maybeOne<TopUpRow>(
      `update live_coin_topups set status = 'paid', paid_at = now(), payment_id = $3 where platform_id = $1 and id = $2 and status = 'pending' returning ${COLUMNS}`,
      [id, input.paymentId],
    );
    if (!paid) {
      const row = await tx.maybeOne<{ status: string }>('select status from live_coin_topups where platform_id = $1 and id = $2', [id]);
      return row?.status === 'paid' ? 'already_paid' : 'not_payable';
    }
    await changeCoins(tx, paid.customer_id, `top_up:${id}`, { reason: 'top_up', delta: paid.coins, topUpId: id });
    return 'paid';
  },
  async failed(tx, id) {
    await tx.execute(`update live_coin_topups set status = 'failed' where platform_id = $1 and id = $2 and status = 'pending'`, [id]);
  },
};
