// Refunds of coin top-ups, on both engines: an admin refund takes the coins back and returns the money
// through the payments module once; coins already spent on gifts block it; a provider that refuses
// leaves the top-up paid with its coins back; concurrent refunds and a second refund refund nothing
// twice; platforms and roles are kept apart. The money side is checked against the payment rows and
// the sandbox provider's own refund rows, not only the API's answers.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDatabase } from '../../../test/harness.ts';
import { createShop, COMMERCE_MODULES, expectProblem, registerCustomer, type Shop } from '../../../test/commerce.ts';
import { paidTopUp } from '../../../test/live-coins.ts';

const MODULES = [...COMMERCE_MODULES, 'live'];

eachDatabase('live coin top-up refunds', (env) => {
  let a: Shop;
  let b: Shop;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  const refund = (shop: Shop, topUpId: string, payload: Record<string, unknown> = {}) =>
    shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/live/top-ups/${topUpId}/refund`, payload });

  const coins = async (shop: Shop, token: string) => {
    const res = await shop.store({ method: 'GET', url: '/store/live/coins', headers: as(token) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { balance: number; ledger: Array<{ reason: string; delta: number; topUpId: string | null }> };
  };

  /** The money as the database holds it: the payment's refunded amount and the sandbox's own refunds. */
  async function money(paymentId: string): Promise<{ refunded: number; succeeded: number; atProvider: number }> {
    const [payment] = await env.souk.database.query<{ refunded_amount: number | string; provider_ref: string }>('select refunded_amount, provider_ref from payments where id = $1', [paymentId]);
    const [ok] = await env.souk.database.query<{ n: number | string }>(`select count(*) as n from payment_refunds where payment_id = $1 and status = 'succeeded'`, [paymentId]);
    const [sandbox] = await env.souk.database.query<{ sum: number | string | null }>('select sum(amount) as sum from payment_sandbox_refunds where intent_id = $1', [payment!.provider_ref]);
    return { refunded: Number(payment!.refunded_amount), succeeded: Number(ok!.n), atProvider: Number(sandbox!.sum ?? 0) };
  }

  before(async () => {
    a = await createShop(env, 'tr-a', { live: { coinPrice: 3 } }, MODULES);
    b = await createShop(env, 'tr-b', undefined, MODULES);
  });

  describe('a full refund', () => {
    it('takes the coins back, refunds the money once, and records both', async () => {
      const fan = await registerCustomer(a);
      const { topUpId, paymentId } = await paidTopUp(a, fan.token, 40);
      assert.equal((await coins(a, fan.token)).balance, 40);

      const res = await refund(a, topUpId, { reason: 'bought by mistake' });
      assert.equal(res.statusCode, 200, res.body);
      const { topUp, refund: sent } = res.json();
      assert.deepEqual([topUp.status, topUp.customerId, topUp.refundId], ['refunded', fan.id, sent.id]);
      assert.ok(topUp.refundedAt);
      assert.deepEqual([sent.status, sent.amount, sent.reason, sent.kind], ['succeeded', 120, 'bought by mistake', 'admin']);

      const account = await coins(a, fan.token);
      assert.equal(account.balance, 0);
      assert.deepEqual(account.ledger.slice(0, 2).map((e) => [e.reason, e.delta, e.topUpId]), [
        ['top_up_refund', -40, topUpId],
        ['top_up', 40, topUpId],
      ]);
      assert.deepEqual(await money(paymentId), { refunded: 120, succeeded: 1, atProvider: 120 });
      // The shopper sees it too; an order refund's bookkeeping was not touched (there is no order).
      const seen = await a.store({ method: 'GET', url: `/store/live/coins/top-ups/${topUpId}`, headers: as(fan.token) });
      assert.equal(seen.json().status, 'refunded');
      const events = await env.souk.database.query<{ payload: { orderId: string; purpose?: string } }>(
        // One statement, one snapshot: the relay moves an event from the outbox to the log in one transaction.
        `select payload from event_outbox where type = 'payment.refunded' and payload->>'orderId' = $1
         union all select payload from event_log where type = 'payment.refunded' and payload->>'orderId' = $1`,
        [topUpId],
      );
      assert.deepEqual(events.map((e) => e.payload.purpose), ['live_coins']);

      expectProblem(await refund(a, topUpId), 409, 'live_top_up_not_refundable');
      assert.deepEqual(await money(paymentId), { refunded: 120, succeeded: 1, atProvider: 120 }, 'a second refund sends nothing');
    });

    it('refunds once when two admins press at the same moment', async () => {
      const fan = await registerCustomer(a);
      const { topUpId, paymentId } = await paidTopUp(a, fan.token, 25);
      const answers = await Promise.all([refund(a, topUpId), refund(a, topUpId), refund(a, topUpId)]);
      assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 409, 409], answers.map((r) => r.body).join('\n'));
      assert.equal((await coins(a, fan.token)).balance, 0);
      assert.deepEqual(await money(paymentId), { refunded: 75, succeeded: 1, atProvider: 75 });
    });
  });

  describe('refusals change nothing', () => {
    it('refuses when coins went on gifts', async () => {
      const fan = await registerCustomer(a);
      const { topUpId, paymentId } = await paidTopUp(a, fan.token, 30);
      const room = await a.admin({ method: 'POST', url: `/admin/platforms/${a.slug}/live/rooms`, payload: { title: 'Refund night' } });
      const roomId = room.json().id as string;
      assert.equal((await a.admin({ method: 'POST', url: `/admin/platforms/${a.slug}/live/rooms/${roomId}/start` })).statusCode, 200);
      const gift = await a.admin({ method: 'POST', url: `/admin/platforms/${a.slug}/live/gifts`, payload: { name: 'Rose', priceCoins: 5, iconUrl: 'https://img.test/rose.png' } });
      const sent = await a.store({ method: 'POST', url: `/store/live/rooms/${roomId}/gifts`, headers: { ...as(fan.token), 'idempotency-key': 'rf-1' }, payload: { giftId: gift.json().id } });
      assert.equal(sent.statusCode, 200, sent.body);

      const refused = await refund(a, topUpId);
      expectProblem(refused, 409, 'live_refund_coins_spent');
      assert.deepEqual([refused.json().coins, refused.json().balance], [30, 25]);
      const topUp = await a.admin({ method: 'GET', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}` });
      assert.deepEqual([topUp.json().status, topUp.json().refundId], ['paid', null]);
      assert.equal((await coins(a, fan.token)).balance, 25);
      assert.deepEqual(await money(paymentId), { refunded: 0, succeeded: 0, atProvider: 0 });
    });

    it('gives the coins back when the provider refuses the refund, and a later refund can still succeed', async () => {
      const fan = await registerCustomer(a);
      const { topUpId, paymentId } = await paidTopUp(a, fan.token, 10);
      // The money left the sandbox by another way (a chargeback, say): it has nothing more to refund.
      const [payment] = await env.souk.database.query<{ provider_ref: string }>('select provider_ref from payments where id = $1', [paymentId]);
      await env.souk.database.query('update payment_sandbox_intents set refunded_amount = captured_amount where id = $1', [payment!.provider_ref]);

      expectProblem(await refund(a, topUpId), 502, 'refund_failed');
      const after = await a.admin({ method: 'GET', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}` });
      assert.equal(after.json().status, 'paid');
      const account = await coins(a, fan.token);
      assert.equal(account.balance, 10);
      assert.deepEqual(account.ledger.slice(0, 3).map((e) => [e.reason, e.delta]), [['top_up_refund_failed', 10], ['top_up_refund', -10], ['top_up', 10]]);
      assert.deepEqual(await money(paymentId), { refunded: 0, succeeded: 0, atProvider: 0 });

      await env.souk.database.query('update payment_sandbox_intents set refunded_amount = 0 where id = $1', [payment!.provider_ref]);
      const again = await refund(a, topUpId);
      assert.equal(again.statusCode, 200, again.body);
      assert.equal((await coins(a, fan.token)).balance, 0);
      assert.deepEqual(await money(paymentId), { refunded: 30, succeeded: 1, atProvider: 30 });
    });

    it('refuses a pending top-up, an unknown one and bad input', async () => {
      const fan = await registerCustomer(a);
      const pending = await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(fan.token), payload: { coins: 5 } });
      expectProblem(await refund(a, pending.json().id), 409, 'live_top_up_not_refundable');
      expectProblem(await refund(a, '00000000-0000-4000-8000-000000000000'), 404, 'live_top_up_not_found');
      expectProblem(await refund(a, 'not-a-uuid'), 400, 'validation_failed');
      expectProblem(await refund(a, pending.json().id, { reason: '' }), 400, 'validation_failed');
      expectProblem(await refund(a, pending.json().id, { coins: 3 }), 400, 'validation_failed');
    });
  });

  describe('isolation and roles', () => {
    it('keeps another platform\'s admin and support users out', async () => {
      const fan = await registerCustomer(a);
      const { topUpId, paymentId } = await paidTopUp(a, fan.token, 12);
      assert.equal((await b.admin({ method: 'GET', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}` })).statusCode, 404);
      assert.equal((await b.admin({ method: 'POST', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}/refund`, payload: {} })).statusCode, 404);
      expectProblem(await b.admin({ method: 'GET', url: `/admin/platforms/${b.slug}/live/top-ups/${topUpId}` }), 404, 'live_top_up_not_found');
      expectProblem(await b.admin({ method: 'POST', url: `/admin/platforms/${b.slug}/live/top-ups/${topUpId}/refund`, payload: {} }), 404, 'live_top_up_not_found');
      const support = await env.app.inject({ method: 'POST', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}/refund`, headers: as(a.platform.supportToken), payload: {} });
      assert.equal(support.statusCode, 403);
      const read = await env.app.inject({ method: 'GET', url: `/admin/platforms/${a.slug}/live/top-ups/${topUpId}`, headers: as(a.platform.supportToken) });
      assert.equal(read.statusCode, 200, 'support users may look');
      assert.equal((await coins(a, fan.token)).balance, 12);
      assert.deepEqual(await money(paymentId), { refunded: 0, succeeded: 0, atProvider: 0 });
    });
  });
});
