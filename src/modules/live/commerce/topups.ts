// Buying coins: a top-up row (pending) and a payment for it through the payments module, with the
// purpose LIVE_COINS. The payments module calls topUpPayee in the transaction that records the capture,
// so the coins are credited in the same commit as the payment's success, once (the top-up moves
// pending → paid by a conditional update, and the ledger key "top_up:<id>" is unique per customer).
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { iso } from '../../../kernel/cursor.ts';
import { newId } from '../../../kernel/ids.ts';
import { paymentsModule } from '../../payments/index.ts';
import { HttpProblem } from '../../../kernel/http/problem.ts';
import { providerNotAvailable, refundPayeePayment, startPayment, type PaymentPayee, type Refund } from '../../payments/service.ts';
import { coinPriceOf } from '../settings.ts';
import { balanceOf, changeCoins } from './coins.ts';
import { coinsSpent, keyReused, paymentsOff, topUpNotOnPlatform, topUpNotRefundable } from './problems.ts';
import type { AdminTopUp, TopUp, TopUpInput, TopUpRefundInput } from './schemas.ts';

export const LIVE_COINS = 'live_coins';

interface TopUpRow {
  id: string;
  customer_id: string;
  coins: number;
  amount: string | number;
  currency: string;
  status: TopUp['status'];
  payment_id: string | null;
  refund_id: string | null;
  created_at: string;
  paid_at: string | null;
  refunded_at: string | null;
}

const COLUMNS = `id, customer_id, coins, amount, currency, status, payment_id, refund_id, ${iso('created_at')} as created_at, ${iso('paid_at')} as paid_at,
  ${iso('refunded_at')} as refunded_at`;

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
  refundId: row.refund_id,
  refundedAt: row.refunded_at,
});

const toAdminTopUp = (row: TopUpRow): AdminTopUp => ({ ...toTopUp(row), customerId: row.customer_id });

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

export async function findTopUpOnPlatform(pdb: PlatformDb, topUpId: string): Promise<AdminTopUp> {
  const row = await pdb.maybeOne<TopUpRow>(`select ${COLUMNS} from live_coin_topups where platform_id = $1 and id = $2`, [topUpId]);
  if (!row) throw topUpNotOnPlatform(topUpId);
  return toAdminTopUp(row);
}

/**
 * An admin refunds a paid top-up in full. In one transaction the top-up moves paid → refunding and its
 * coins leave the customer's balance (409 live_refund_coins_spent when fewer are left: they went on gifts,
 * and a gift cannot be taken back); the payment's refund is reserved in the same transaction and sent at
 * once. The provider's answer ends it: refunded, or (502 refund_failed) paid again with the coins back.
 */
export async function refundTopUp(ctx: ModuleContext, platform: Platform, topUpId: string, input: TopUpRefundInput, actor: string): Promise<{ topUp: AdminTopUp; refund: Refund }> {
  if (!platform.modules.includes('payments')) throw paymentsOff();
  const { deps } = ctx.runtimeOf(paymentsModule);
  const pdb = ctx.platformDb(platform.id);
  const topUp = await findTopUpOnPlatform(pdb, topUpId);
  if (topUp.status !== 'paid' || !topUp.paymentId) throw topUpNotRefundable(topUp.id, topUp.status);
  const reason = input.reason ?? `coin top-up ${topUp.id} refunded`;
  const refund = await refundPayeePayment(deps, platform.id, { paymentId: topUp.paymentId, amount: topUp.amount, reason, actor }, async (tx) => {
    // The status is the guard against a second refund: the row lock makes concurrent refunds take turns.
    const taken = await tx.maybeOne<{ status: string }>(`update live_coin_topups set status = 'refunding' where platform_id = $1 and id = $2 and status = 'paid' returning status`, [topUpId]);
    if (!taken) {
      const now = await tx.maybeOne<{ status: string }>('select status from live_coin_topups where platform_id = $1 and id = $2', [topUpId]);
      throw topUpNotRefundable(topUpId, now?.status ?? 'missing');
    }
    try {
      // A fresh key per attempt: an earlier refund the provider refused gave its coins back under its own key.
      await changeCoins(tx, topUp.customerId, `top_up_refund:${newId()}`, { reason: 'top_up_refund', delta: -topUp.coins, topUpId });
    } catch (error) {
      if (error instanceof HttpProblem && error.code === 'live_insufficient_coins') throw coinsSpent(topUp.coins, await balanceOf(tx, topUp.customerId));
      throw error;
    }
  });
  return { topUp: await findTopUpOnPlatform(pdb, topUpId), refund };
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
  async refunded(tx, id, input) {
    await tx.execute(`update live_coin_topups set status = 'refunded', refunded_at = now(), refund_id = $3 where platform_id = $1 and id = $2 and status = 'refunding'`, [id, input.refundId]);
  },
  async refundFailed(tx, id, input) {
    const back = await tx.maybeOne<TopUpRow>(
      `update live_coin_topups set status = 'paid', refund_id = $3 where platform_id = $1 and id = $2 and status = 'refunding' returning ${COLUMNS}`,
      [id, input.refundId],
    );
    if (back) await changeCoins(tx, back.customer_id, `top_up_refund_failed:${input.refundId}`, { reason: 'top_up_refund_failed', delta: back.coins, topUpId: id });
  },
};
