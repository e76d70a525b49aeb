// Orders held for review by the risk engine (issue 14): a checkout or flash-sale purchase whose verdict is
// "review" becomes an on_hold order that keeps its stock and coupon use but can be neither paid nor
// shipped; an admin approves it (payable, with a fresh payment window) or rejects it (cancelled, stock
// and coupon use returned); the history says who and why, and order.held / approved / rejected are
// emitted. Checkout and payment are screened: a deny leaves no order and opens no payment. Decisions
// about an order are found by its id.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { asBearer, eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { COMMERCE_MODULES, createShop, expectProblem, readyCart, registerCustomer, stockedVariants, stockOf, type Shop } from '../../../test/commerce.ts';
import { waitFor } from '../../../test/wait.ts';
import { riskModule } from '../risk/index.ts';
import { device, devicePolicy, putPolicy } from '../../../test/risk-fixtures.ts';

/** dev-review is held, dev-farm denied; everyone else allowed. */
const policy = devicePolicy([
  { id: 'look-closer', description: 'A device the shop wants a person to look at', device: 'dev-review', action: 'review' },
  { id: 'farm-device', description: 'A device seen farming', device: 'dev-farm', action: 'deny' },
]);

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}-${randomBytes(2).toString('hex')}`;

interface OrderView {
  id: string;
  number: string;
  status: string;
  allowedTransitions: string[];
  hold: { decisionId: string; point: string; level: number; reason: string; rules: { rule: string; description?: string }[] } | null;
  history?: { fromStatus: string | null; toStatus: string | null; actor: string; reason: string | null; data: Record<string, unknown> }[];
  cancelReason: string | null;
}

eachDatabase('orders held for review', (env: TestEnv) => {
  let shop: Shop;
  let other: Shop;
  let variant = '';
  let couponId = '';

  const adminOrder = async (orderId: string): Promise<OrderView> => {
    const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${orderId}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as OrderView;
  };
  const timesUsed = async () => (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/coupons/${couponId}` })).json().timesUsed as number;
  const eventsOf = async (orderId: string) =>
    (
      await env.souk.database.query<{ type: string }>(
        `select type from (select type, key, id from event_outbox union all select type, key, id from event_log) e where e.key = $1 and e.type like 'order.%' order by id`,
        [orderId],
      )
    ).map((e) => e.type);
  /** A customer's checkout of one unit with the coupon, from `dev`. */
  const checkoutFrom = async (dev: string, customer: { token: string }) => {
    const cartId = await readyCart(shop, [{ variantId: variant, quantity: 1 }], { customerToken: customer.token });
    const auth = { authorization: `Bearer ${customer.token}` };
    const coupon = await shop.store({ method: 'PUT', url: `/store/carts/${cartId}/coupon`, payload: { code: 'HELD10' }, headers: { ...auth, ...device('dev-ok') } });
    assert.equal(coupon.statusCode, 200, coupon.body);
    const res = await shop.store({ method: 'POST', url: `/store/carts/${cartId}/checkout`, payload: {}, headers: { ...auth, ...device(dev), 'idempotency-key': unique('k') } });
    return { res, cartId };
  };
  const startPayment = (orderId: string, customer: { token: string }, dev: string) =>
    shop.store({ method: 'POST', url: `/store/orders/${orderId}/payments`, payload: { provider: 'sandbox' }, headers: { authorization: `Bearer ${customer.token}`, ...device(dev) } });

  before(async () => {
    shop = await createShop(env, unique('rv'), { 'flash-sales': { purchasesPerIpPerMinute: 1_000_000, purchasesPerDevicePerMinute: 1_000_000 } }, [...COMMERCE_MODULES, 'risk']);
    other = await createShop(env, unique('rv'), undefined, [...COMMERCE_MODULES, 'risk']);
    for (const point of ['signup', 'login', 'coupon', 'checkout', 'payment', 'flash_sale']) await putPolicy(env, shop, point, policy);
    variant = (await stockedVariants(shop, 1, 100))[0]!;
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'HELD10', kind: 'percentage', percent: 10 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
    couponId = coupon.json().id;
  });

  it('a checkout whose verdict is review is created on_hold with its decision and reason; it cannot be paid or shipped', async () => {
    const customer = await registerCustomer(shop);
    const stockBefore = await stockOf(shop, variant);
    const usedBefore = await timesUsed();
    const { res } = await checkoutFrom('dev-review', customer);
    assert.equal(res.statusCode, 201, res.body);
    const order = res.json() as OrderView;
    assert.equal(order.status, 'on_hold');
    assert.deepEqual(order.allowedTransitions, ['pending_payment', 'cancelled']);
    assert.equal(order.hold?.point, 'checkout');
    assert.ok(order.hold?.decisionId);
    assert.match(order.hold!.reason, /A device the shop wants a person to look at/);
    assert.deepEqual(order.hold!.rules.map((r) => r.rule), ['look-closer']);
    // Stock and the coupon use are kept while it waits.
    assert.equal((await stockOf(shop, variant)).reserved, stockBefore.reserved + 1);
    assert.equal(await timesUsed(), usedBefore + 1);

    expectProblem(await startPayment(order.id, customer, 'dev-ok'), 409, 'order_not_payable');
    const ship = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/fulfillment`, payload: { carrier: 'DHL', trackingNumber: 'T1' } });
    expectProblem(ship, 409, 'illegal_transition');
    // A capture notice that reached a held order anyway is not applied (the payments module refunds it).
    const { ordersService } = await import('./service.ts');
    const pdb = env.souk.ctx.platformDb(shop.platform.platform.id);
    const marked = await pdb.transaction((tx) => ordersService(env.souk.ctx).markPaid(tx, order.id, { amount: 900, currency: 'USD', paymentId: 'p-test', provider: 'sandbox' }));
    assert.equal(marked.outcome, 'not_payable');
    assert.equal((await adminOrder(order.id)).status, 'on_hold');

    // The review queue shows it with the decision; the decision is stored and found by the order.
    const queue = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/review-queue` });
    assert.equal(queue.statusCode, 200, queue.body);
    const queued = (queue.json().items as OrderView[]).find((o) => o.id === order.id);
    assert.equal(queued?.hold?.decisionId, order.hold!.decisionId);
    await env.souk.runtimeOf(riskModule).recorder.flush();
    const decisions = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/risk/decisions?orderId=${order.id}` });
    assert.equal(decisions.statusCode, 200, decisions.body);
    assert.deepEqual(decisions.json().items.map((d: { id: string; action: string }) => [d.id, d.action]), [[order.hold!.decisionId, 'review']]);
    assert.deepEqual(await eventsOf(order.id), ['order.created', 'order.held']);
  });

  it('approve: the held order becomes payable; the history records who approved it and why', async () => {
    const customer = await registerCustomer(shop);
    const order = (await checkoutFrom('dev-review', customer)).res.json() as OrderView;
    const approved = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/approve`, payload: { note: 'called the customer' } });
    assert.equal(approved.statusCode, 200, approved.body);
    const view = approved.json() as OrderView;
    assert.equal(view.status, 'pending_payment');
    assert.ok(view.hold, 'the order still says why it was held');
    const entry = view.history!.at(-1)!;
    assert.deepEqual([entry.fromStatus, entry.toStatus, entry.reason, entry.data.review], ['on_hold', 'pending_payment', 'called the customer', 'approved']);
    assert.match(entry.actor, /^admin_user:|^api_key:/);
    // Gone from the queue, and now it can be paid (screened at the payment point: this device is fine).
    const queue = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/review-queue` });
    assert.ok(!(queue.json().items as OrderView[]).some((o) => o.id === order.id));
    assert.equal((await startPayment(order.id, customer, 'dev-ok')).statusCode, 201);
    assert.deepEqual(await eventsOf(order.id), ['order.created', 'order.held', 'order.approved']);
    // Approving twice, or rejecting an approved order, is refused.
    expectProblem(await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/approve`, payload: {} }), 409, 'order_not_held');
    expectProblem(await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/reject`, payload: { reason: 'x' } }), 409, 'order_not_held');
  });

  it('reject: the held order is cancelled, its stock and coupon use come back, the history says who and why', async () => {
    const customer = await registerCustomer(shop);
    const stockBefore = await stockOf(shop, variant);
    const usedBefore = await timesUsed();
    const order = (await checkoutFrom('dev-review', customer)).res.json() as OrderView;
    assert.equal(await timesUsed(), usedBefore + 1);
    const rejected = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/reject`, payload: { reason: 'one of the farm accounts' } });
    assert.equal(rejected.statusCode, 200, rejected.body);
    const view = rejected.json() as OrderView;
    assert.equal(view.status, 'cancelled');
    assert.match(view.cancelReason!, /one of the farm accounts/);
    const entry = view.history!.at(-1)!;
    assert.deepEqual([entry.fromStatus, entry.toStatus], ['on_hold', 'cancelled']);
    assert.match(entry.reason!, /rejected after review: one of the farm accounts/);
    assert.match(entry.actor, /^admin_user:|^api_key:/);
    assert.deepEqual(await stockOf(shop, variant), stockBefore);
    assert.equal(await timesUsed(), usedBefore);
    assert.deepEqual(await eventsOf(order.id), ['order.created', 'order.held', 'order.cancelled', 'order.rejected']);
    expectProblem(await startPayment(order.id, customer, 'dev-ok'), 409, 'order_not_payable');
    // Bad input changes nothing.
    const missing = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/reject`, payload: {} });
    assert.equal(missing.statusCode, 400);
  });

  it('a denied checkout leaves no order, no coupon use and no stock taken; the cart stays open', async () => {
    const customer = await registerCustomer(shop);
    const stockBefore = await stockOf(shop, variant);
    const usedBefore = await timesUsed();
    const { res, cartId } = await checkoutFrom('dev-farm', customer);
    expectProblem(res, 403, 'risk_denied');
    assert.match(res.json().detail, /A device seen farming/);
    assert.deepEqual(await stockOf(shop, variant), stockBefore);
    assert.equal(await timesUsed(), usedBefore);
    const cart = await shop.store({ method: 'GET', url: `/store/carts/${cartId}`, headers: { authorization: `Bearer ${customer.token}` } });
    assert.equal(cart.statusCode, 200, cart.body);
    assert.notEqual(cart.json().status, 'completed');
  });

  it('payment is screened before the provider is called: a denied device opens no payment', async () => {
    const customer = await registerCustomer(shop);
    const order = (await checkoutFrom('dev-ok', customer)).res.json() as OrderView;
    assert.equal(order.status, 'pending_payment');
    const denied = await startPayment(order.id, customer, 'dev-farm');
    expectProblem(denied, 403, 'risk_denied');
    const payments = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}/payments` });
    assert.equal(payments.statusCode, 200, payments.body);
    assert.equal(payments.json().items.length, 0);
    assert.equal((await startPayment(order.id, customer, 'dev-ok')).statusCode, 201);
    await env.souk.runtimeOf(riskModule).recorder.flush();
    const found = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/risk/decisions?orderId=${order.id}&point=payment` });
    assert.ok(found.json().items.some((d: { id: string; action: string }) => d.id === denied.json().decisionId && d.action === 'deny'));
  });

  it('a flash-sale purchase whose verdict is review wins its unit; its order is created on_hold, and reject gives the unit back to the sale', async () => {
    const saleVariant = (await stockedVariants(shop, 1, 10))[0]!;
    const sale = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${shop.slug}/flash-sales`,
      payload: { name: 'Held sale', startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), items: [{ variantId: saleVariant, salePrice: 500, quantity: 3 }] },
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const saleId = sale.json().id as string;
    const buyer = await registerCustomer(shop);
    const bought = await shop.store({ method: 'POST', url: `/store/flash-sales/${saleId}/purchase`, payload: { variantId: saleVariant }, headers: { authorization: `Bearer ${buyer.token}`, ...device('dev-review') } });
    assert.equal(bought.statusCode, 202, bought.body);
    assert.equal(bought.json().held, true);
    const ticketId = bought.json().ticketId as string;
    let orderId = '';
    await waitFor('the drain', async () => {
      const polled = await shop.store({ method: 'GET', url: `/store/flash-sales/tickets/${ticketId}`, headers: { authorization: `Bearer ${buyer.token}` } });
      orderId = polled.json().orderId ?? '';
      return polled.json().status === 'ordered';
    }, 30_000, 100);
    const order = await adminOrder(orderId);
    assert.equal(order.status, 'on_hold');
    assert.equal(order.hold?.point, 'flash_sale');
    assert.match(order.hold!.reason, /A device the shop wants a person to look at/);
    expectProblem(await startPayment(orderId, buyer, 'dev-ok'), 409, 'order_not_payable');
    assert.deepEqual(await eventsOf(orderId), ['order.created', 'order.held']);

    const rejected = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${orderId}/reject`, payload: { reason: 'farm' } });
    assert.equal(rejected.statusCode, 200, rejected.body);
    const remaining = async () => (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/stats` })).json().items[0].remaining as number;
    await waitFor('the unit back in the sale', async () => (await remaining()) === 3, 20_000, 100);
  });

  it('another platform’s admin sees none of the review queue and cannot approve', async () => {
    const customer = await registerCustomer(shop);
    const order = (await checkoutFrom('dev-review', customer)).res.json() as OrderView;
    const queue = await asBearer(env.app, other.platform.adminToken, { method: 'GET', url: `/admin/platforms/${other.slug}/orders/review-queue` });
    assert.equal(queue.statusCode, 200, queue.body);
    assert.equal(queue.json().items.length, 0);
    const approve = await asBearer(env.app, other.platform.adminToken, { method: 'POST', url: `/admin/platforms/${other.slug}/orders/${order.id}/approve`, payload: {} });
    expectProblem(approve, 404, 'order_not_found');
    const peek = await asBearer(env.app, other.platform.adminToken, { method: 'GET', url: `/admin/platforms/${shop.slug}/orders/review-queue` });
    assert.equal(peek.statusCode, 404);
    assert.equal((await adminOrder(order.id)).status, 'on_hold');
  });

  describe('the review deadline', () => {
    it('a held order nobody reviews is cancelled by its timer with reason review_timeout', async () => {
      const customer = await registerCustomer(shop);
      const order = (await checkoutFrom('dev-review', customer)).res.json() as OrderView;
      // Fire the order's timer now instead of in three days.
      await env.souk.database.query(`update event_timers set fire_at = now() where key = $1`, [order.id]);
      await waitFor('the review timeout', async () => (await adminOrder(order.id)).status === 'cancelled', 20_000, 100);
      assert.equal((await adminOrder(order.id)).cancelReason, 'review_timeout');
    });
  });
});
