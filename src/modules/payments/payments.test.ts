// Payments: the webhook signature (unit), then on each database engine the whole flow from a real
// checkout: start a payment, the hosted sandbox page, approve / decline, webhooks replayed concurrently
// and out of order, bad signatures and amounts that change nothing, refunds (partial, full, too much,
// concurrent), refunds on cancellation, money for an order already cancelled, and the tenancy edges.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { waitFor } from '../../../test/wait.ts';
import { checkout, createShop, expectProblem, readyCart, registerCustomer, stockedVariants, stockOf, type Shop } from '../../../test/commerce.ts';
import { signPayload, verifySignature } from './signature.ts';
import { paymentsModule, signedSandboxWebhook, type SignedSandboxWebhook } from './index.ts';

const TABLES = ['payments', 'payment_events', 'payment_refunds', 'payment_sandbox_intents', 'payment_sandbox_refunds', 'orders', 'order_history', 'inventory_levels', 'inventory_reservations'];

describe('sandbox webhook signature', () => {
  const secret = 'sbxsec_test_secret_0123456789';
  const body = '{"id":"evt_1","type":"payment.succeeded"}';
  const now = 1_800_000_000;

  it('accepts its own signature within the tolerance, either side of now', () => {
    assert.equal(verifySignature(secret, signPayload(secret, now, body), body, { nowMs: now * 1000 }), true);
    assert.equal(verifySignature(secret, signPayload(secret, now - 299, body), body, { nowMs: now * 1000 }), true);
    assert.equal(verifySignature(secret, signPayload(secret, now + 299, Buffer.from(body)), Buffer.from(body), { nowMs: now * 1000 }), true);
    assert.match(signPayload(secret, now, body), /^t=1800000000,v1=[0-9a-f]{64}$/);
  });

  it('refuses another secret, a changed body, a stale or future timestamp, and malformed headers', () => {
    const header = signPayload(secret, now, body);
    assert.equal(verifySignature('another-secret-123456', header, body, { nowMs: now * 1000 }), false);
    assert.equal(verifySignature(secret, header, body.replace('succeeded', 'failed'), { nowMs: now * 1000 }), false);
    assert.equal(verifySignature(secret, signPayload(secret, now - 301, body), body, { nowMs: now * 1000 }), false);
    assert.equal(verifySignature(secret, signPayload(secret, now + 301, body), body, { nowMs: now * 1000 }), false);
    // The timestamp is signed: moving it to now breaks the signature.
    assert.equal(verifySignature(secret, signPayload(secret, now - 3600, body).replace(`t=${now - 3600}`, `t=${now}`), body, { nowMs: now * 1000 }), false);
    for (const bad of [undefined, '', 'garbage', `t=${now}`, `v1=${'a'.repeat(64)}`, `t=abc,v1=${'a'.repeat(64)}`, `t=${now},v1=xyz`, ['a', 'b']]) {
      assert.equal(verifySignature(secret, bad as string | undefined, body, { nowMs: now * 1000 }), false, String(bad));
    }
    assert.equal(verifySignature('', header, body, { nowMs: now * 1000 }), false);
  });

  it('accepts a header with several v1 values when one matches (rotation)', () => {
    const good = signPayload(secret, now, body);
    const other = signPayload('old-secret-0123456789', now, body).split(',')[1];
    assert.equal(verifySignature(secret, `${good},${other}`, body, { nowMs: now * 1000 }), true);
    assert.equal(verifySignature(secret, `t=${now},${other}`, body, { nowMs: now * 1000 }), false);
  });
});

interface PlacedOrder {
  id: string;
  number: string;
  total: number;
  token: string;
  variantId: string;
}

eachDatabase('payments', (env: TestEnv) => {
  let shop: Shop;
  let other: Shop;
  let caseNo = 0;

  before(async () => {
    shop = await createShop(env, 'pay-shop');
    other = await createShop(env, 'pay-other');
  });

  const fingerprint = () => tablesFingerprint(env.souk.database, TABLES);

  /** A real checkout: a stocked product, a guest cart, an order awaiting payment. */
  async function placeOrder(quantity = 1, price = 2000, s: Shop = shop): Promise<PlacedOrder> {
    caseNo += 1;
    const [variantId] = await stockedVariants(s, 1, 10, price);
    const cartId = await readyCart(s, [{ variantId: variantId!, quantity }]);
    const res = await checkout(s, cartId, `pay-${caseNo}`);
    assert.equal(res.statusCode, 201, res.body);
    const order = res.json();
    return { id: order.id, number: order.number, total: order.totals.total, token: order.accessToken, variantId: variantId! };
  }

  const startPayment = (order: PlacedOrder, payload: Record<string, unknown> = { provider: 'sandbox' }, s: Shop = shop) =>
    s.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, payload, headers: { 'x-order-token': order.token } });

  async function openPayment(order: PlacedOrder, payload?: Record<string, unknown>): Promise<{ paymentId: string; redirectUrl: string }> {
    const res = await startPayment(order, payload);
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }

  const postWebhook = (signed: SignedSandboxWebhook, s: Shop = shop): Promise<LightMyRequestResponse> =>
    s.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });

  const webhook = (paymentId: string, extra: Omit<Parameters<typeof signedSandboxWebhook>[1], 'platformId' | 'paymentId'> = {}) =>
    signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId, ...extra });

  const orderOf = async (order: PlacedOrder) => {
    const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const paymentsOf = async (order: PlacedOrder) => {
    const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}/payments` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().items as { id: string; status: string; capturedAmount: number; refundedAmount: number; refunds: { kind: string; status: string; amount: number }[]; events: { outcome: string; type: string }[] }[];
  };
  const refund = (order: PlacedOrder, amount: number, reason = 'customer asked') =>
    shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/refunds`, payload: { amount, reason } });
  const eventCount = async (type: string, key: string) =>
    (
      await env.souk.database.query<{ n: number }>(
        'select count(*)::int as n from (select type, key from event_outbox union all select type, key from event_log) e where e.type = $1 and e.key = $2',
        [type, key],
      )
    )[0]!.n;

  /** Pays an order through the signed-webhook helper (no hosted page). */
  async function paidOrder(price = 2000): Promise<PlacedOrder & { paymentId: string }> {
    const order = await placeOrder(1, price);
    const { paymentId } = await openPayment(order);
    const res = await postWebhook(await webhook(paymentId));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().outcome, 'applied');
    return { ...order, paymentId };
  }

  describe('starting a payment', () => {
    it('opens one sandbox payment for the order total; a second start returns the same one', async () => {
      const order = await placeOrder(2, 1500);
      const first = await startPayment(order, { provider: 'sandbox', returnUrl: 'https://shop.example/thanks?x=1' });
      assert.equal(first.statusCode, 201, first.body);
      const started = first.json();
      assert.equal(started.amount, order.total);
      assert.equal(started.currency, 'USD');
      assert.equal(started.status, 'requires_action');
      assert.match(started.redirectUrl, new RegExp(`/pay/sandbox/${shop.platform.platform.id}/${started.paymentId}$`));
      const again = await startPayment(order);
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().paymentId, started.paymentId);
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => startPayment(order)));
      assert.deepEqual([...new Set(concurrent.map((r) => r.json().paymentId))], [started.paymentId]);

      const read = await shop.store({ method: 'GET', url: `/store/payments/${started.paymentId}`, headers: { 'x-order-token': order.token } });
      assert.equal(read.statusCode, 200, read.body);
      assert.equal(read.json().status, 'requires_action');
      assert.equal(read.json().orderId, order.id);
    });

    it("a customer's order is paid with the customer's session; another customer gets 404", async () => {
      const customer = await registerCustomer(shop);
      const stranger = await registerCustomer(shop);
      const [variantId] = await stockedVariants(shop, 1, 5, 1200);
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { customerToken: customer.token });
      const placed = await checkout(shop, cartId, `customer-${cartId}`, { customerToken: customer.token });
      assert.equal(placed.statusCode, 201, placed.body);
      const orderId = placed.json().id as string;
      const pay = (token: string) =>
        shop.store({ method: 'POST', url: `/store/orders/${orderId}/payments`, payload: { provider: 'sandbox' }, headers: { authorization: `Bearer ${token}` } });
      expectProblem(await pay(stranger.token), 404, 'order_not_found');
      const res = await pay(customer.token);
      assert.equal(res.statusCode, 201, res.body);
      const read = await shop.store({ method: 'GET', url: `/store/payments/${res.json().paymentId}`, headers: { authorization: `Bearer ${customer.token}` } });
      assert.equal(read.statusCode, 200, read.body);
      // The refusal names only what the stranger sent (the payment id), never the order behind it.
      const refused = await shop.store({ method: 'GET', url: `/store/payments/${res.json().paymentId}`, headers: { authorization: `Bearer ${stranger.token}` } });
      expectProblem(refused, 404, 'payment_not_found');
      assert.ok(!refused.body.includes(orderId), refused.body);
    });

    it('needs the order token (or the customer), a pending order, and a known provider; refusals change nothing', async () => {
      const order = await placeOrder();
      const before = await fingerprint();
      expectProblem(await shop.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, payload: { provider: 'sandbox' } }), 404, 'order_not_found');
      expectProblem(await shop.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, payload: { provider: 'sandbox' }, headers: { 'x-order-token': 'wrong' } }), 404, 'order_not_found');
      expectProblem(await startPayment(order, { provider: 'paypal' }), 400, 'validation_failed');
      expectProblem(await startPayment(order, { provider: 'sandbox', returnUrl: 'javascript:alert(1)' }), 400, 'validation_failed');
      expectProblem(await startPayment(order, { provider: 'sandbox', extra: 1 }), 400, 'validation_failed');
      // Another platform's storefront does not know the order.
      expectProblem(await startPayment(order, { provider: 'sandbox' }, other), 404, 'order_not_found');
      assert.equal(await fingerprint(), before);

      const { paymentId } = await openPayment(order);
      const read = await shop.store({ method: 'GET', url: `/store/payments/${paymentId}` });
      expectProblem(read, 404, 'payment_not_found');
      assert.ok(!read.body.includes(order.id), read.body);
      const wrongToken = await shop.store({ method: 'GET', url: `/store/payments/${paymentId}`, headers: { 'x-order-token': 'wrong' } });
      expectProblem(wrongToken, 404, 'payment_not_found');
      assert.ok(!wrongToken.body.includes(order.id), wrongToken.body);
      expectProblem(await other.store({ method: 'GET', url: `/store/payments/${paymentId}`, headers: { 'x-order-token': order.token } }), 404, 'payment_not_found');

      const cancelled = await placeOrder();
      const cancel = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${cancelled.id}/cancel`, payload: { reason: 'test' } });
      assert.equal(cancel.statusCode, 200, cancel.body);
      expectProblem(await startPayment(cancelled), 409, 'order_not_payable');
    });
  });

  describe('hosted sandbox page', () => {
    it('renders the amount with Approve / Decline; approve sends the signed webhook and the order is paid, stock committed', async () => {
      const order = await placeOrder(2, 1500);
      const { paymentId, redirectUrl } = await openPayment(order);
      const path = new URL(redirectUrl).pathname;
      const page = await env.app.inject({ method: 'GET', url: path });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.body, new RegExp(`data-amount="${order.total}"`));
      assert.match(page.body, /\$\d+\.\d\d/);
      assert.match(page.body, new RegExp(order.number));
      assert.match(page.body, new RegExp(`action="${path}/approve"`));
      assert.match(page.body, new RegExp(`action="${path}/decline"`));

      // The browser's form post: urlencoded, empty.
      const approved = await env.app.inject({ method: 'POST', url: `${path}/approve`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
      assert.equal(approved.statusCode, 200, approved.body);
      assert.match(approved.body, /Payment approved/);
      await waitFor('order paid', async () => (await orderOf(order)).status === 'paid');
      const [payment] = await paymentsOf(order);
      assert.equal(payment!.status, 'succeeded');
      assert.equal(payment!.capturedAmount, order.total);
      assert.deepEqual(await stockOf(shop, order.variantId), { onHand: 8, reserved: 0, available: 8 });

      // A second click (or a decline afterwards) decides nothing and sends nothing.
      const again = await env.app.inject({ method: 'POST', url: `${path}/decline` });
      assert.equal(again.statusCode, 200, again.body);
      assert.match(again.body, /Payment approved/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await paymentsOf(order))[0]!.events.length, 1);
      assert.equal(await eventCount('order.paid', order.id), 1);
      const read = await shop.store({ method: 'GET', url: `/store/payments/${paymentId}`, headers: { 'x-order-token': order.token } });
      assert.equal(read.json().status, 'succeeded');
    });

    it('decline cancels the order and gives the stock back; with a return URL the shopper is sent back', async () => {
      const order = await placeOrder(3, 1000);
      assert.deepEqual(await stockOf(shop, order.variantId), { onHand: 10, reserved: 3, available: 7 });
      const { paymentId, redirectUrl } = await openPayment(order, { provider: 'sandbox', returnUrl: 'https://shop.example/return?step=pay' });
      const path = new URL(redirectUrl).pathname;
      const declined = await env.app.inject({ method: 'POST', url: `${path}/decline` });
      assert.equal(declined.statusCode, 303, declined.body);
      const location = new URL(String(declined.headers.location));
      assert.equal(location.origin + location.pathname, 'https://shop.example/return');
      assert.equal(location.searchParams.get('step'), 'pay');
      assert.equal(location.searchParams.get('paymentId'), paymentId);
      assert.equal(location.searchParams.get('status'), 'declined');
      await waitFor('order cancelled', async () => (await orderOf(order)).status === 'cancelled');
      assert.deepEqual(await stockOf(shop, order.variantId), { onHand: 10, reserved: 0, available: 10 });
      const [payment] = await paymentsOf(order);
      assert.equal(payment!.status, 'failed');
      const page = await env.app.inject({ method: 'GET', url: path });
      assert.match(page.body, /Payment declined/);
      assert.doesNotMatch(page.body, /<form/);
    });

    it("answers 404 for another platform's id, an unknown payment, or a platform without payments", async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      const before = await fingerprint();
      expectProblem(await env.app.inject({ method: 'GET', url: `/pay/sandbox/${other.platform.platform.id}/${paymentId}` }), 404, 'payment_not_found');
      expectProblem(await env.app.inject({ method: 'POST', url: `/pay/sandbox/${other.platform.platform.id}/${paymentId}/approve` }), 404, 'payment_not_found');
      expectProblem(await env.app.inject({ method: 'GET', url: `/pay/sandbox/${shop.platform.platform.id}/${order.id}` }), 404, 'payment_not_found');
      expectProblem(await env.app.inject({ method: 'GET', url: `/pay/sandbox/not-a-uuid/${paymentId}` }), 400, 'validation_failed');
      assert.equal(await fingerprint(), before);
    });
  });

  describe('webhooks', () => {
    it('the same event 10× concurrently, other success events and a late failure: one capture, the order paid once', async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      const success = await webhook(paymentId);
      const others = await Promise.all(Array.from({ length: 4 }, () => webhook(paymentId)));
      const failure = await webhook(paymentId, { type: 'payment.failed' });
      const results = await Promise.all([...Array.from({ length: 10 }, () => postWebhook(success)), ...others.map((w) => postWebhook(w))]);
      for (const res of results) assert.equal(res.statusCode, 200, res.body);
      const outcomes = results.map((r) => r.json().outcome as string);
      assert.equal(outcomes.filter((o) => o === 'applied').length, 1, outcomes.join());
      const late = await postWebhook(failure);
      assert.equal(late.statusCode, 200, late.body);
      assert.equal(late.json().outcome, 'ignored');
      assert.equal(late.json().status, 'succeeded');
      // A redelivery of the late failure is a duplicate.
      assert.equal((await postWebhook(failure)).json().outcome, 'duplicate');

      const payments = await paymentsOf(order);
      assert.equal(payments.length, 1);
      assert.equal(payments[0]!.status, 'succeeded');
      assert.equal(payments[0]!.capturedAmount, order.total);
      assert.equal(payments[0]!.events.filter((e) => e.outcome === 'applied').length, 1);
      assert.equal(payments[0]!.events.length, 6);
      const detail = await orderOf(order);
      assert.equal(detail.status, 'paid');
      assert.equal(detail.paidAmount, order.total);
      assert.equal(detail.history.filter((h: { toStatus: string | null }) => h.toStatus === 'paid').length, 1);
      assert.equal(await eventCount('order.paid', order.id), 1);
      assert.equal(await eventCount('payment.succeeded', order.id), 1);
      assert.deepEqual(await stockOf(shop, order.variantId), { onHand: 9, reserved: 0, available: 9 });
    });

    it('20 deliveries of one event at once: one applied, 19 duplicates, one event row; then 20 of a late failure: one ignored, 19 duplicates', async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      const success = await webhook(paymentId);
      const failure = await webhook(paymentId, { type: 'payment.failed' });
      const rowsOf = async () =>
        (await env.souk.database.query<{ outcome: string }>('select outcome from payment_events where payment_id = $1 order by outcome', [paymentId])).map((r) => r.outcome);
      for (const [signed, first, status, rows] of [
        [success, 'applied', 'succeeded', ['applied']],
        [failure, 'ignored', 'succeeded', ['applied', 'ignored']],
      ] as const) {
        const results = await Promise.all(Array.from({ length: 20 }, () => postWebhook(signed)));
        for (const res of results) assert.equal(res.statusCode, 200, res.body);
        const outcomes = results.map((r) => r.json().outcome as string).sort();
        // A delivery that waited for the row lock while another committed is still a duplicate.
        assert.deepEqual(outcomes, [first, ...Array.from({ length: 19 }, () => 'duplicate')].sort(), outcomes.join());
        for (const res of results) assert.equal(res.json().status, status);
        assert.deepEqual(await rowsOf(), rows);
      }
      const detail = await orderOf(order);
      assert.deepEqual({ status: detail.status, paid: detail.paidAmount }, { status: 'paid', paid: order.total });
      assert.equal(detail.history.filter((h: { toStatus: string | null }) => h.toStatus === 'paid').length, 1);
      assert.equal(await eventCount('order.paid', order.id), 1);
      assert.equal(await eventCount('payment.succeeded', order.id), 1);
      assert.equal(await eventCount('payment.failed', order.id), 0);
    });

    it('a bad, stale or missing signature is 401; a wrong amount 422; another platform 404; none changes anything', async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      const good = await webhook(paymentId);
      const before = await fingerprint();
      const tampered = { ...good, body: good.body.replace(`"amount":${order.total}`, `"amount":${order.total - 1}`) };
      expectProblem(await postWebhook(tampered), 401, 'invalid_signature');
      expectProblem(await postWebhook({ ...good, headers: { 'content-type': 'application/json' } }), 401, 'invalid_signature');
      expectProblem(await postWebhook(await webhook(paymentId, { timestamp: Math.floor(Date.now() / 1000) - 600 })), 401, 'invalid_signature');
      expectProblem(await postWebhook(await webhook(paymentId, { amount: order.total + 100 })), 422, 'amount_mismatch');
      expectProblem(await postWebhook(await webhook(paymentId, { currency: 'EUR' })), 422, 'amount_mismatch');
      // Correctly signed, but sent to another platform's storefront.
      expectProblem(await postWebhook(good, other), 404, 'payment_not_found');
      // Not JSON at all, or an unknown provider.
      expectProblem(await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: { 'content-type': 'text/plain' }, payload: 'hello' }), 401, 'invalid_signature');
      expectProblem(await shop.store({ method: 'POST', url: '/store/payments/webhooks/stripe', headers: good.headers, payload: good.body }), 404, 'provider_not_found');
      assert.equal(await fingerprint(), before);
      // The genuine one still works afterwards.
      assert.equal((await postWebhook(good)).json().outcome, 'applied');
    });

    it('money that arrives after the order was cancelled is refunded automatically; the order stays cancelled', async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      const cancel = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/cancel`, payload: { reason: 'changed mind' } });
      assert.equal(cancel.statusCode, 200, cancel.body);
      const res = await postWebhook(await webhook(paymentId));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'succeeded');
      await waitFor('automatic refund', async () => (await paymentsOf(order))[0]!.refunds[0]?.status === 'succeeded');
      const [payment] = await paymentsOf(order);
      assert.equal(payment!.refunds.length, 1);
      assert.deepEqual({ kind: payment!.refunds[0]!.kind, amount: payment!.refunds[0]!.amount }, { kind: 'not_payable', amount: order.total });
      assert.equal(payment!.refundedAmount, order.total);
      const detail = await orderOf(order);
      assert.equal(detail.status, 'cancelled');
      assert.equal(detail.paymentStatus, 'unpaid');
    });

    it('a second charge of an order another payment already paid is captured and refunded in full', async () => {
      const order = await placeOrder();
      const { paymentId } = await openPayment(order);
      // Another payment of the order succeeded first (a charge through another channel).
      const earlier = crypto.randomUUID();
      await env.souk.database.execute(
        `insert into payments (platform_id, id, order_id, provider, amount, currency, purpose, status, captured_amount)
         select platform_id, $2, order_id, provider, amount, currency, purpose, 'succeeded', amount from payments where platform_id = $1 and id = $3`,
        [shop.platform.platform.id, earlier, paymentId],
      );
      const res = await postWebhook(await webhook(paymentId));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual({ outcome: res.json().outcome, status: res.json().status }, { outcome: 'applied', status: 'succeeded' });
      await waitFor('refund of the second charge', async () => (await paymentsOf(order)).find((p) => p.id === paymentId)!.refunds[0]?.status === 'succeeded');
      const second = (await paymentsOf(order)).find((p) => p.id === paymentId)!;
      assert.deepEqual({ status: second.status, captured: second.capturedAmount, refunded: second.refundedAmount }, { status: 'succeeded', captured: order.total, refunded: order.total });
      assert.deepEqual(second.refunds.map((r) => [r.kind, r.amount]), [['not_payable', order.total]]);
      const events = await env.souk.database.query<{ detail: string }>('select detail from payment_events where payment_id = $1', [paymentId]);
      assert.deepEqual(events.map((e) => e.detail), ['duplicate_payment: refunded']);
      assert.equal(await eventCount('payment.succeeded', order.id), 1);
    });
  });

  describe('money beyond 2^31 − 1', () => {
    it('a 3,000,000,000 order is placed, paid and refunded in two parts, every amount exact', async () => {
      const order = await paidOrder(3_000_000_000);
      assert.ok(order.total >= 3_000_000_000, String(order.total));
      let detail = await orderOf(order);
      assert.equal(detail.paymentStatus, 'paid');
      assert.equal(detail.paidAmount, order.total);
      const part = 2_147_483_648; // one past the integer range by itself
      const first = await refund(order, part);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.json().amount, part);
      const rest = await refund(order, order.total - part);
      assert.equal(rest.statusCode, 201, rest.body);
      detail = await orderOf(order);
      assert.equal(detail.paymentStatus, 'refunded');
      assert.equal(detail.refundedAmount, order.total);
      const [payment] = await paymentsOf(order);
      assert.equal(payment!.capturedAmount, order.total);
      assert.deepEqual(payment!.refunds.map((r) => [r.amount, r.status]), [[part, 'succeeded'], [order.total - part, 'succeeded']]);
    });

    it('a cart over the money limit (10^15) is refused with 422 money_limit_exceeded; exactly at it is accepted', async () => {
      const variants = await stockedVariants(shop, 11, 100, 1_000_000_000_000);
      const created = await shop.store({ method: 'POST', url: '/store/carts', payload: { email: 'big@test.souk' } });
      const cartId = created.json().id as string;
      const add = (variantId: string, quantity: number) => shop.store({ method: 'POST', url: `/store/carts/${cartId}/lines`, payload: { variantId, quantity } });
      let res!: LightMyRequestResponse;
      for (const variantId of variants.slice(0, 10)) {
        res = await add(variantId, 100);
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.equal(res.json().totals.subtotal, 1_000_000_000_000_000); // exactly MAX_MONEY
      const lineId = res.json().lines[0].id as string;
      const before = await fingerprint();
      expectProblem(await add(variants[10]!, 1), 422, 'money_limit_exceeded');
      assert.equal(await fingerprint(), before);
      // Fewer units are always allowed; more are refused again.
      const fewer = await shop.store({ method: 'PATCH', url: `/store/carts/${cartId}/lines/${lineId}`, payload: { quantity: 99 } });
      assert.equal(fewer.statusCode, 200, fewer.body);
      assert.equal((await add(variants[10]!, 1)).statusCode, 200);
      const more = await shop.store({ method: 'PATCH', url: `/store/carts/${cartId}/lines/${lineId}`, payload: { quantity: 100 } });
      expectProblem(more, 422, 'money_limit_exceeded');
      assert.equal((await shop.store({ method: 'GET', url: `/store/carts/${cartId}` })).json().totals.total, 1_000_000_000_000_000);
    });
  });

  describe('refunds', () => {
    it('partial then full refunds; more than captured is 409 and changes nothing', async () => {
      const order = await paidOrder(3000);
      const first = await refund(order, 700);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.json().status, 'succeeded');
      assert.equal(first.json().kind, 'admin');
      assert.ok(first.json().providerRefundRef);
      let detail = await orderOf(order);
      assert.equal(detail.paymentStatus, 'partially_refunded');
      assert.equal(detail.refundedAmount, 700);

      const before = await fingerprint();
      const tooMuch = await refund(order, order.total - 700 + 1);
      expectProblem(tooMuch, 409, 'refund_exceeds_captured');
      assert.equal(tooMuch.json().refundable, order.total - 700);
      expectProblem(await refund(order, 0), 400, 'validation_failed');
      expectProblem(await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/refunds`, payload: { amount: 5 } }), 400, 'refund_reason_required');
      assert.equal(await fingerprint(), before);

      const rest = await refund(order, order.total - 700);
      assert.equal(rest.statusCode, 201, rest.body);
      detail = await orderOf(order);
      assert.equal(detail.paymentStatus, 'refunded');
      assert.equal(detail.refundedAmount, order.total);
      expectProblem(await refund(order, 1), 409, 'refund_exceeds_captured');
      const [payment] = await paymentsOf(order);
      assert.equal(payment!.refundedAmount, order.total);
      assert.deepEqual(payment!.refunds.map((r) => [r.amount, r.status]), [[700, 'succeeded'], [order.total - 700, 'succeeded']]);
      assert.equal(await eventCount('payment.refunded', order.id), 2);
    });

    it('twice as many concurrent refunds of 100 as the capture holds: exactly capture / 100 succeed', async () => {
      const order = await paidOrder(500);
      const total = order.total;
      const n = Math.floor(total / 100);
      const results = await Promise.all(Array.from({ length: n * 2 }, () => refund(order, 100)));
      const ok = results.filter((r) => r.statusCode === 201).length;
      assert.equal(ok, n);
      for (const r of results) if (r.statusCode !== 201) expectProblem(r, 409, 'refund_exceeds_captured');
      const detail = await orderOf(order);
      assert.equal(detail.refundedAmount, n * 100);
      const intents = await env.souk.database.query<{ refunded_amount: number }>('select refunded_amount from payment_sandbox_intents where payment_id = $1', [order.paymentId]);
      assert.equal(intents[0]!.refunded_amount, n * 100);
    });

    it('a paid order that is cancelled gets the rest of its money back', async () => {
      const order = await paidOrder(2500);
      assert.equal((await refund(order, 500)).statusCode, 201);
      const cancel = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/cancel`, payload: { reason: 'out of business' } });
      assert.equal(cancel.statusCode, 200, cancel.body);
      await waitFor('refund of the remainder', async () => (await orderOf(order)).paymentStatus === 'refunded');
      const [payment] = await paymentsOf(order);
      assert.deepEqual(payment!.refunds.map((r) => [r.kind, r.amount, r.status]), [['admin', 500, 'succeeded'], ['order_cancelled', order.total - 500, 'succeeded']]);
      assert.equal((await orderOf(order)).refundedAmount, order.total);
    });

    it("support may read but not refund; another platform's admin sees 404", async () => {
      const order = await paidOrder();
      const read = await shop.env.app.inject({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}/payments`, headers: { authorization: `Bearer ${shop.platform.supportToken}` } });
      assert.equal(read.statusCode, 200, read.body);
      const before = await fingerprint();
      const bySupport = await shop.env.app.inject({
        method: 'POST',
        url: `/admin/platforms/${shop.slug}/orders/${order.id}/refunds`,
        headers: { authorization: `Bearer ${shop.platform.supportToken}` },
        payload: { amount: 100, reason: 'x' },
      });
      expectProblem(bySupport, 403);
      // The other platform's admin, on this platform's slug, and on its own slug with this order.
      expectProblem(await other.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}/payments` }), 404, 'platform_not_found');
      expectProblem(await other.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/refunds`, payload: { amount: 100, reason: 'x' } }), 404, 'platform_not_found');
      expectProblem(await other.admin({ method: 'GET', url: `/admin/platforms/${other.slug}/orders/${order.id}/payments` }), 404, 'order_not_found');
      expectProblem(await other.admin({ method: 'POST', url: `/admin/platforms/${other.slug}/orders/${order.id}/refunds`, payload: { amount: 100, reason: 'x' } }), 404, 'order_not_found');
      assert.equal(await fingerprint(), before);
    });
  });

  describe('over a real socket', () => {
    it('when the server listens, approve posts the webhook over HTTP to its own port and the order is paid', async () => {
      await env.app.listen({ port: 0, host: '127.0.0.1' });
      const order = await placeOrder();
      const { redirectUrl } = await openPayment(order);
      const address = env.app.server.address() as { port: number };
      const approved = await fetch(`http://127.0.0.1:${address.port}${new URL(redirectUrl).pathname}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      assert.equal(approved.status, 200);
      assert.match(await approved.text(), /Payment approved/);
      await waitFor('order paid', async () => (await orderOf(order)).status === 'paid');
    });
  });
});
