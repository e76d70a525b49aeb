// Checkout and orders on each database engine: the concurrency claims (no oversell, coupon budgets, one
// order per idempotency key), the state machine with its history, the unpaid timeout, access rules and
// bad input that changes nothing.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPlatform, eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { waitFor } from '../../../test/wait.ts';
import { checkout, createShop, expectProblem, readyCart, registerCustomer, stockedVariants, stockOf, type Shop } from '../../../test/commerce.ts';

const ORDER_TABLES = ['orders', 'order_lines', 'order_history', 'order_checkouts', 'carts', 'cart_lines', 'inventory_levels', 'inventory_reservations', 'promotions_coupons', 'promotions_redemptions'];

async function orderCount(env: TestEnv, platformId: string, where = 'true'): Promise<number> {
  const rows = await env.souk.database.query<{ n: number }>(`select count(*)::int as n from orders where platform_id = $1 and ${where}`, [platformId]);
  return rows[0]!.n;
}

async function createCoupon(shop: Shop, input: Record<string, unknown>): Promise<string> {
  const res = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: input });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

eachDatabase('orders and checkout', (env) => {
  let shop: Shop;
  let other: Shop;

  before(async () => {
    shop = await createShop(env, 'ord-shop');
    other = await createShop(env, 'ord-other');
  });

  describe('checkout', () => {
    it('turns a guest cart into a pending order: totals, reserved stock, completed cart, history and event', async () => {
      const [a, b] = await stockedVariants(shop, 2, 10, 1250);
      const cartId = await readyCart(shop, [
        { variantId: a!, quantity: 2 },
        { variantId: b!, quantity: 1 },
      ]);
      const res = await checkout(shop, cartId, 'happy-1');
      assert.equal(res.statusCode, 201, res.body);
      const order = res.json();
      assert.equal(order.status, 'pending_payment');
      assert.equal(order.paymentStatus, 'unpaid');
      assert.deepEqual(order.allowedTransitions, ['paid', 'cancelled']);
      assert.equal(order.totals.subtotal, 3750);
      assert.equal(order.totals.total, order.totals.subtotal - order.totals.discount + order.totals.shipping + (order.totals.taxIncluded ? 0 : order.totals.tax));
      assert.equal(order.lines.length, 2);
      assert.match(order.number, /^\d{6}-[0-9A-Z]{8}$/);
      assert.ok(order.accessToken);
      assert.deepEqual(await stockOf(shop, a!), { onHand: 10, reserved: 2, available: 8 });

      const cart = await shop.store({ method: 'GET', url: `/store/carts/${cartId}` });
      assert.equal(cart.json().status, 'completed');
      const again = await shop.store({ method: 'POST', url: `/store/carts/${cartId}/lines`, payload: { variantId: a, quantity: 1 } });
      expectProblem(again, 409, 'cart_completed');

      const read = await shop.store({ method: 'GET', url: `/store/orders/${order.id}`, headers: { 'x-order-token': order.accessToken } });
      assert.equal(read.statusCode, 200, read.body);
      const detail = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` });
      assert.equal(detail.json().history.length, 1);
      assert.equal(detail.json().history[0].toStatus, 'pending_payment');
      const events = await env.souk.database.query<{ n: number }>(
        `select count(*)::int as n from (select type, key from event_outbox union all select type, key from event_log) e where e.type = 'order.created' and e.key = $1`,
        [order.id],
      );
      assert.equal(events[0]!.n, 1);
    });

    it('keeps only a hash of the guest token; the token reads the order; a replay answers with the same token', async () => {
      const [variantId] = await stockedVariants(shop, 1, 10);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
      const order = (await checkout(shop, cartId, 'token-1')).json<{ id: string; accessToken: string }>();
      assert.match(order.accessToken, /^ot_[0-9a-f]{48}$/);
      const [row] = await env.souk.database.query<Record<string, unknown>>('select * from orders where platform_id = $1 and id = $2', [shop.platform.platform.id, order.id]);
      const [claim] = await env.souk.database.query<Record<string, unknown>>('select * from order_checkouts where platform_id = $1 and order_id = $2', [shop.platform.platform.id, order.id]);
      assert.ok(!JSON.stringify(row).includes(order.accessToken), 'the orders row does not hold the token');
      assert.ok(!JSON.stringify(claim).includes(order.accessToken), 'the idempotency row does not hold it readable');
      assert.match(String(row!.access_token_hash), /^[0-9a-f]{64}$/);
      assert.match(String(claim!.access_token_sealed), /^v1\./);
      const read = (token: string) => shop.store({ method: 'GET', url: `/store/orders/${order.id}`, headers: { 'x-order-token': token } });
      assert.equal((await read(order.accessToken)).statusCode, 200);
      expectProblem(await read(order.accessToken.slice(0, -1) + (order.accessToken.endsWith('0') ? '1' : '0')), 404, 'order_not_found');
      expectProblem(await read(String(row!.access_token_hash)), 404, 'order_not_found');

      const replayed = await checkout(shop, cartId, 'token-1');
      assert.equal(replayed.statusCode, 200, replayed.body);
      assert.equal(replayed.json().accessToken, order.accessToken);
      const detail = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` });
      assert.ok(!('accessToken' in detail.json()) && !detail.body.includes(order.accessToken));

      // A checkout from before tokens were hashed has no sealed copy: its replay issues a new token.
      await env.souk.database.execute('update order_checkouts set access_token_sealed = null where platform_id = $1 and order_id = $2', [shop.platform.platform.id, order.id]);
      const reissued = (await checkout(shop, cartId, 'token-1')).json<{ accessToken: string }>();
      assert.notEqual(reissued.accessToken, order.accessToken);
      assert.equal((await read(reissued.accessToken)).statusCode, 200);
      expectProblem(await read(order.accessToken), 404, 'order_not_found');
      assert.equal((await checkout(shop, cartId, 'token-1')).json().accessToken, reissued.accessToken);
    });

    it('500 concurrent checkouts of one unit on stock 50: exactly 50 orders, stock 0, the rest out of stock', async () => {
      const [variantId] = await stockedVariants(shop, 1, 50);
      const carts: string[] = [];
      for (let i = 0; i < 500; i += 1) carts.push(await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { email: `buyer${i}@test.souk` }));
      const results = await Promise.all(carts.map((cartId, i) => checkout(shop, cartId, `rush-${i}`)));
      const created = results.filter((r) => r.statusCode === 201);
      const refused = results.filter((r) => r.statusCode !== 201);
      assert.equal(created.length, 50);
      assert.deepEqual([...new Set(refused.map((r) => `${r.statusCode}:${r.json().code}`))], ['409:out_of_stock']);
      assert.match(refused[0]!.json().detail, /Not enough stock/);
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 50, reserved: 50, available: 0 });
      const ordered = await env.souk.database.query<{ units: number }>(
        `select coalesce(sum(l.quantity), 0)::int as units from order_lines l where l.platform_id = $1 and l.variant_id = $2`,
        [shop.platform.platform.id, variantId],
      );
      assert.equal(ordered[0]!.units, 50);
    });

    it('two cart lines of one variant, bought by many customers at once, never oversell (Medusa #16502)', async () => {
      const [variantId] = await stockedVariants(shop, 1, 30);
      // Each cart holds 2 + 2 units of the same variant on separate lines (different engraving).
      const carts: string[] = [];
      for (let i = 0; i < 40; i += 1) {
        carts.push(
          await readyCart(shop, [
            { variantId: variantId!, quantity: 2, metadata: { engraving: 'A' } },
            { variantId: variantId!, quantity: 2, metadata: { engraving: 'B' } },
          ], { email: `pair${i}@test.souk` }),
        );
      }
      const results = await Promise.all(carts.map((cartId, i) => checkout(shop, cartId, `pair-${i}`)));
      const created = results.filter((r) => r.statusCode === 201).length;
      assert.equal(created, 7, 'floor(30 / 4) orders of 4 units');
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 30, reserved: 28, available: 2 });
      const ordered = await env.souk.database.query<{ units: number }>(
        `select coalesce(sum(quantity), 0)::int as units from order_lines where platform_id = $1 and variant_id = $2`,
        [shop.platform.platform.id, variantId],
      );
      assert.equal(ordered[0]!.units, 28);
    });

    it('the same Idempotency-Key sent 20 times at once gives one order; another request with that key is a 409', async () => {
      const [variantId] = await stockedVariants(shop, 1, 5);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
      const results = await Promise.all(Array.from({ length: 20 }, () => checkout(shop, cartId, 'same-key')));
      assert.deepEqual([...new Set(results.map((r) => r.statusCode))].sort(), [200, 201]);
      assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
      assert.equal(new Set(results.map((r) => r.json().id)).size, 1);
      assert.equal(results.find((r) => r.statusCode === 200)!.headers['idempotent-replayed'], 'true');
      assert.equal(await orderCount(env, shop.platform.platform.id, `cart_id = '${cartId}'`), 1);
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 5, reserved: 1, available: 4 });

      const otherCart = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
      expectProblem(await checkout(shop, otherCart, 'same-key'), 409, 'idempotency_key_reused');
      expectProblem(await checkout(shop, cartId, 'same-key', { payload: { expectedVersion: 999 } }), 409, 'idempotency_key_reused');
    });

    it('a second checkout of a completed cart with a new key is refused', async () => {
      const [variantId] = await stockedVariants(shop, 1, 5);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
      assert.equal((await checkout(shop, cartId, 'first')).statusCode, 201);
      expectProblem(await checkout(shop, cartId, 'second'), 409, 'cart_completed');
    });

    it('100 concurrent checkouts with a 10-use coupon give exactly 10 discounted orders', async () => {
      const [variantId] = await stockedVariants(shop, 1, 1000);
      await createCoupon(shop, { code: 'TENUSES', kind: 'percentage', percent: 10, usageLimit: 10 });
      const carts: string[] = [];
      for (let i = 0; i < 100; i += 1) carts.push(await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { coupon: 'TENUSES', email: `coupon${i}@test.souk` }));
      const results = await Promise.all(carts.map((cartId, i) => checkout(shop, cartId, `coupon-${i}`)));
      const created = results.filter((r) => r.statusCode === 201);
      assert.equal(created.length, 10);
      assert.ok(created.every((r) => r.json().totals.discount === 100 && r.json().couponCode === 'TENUSES'));
      assert.deepEqual([...new Set(results.filter((r) => r.statusCode !== 201).map((r) => r.json().code))], ['coupon_exhausted']);
      assert.equal(await orderCount(env, shop.platform.platform.id, `coupon_code = 'TENUSES'`), 10);
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 1000, reserved: 10, available: 990 });
    });

    it('a once-per-customer coupon holds across concurrent tabs of one customer', async () => {
      const [variantId] = await stockedVariants(shop, 1, 100);
      await createCoupon(shop, { code: 'ONCEEACH', kind: 'fixed', amount: 200, currency: 'USD', perCustomerLimit: 1 });
      const customer = await registerCustomer(shop);
      const carts: string[] = [];
      for (let i = 0; i < 8; i += 1) carts.push(await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { customerToken: customer.token, coupon: 'ONCEEACH' }));
      const results = await Promise.all(carts.map((cartId, i) => checkout(shop, cartId, `tab-${i}`, { customerToken: customer.token })));
      assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
      assert.deepEqual([...new Set(results.filter((r) => r.statusCode !== 201).map((r) => r.json().code))], ['coupon_customer_limit']);
    });
  });

  describe('order lifecycle', () => {
    it('illegal transitions are a 409 naming the allowed ones; cancel gives stock and coupon use back once', async () => {
      const [variantId] = await stockedVariants(shop, 1, 10);
      await createCoupon(shop, { code: 'ONEUSE', kind: 'fixed', amount: 100, currency: 'USD', usageLimit: 1 });
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 3 }], { coupon: 'ONEUSE' });
      const order = (await checkout(shop, cartId, 'life-1')).json();
      const ship = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/fulfillment`, payload: { carrier: 'DHL', trackingNumber: 'T1' } });
      expectProblem(ship, 409, 'illegal_transition');
      assert.deepEqual(ship.json().allowed, ['paid', 'cancelled']);

      const cancel = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/cancel`, payload: { reason: 'customer asked' } });
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.equal(cancel.json().status, 'cancelled');
      assert.deepEqual(cancel.json().allowedTransitions, []);
      assert.equal(cancel.json().history.at(-1).reason, 'customer asked');
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 10, reserved: 0, available: 10 });
      expectProblem(await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/cancel`, payload: { reason: 'again' } }), 409, 'illegal_transition');
      // The single use came back: another cart can take it.
      const next = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { coupon: 'ONEUSE' });
      assert.equal((await checkout(shop, next, 'life-2')).statusCode, 201);
    });

    it('a customer sees their orders and can cancel an unpaid one; another customer and another platform see nothing', async () => {
      const [variantId] = await stockedVariants(shop, 1, 10);
      const alice = await registerCustomer(shop);
      const bob = await registerCustomer(shop);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { customerToken: alice.token });
      const order = (await checkout(shop, cartId, 'alice-1', { customerToken: alice.token })).json();
      assert.equal(order.email, alice.email);
      const mine = await shop.store({ method: 'GET', url: '/store/orders', headers: { authorization: `Bearer ${alice.token}` } });
      assert.deepEqual(mine.json().items.map((o: { id: string }) => o.id), [order.id]);
      const theirs = await shop.store({ method: 'GET', url: '/store/orders', headers: { authorization: `Bearer ${bob.token}` } });
      assert.deepEqual(theirs.json().items, []);
      expectProblem(await shop.store({ method: 'GET', url: `/store/orders/${order.id}`, headers: { authorization: `Bearer ${bob.token}` } }), 404, 'order_not_found');
      expectProblem(await shop.store({ method: 'GET', url: `/store/orders/${order.id}` }), 404, 'order_not_found');
      expectProblem(await other.store({ method: 'GET', url: `/store/orders/${order.id}`, headers: { 'x-order-token': order.accessToken } }), 404, 'order_not_found');
      expectProblem(await other.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` }), 404);
      expectProblem(await other.admin({ method: 'GET', url: `/admin/platforms/${other.slug}/orders/${order.id}` }), 404, 'order_not_found');

      const cancel = await shop.store({ method: 'POST', url: `/store/orders/${order.id}/cancel`, headers: { authorization: `Bearer ${alice.token}` } });
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.equal(cancel.json().status, 'cancelled');
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 10, reserved: 0, available: 10 });
    });

    it('admins filter orders by status and email', async () => {
      const [variantId] = await stockedVariants(shop, 1, 10);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { email: 'Filter.Me@test.souk' });
      const order = (await checkout(shop, cartId, 'filter-1')).json();
      const byEmail = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders?email=filter.me@test.souk` });
      assert.deepEqual(byEmail.json().items.map((o: { id: string }) => o.id), [order.id]);
      const pending = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders?status=pending_payment&limit=2` });
      assert.equal(pending.json().items.length, 2);
      assert.ok(pending.json().nextCursor);
      const page2 = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders?status=pending_payment&limit=2&cursor=${pending.json().nextCursor}` });
      assert.equal(page2.statusCode, 200);
      assert.ok(page2.json().items.every((o: { id: string }) => o.id < pending.json().items[1].id));
      expectProblem(await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders?cursor=nonsense` }), 400, 'invalid_cursor');
    });
  });

  describe('bad input changes nothing', () => {
    it('unknown cart, missing key, other platform, stale version, guest without email, another customer’s cart', async () => {
      const [variantId] = await stockedVariants(shop, 1, 10);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
      const alice = await registerCustomer(shop);
      const aliceCart = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { customerToken: alice.token });
      const before = await tablesFingerprint(env.souk.database, ORDER_TABLES);

      expectProblem(await checkout(shop, '00000000-0000-7000-8000-000000000001', 'bad-1'), 404, 'cart_not_found');
      expectProblem(await shop.store({ method: 'POST', url: `/store/carts/${cartId}/checkout`, payload: {} }), 400);
      expectProblem(await shop.store({ method: 'POST', url: `/store/carts/${cartId}/checkout`, payload: {}, headers: { 'idempotency-key': 'x'.repeat(201) } }), 400);
      expectProblem(await shop.store({ method: 'POST', url: `/store/carts/not-a-uuid/checkout`, payload: {}, headers: { 'idempotency-key': 'k' } }), 400);
      expectProblem(await other.store({ method: 'POST', url: `/store/carts/${cartId}/checkout`, payload: {}, headers: { 'idempotency-key': 'bad-2' } }), 404, 'cart_not_found');
      expectProblem(await checkout(shop, cartId, 'bad-3', { payload: { expectedVersion: 12345 } }), 409, 'cart_stale');
      expectProblem(await checkout(shop, cartId, 'bad-4', { payload: { unknownField: 1 } }), 400);
      expectProblem(await checkout(shop, aliceCart, 'bad-5'), 404, 'cart_not_found');
      expectProblem(await checkout(shop, cartId, 'bad-6', { customerToken: 'sc_not_a_session' }), 401);
      const noEmail = await shop.store({ method: 'POST', url: '/store/carts', payload: {} });
      const noEmailId = noEmail.json().id as string;
      await shop.store({ method: 'POST', url: `/store/carts/${noEmailId}/lines`, payload: { variantId, quantity: 1 } });
      await shop.store({ method: 'PUT', url: `/store/carts/${noEmailId}/shipping-method`, payload: { methodId: 'standard' } });
      const mid = await tablesFingerprint(env.souk.database, ORDER_TABLES);
      expectProblem(await checkout(shop, noEmailId, 'bad-7'), 422, 'email_required');
      assert.equal(await tablesFingerprint(env.souk.database, ORDER_TABLES), mid);
      // The refused checkouts above changed nothing (the no-email cart was set up between the two prints).
      assert.notEqual(before, mid);
      assert.equal(await orderCount(env, shop.platform.platform.id, `cart_id in ('${cartId}', '${aliceCart}', '${noEmailId}')`), 0);
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 10, reserved: 0, available: 10 });
    });

    it('a delivered order needs a complete address (422 shipping_address_required, nothing changes); pickup needs none', async () => {
      const shipShop = await createShop(env, 'ord-address', {
        cart: {
          shippingMethods: [
            { id: 'standard', name: 'Standard', prices: [{ currency: 'USD', amount: 500 }] },
            { id: 'pickup', name: 'Pick up in store', delivery: false, prices: [{ currency: 'USD', amount: 0 }] },
          ],
        },
      });
      const [variant] = await stockedVariants(shipShop, 1, 5);
      await createCoupon(shipShop, { code: 'ADDR1', kind: 'fixed', amount: 100, currency: 'USD', usageLimit: 1 });
      const options = await shipShop.store({ method: 'GET', url: `/store/carts/${await readyCart(shipShop, [{ variantId: variant!, quantity: 1 }])}/shipping-options` });
      assert.deepEqual(options.json().items.map((o: { id: string; delivery: boolean }) => [o.id, o.delivery]), [['standard', true], ['pickup', false]]);

      const noAddress = await readyCart(shipShop, [{ variantId: variant!, quantity: 1 }], { address: null, coupon: 'ADDR1' });
      const partial = await readyCart(shipShop, [{ variantId: variant!, quantity: 1 }], { address: { firstName: 'Ada', line1: '1 Road', city: 'Berlin', country: 'DE' } });
      const before = await tablesFingerprint(env.souk.database, ORDER_TABLES);
      const none = await checkout(shipShop, noAddress, 'addr-1');
      expectProblem(none, 422, 'shipping_address_required');
      assert.deepEqual(none.json().missing, ['name', 'line1', 'city', 'postalCode', 'country']);
      const some = await checkout(shipShop, partial, 'addr-2');
      expectProblem(some, 422, 'shipping_address_required');
      assert.deepEqual(some.json().missing, ['postalCode']);
      assert.match(some.json().detail, /postalCode/);
      // The coupon use was not taken, no stock was reserved, no order or idempotency row was written.
      assert.equal(await tablesFingerprint(env.souk.database, ORDER_TABLES), before);

      // Once the address is complete the same cart (and key) checks out, and the order carries the address.
      const fixed = await shipShop.store({ method: 'PATCH', url: `/store/carts/${partial}`, payload: { shippingAddress: { firstName: 'Ada', line1: '1 Road', city: 'Berlin', postalCode: '10115', country: 'DE' } } });
      assert.equal(fixed.statusCode, 200, fixed.body);
      const placed = await checkout(shipShop, partial, 'addr-2');
      assert.equal(placed.statusCode, 201, placed.body);
      assert.equal(placed.json().shippingAddress.postalCode, '10115');

      // Pickup delivers nothing: no address needed.
      const pickup = await shipShop.store({ method: 'PUT', url: `/store/carts/${noAddress}/shipping-method`, payload: { methodId: 'pickup' } });
      assert.equal(pickup.statusCode, 200, pickup.body);
      const collected = await checkout(shipShop, noAddress, 'addr-3');
      assert.equal(collected.statusCode, 201, collected.body);
      assert.equal(collected.json().shippingAddress, null);
    });

    it('a platform without the orders module answers 404', async () => {
      const res = await env.app.inject({ method: 'GET', url: '/store/orders', headers: (await createShopWithout(env)).store });
      expectProblem(res, 404, 'module_disabled');
    });
  });
});

function createShopWithout(env: TestEnv) {
  return createTestPlatform(env, { slug: 'ord-nomodule', modules: ['catalog'] });
}

eachDatabase(
  'orders: unpaid timeout',
  (env) => {
    it('an unpaid order is cancelled once by its timer, giving stock and coupon use back', async () => {
      const shop = await createShop(env, 'ord-timeout', { orders: { unpaidTimeoutSeconds: 1 } });
      const [variantId] = await stockedVariants(shop, 1, 5);
      await createCoupon(shop, { code: 'QUICK', kind: 'fixed', amount: 100, currency: 'USD', usageLimit: 1 });
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 2 }], { coupon: 'QUICK' });
      const order = (await checkout(shop, cartId, 'timeout-1')).json();
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 5, reserved: 2, available: 3 });
      await waitFor('the payment timeout', async () => (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` })).json().status === 'cancelled', 20_000);
      const detail = (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` })).json();
      assert.equal(detail.cancelReason, 'payment_timeout');
      assert.equal(detail.history.filter((h: { toStatus: string }) => h.toStatus === 'cancelled').length, 1);
      assert.deepEqual(await stockOf(shop, variantId!), { onHand: 5, reserved: 0, available: 5 });
      const coupon = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/coupons?code=QUICK` });
      assert.equal(coupon.json().items[0].timesUsed, 0);
    });
  },
  { eventsPollMs: 20 },
);
