// Order history as risk signals: the risk module's consumer of order events keeps one row per account
// (orders, cancellations, refunds, unpaid flash-sale orders), a decision whose policy names a history_*
// signal reads it through the node's cache, and a rule on it fires. Real checkouts and a real cancel for
// the cancel rate; for the unpaid flash-sale order, the events the drain and the payment timer emit
// (order.created with a flash-sale source, then order.cancelled for payment_timeout) through the real bus.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { COMMERCE_MODULES, checkout, createShop, readyCart, registerCustomer, stockedVariants } from '../../../test/commerce.ts';
import { waitFor } from '../../../test/wait.ts';
import { riskModule, riskService, type PolicyDocument } from './index.ts';
import { readHistory } from './history.ts';
import { EVENT_CANCELLED, EVENT_CREATED } from '../orders/events.ts';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

eachDatabase('risk order-history signals', (env: TestEnv) => {
  describe('per account', () => {
    it('counts orders, cancellations and unpaid flash-sale orders, and a rule reads them', async () => {
      const shop = await createShop(env, `risk-hist-${randomBytes(3).toString('hex')}`, undefined, [...COMMERCE_MODULES, 'risk']);
      const pdb = env.souk.ctx.platformDb(shop.platform.platform.id);
      const customer = await registerCustomer(shop);
      const [variant] = await stockedVariants(shop, 1, 50);
      const orderIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const cartId = await readyCart(shop, [{ variantId: variant!, quantity: 1 }], { customerToken: customer.token });
        const placed = await checkout(shop, cartId, `hist-${i}-${randomBytes(4).toString('hex')}`, { customerToken: customer.token });
        assert.equal(placed.statusCode, 201, placed.body);
        orderIds.push(placed.json().order?.id ?? placed.json().id);
      }
      const cancelled = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${orderIds[0]}/cancel`, payload: { reason: 'changed my mind' } });
      assert.equal(cancelled.statusCode, 200, cancelled.body);
      await waitFor('the consumer to count two orders and one cancellation', async () => {
        const h = await readHistory(pdb, customer.id);
        return h.orders === 2 && h.cancelled === 1;
      });

      // A flash-sale order left unpaid: created from a ticket, cancelled by its payment timer.
      const flashOrder = `00000000-0000-4000-8000-${randomBytes(6).toString('hex')}`;
      const state = { orderId: flashOrder, number: 'F-1', customerId: customer.id, currency: 'USD', total: 990, paidAmount: 0, refundedAmount: 0 };
      await pdb.transaction(async (tx) => {
        await env.souk.ctx.events.emit(tx, EVENT_CREATED, { orderId: flashOrder, customerId: customer.id, currency: 'USD', total: 990, source: { kind: 'flash_sale', saleId: 's1', ticketId: 't1' }, lines: [] }, { key: flashOrder });
      });
      await pdb.transaction(async (tx) => {
        await env.souk.ctx.events.emit(tx, EVENT_CANCELLED, { ...state, reason: 'payment_timeout', wasPaid: false }, { key: flashOrder });
      });
      const history = await waitFor('the unpaid flash-sale order to count', async () => {
        const h = await readHistory(pdb, customer.id);
        return h.unpaidFlash === 1 ? h : undefined;
      });
      assert.deepEqual(history, { orders: 3, cancelled: 2, refunded: 0, unpaidFlash: 1 });

      // A policy on the history: the decision reads the row (cached per node) and the rule fires.
      const policy: PolicyDocument = {
        rules: [{ id: 'hoarder', when: { all: [{ signal: 'history_unpaid_flash_orders', op: 'gte', value: 1 }, { signal: 'history_cancel_rate', op: 'gt', value: 0.5 }] }, action: 'review' }],
        thresholds: [10, 20, 30, 40],
        actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
      };
      const risk = riskService({ runtime: env.souk.runtimeOf(riskModule), events: env.souk.ctx.events });
      await risk.putPolicy(pdb, 'flash_sale', policy, 'test');
      const decided = await risk.decide(pdb, 'flash_sale', { accountId: customer.id, ip: '81.2.69.7', deviceId: 'dev-h', userAgent: CHROME });
      assert.equal(decided.action, 'review');
      assert.equal(decided.signals.history_orders, 3);
      assert.equal(decided.signals.history_cancel_rate, 2 / 3);
      assert.equal(decided.signals.history_refund_rate, 0);
      assert.equal(decided.signals.history_unpaid_flash_orders, 1);
      const stranger = await risk.decide(pdb, 'flash_sale', { accountId: 'acct-never-ordered', ip: '81.2.69.8', deviceId: 'dev-s', userAgent: CHROME });
      assert.equal(stranger.action, 'allow');
      assert.equal(stranger.signals.history_orders, 0, 'no row: no history, read as zero');
      // A policy that reads no history signal never reads the table.
      const other = await risk.decide(pdb, 'coupon', { accountId: customer.id, ip: '81.2.69.7', deviceId: 'dev-h', userAgent: CHROME });
      assert.equal(other.signals.history_orders, undefined);
    });
  });
});
