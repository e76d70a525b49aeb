// Payment-instrument links: the sandbox fingerprints the test card a shopper gives when a payment starts
// (stable per card, never the number), the payments module hands the fingerprint to the risk gate at the
// payment point, and the engine links the accounts that pay with one card. Three accounts, each on its
// own device and IP, paying with one card form a cluster of three, and a rule over it fires; another
// card is a cluster of one. A card number that is not one is a 400 and opens nothing.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { asBearer, eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { checkout, COMMERCE_MODULES, createShop, expectProblem, readyCart, registerCustomer, stockedVariants, type Shop } from '../../../test/commerce.ts';
import { device, putPolicy } from '../../../test/risk-fixtures.ts';
import type { PolicyDocument } from './policy.ts';
import { riskModule } from './index.ts';

const SHARED_CARD = '4242 4242 4242 4242';
const OWN_CARD = '5555-5555-5555-4444';

/** Denies the third account on one card; every other payment is allowed (and stored, to be read back). */
const cardPolicy: PolicyDocument = {
  rules: [
    { id: 'shared-card', description: 'A card already used by two other accounts', when: { signal: 'accounts_on_instrument', op: 'gte', value: 3 }, action: 'deny' },
    { id: 'card-cluster', description: 'Accounts linked through any shared key', when: { signal: 'account_cluster_size', op: 'gte', value: 3 }, score: 5 },
  ],
  thresholds: [10, 30, 50, 90],
  actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
  allowSampleRate: 1,
};

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}-${randomBytes(2).toString('hex')}`;

eachDatabase('payment-instrument links', (env: TestEnv) => {
  let shop: Shop;
  let variant = '';

  /** A customer's order awaiting payment, checked out from their own device and IP. */
  const pendingOrder = async (n: number) => {
    const customer = await registerCustomer(shop);
    const cartId = await readyCart(shop, [{ variantId: variant, quantity: 1 }], { customerToken: customer.token });
    const res = await checkout(shop, cartId, unique('k'), { customerToken: customer.token });
    assert.equal(res.statusCode, 201, res.body);
    return { customer, orderId: res.json().id as string, n };
  };
  const pay = (order: Awaited<ReturnType<typeof pendingOrder>>, paymentMethod?: string) =>
    shop.store({
      method: 'POST',
      url: `/store/orders/${order.orderId}/payments`,
      payload: { provider: 'sandbox', ...(paymentMethod === undefined ? {} : { paymentMethod }) },
      headers: { authorization: `Bearer ${order.customer.token}`, ...device(`dev-card-${order.n}`) },
      remoteAddress: `81.2.69.${order.n}`,
    } as Parameters<Shop['store']>[0]);
  const decisions = async (orderId: string) => {
    await env.souk.runtimeOf(riskModule).recorder.flush();
    const res = await asBearer(env.app, shop.platform.adminToken, { method: 'GET', url: `/admin/platforms/${shop.slug}/risk/decisions?orderId=${orderId}&point=payment` } as InjectOptions);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().items as { id: string; action: string; fired: { rule: string }[]; signals: Record<string, unknown> }[];
  };

  before(async () => {
    shop = await createShop(env, unique('card'), undefined, [...COMMERCE_MODULES, 'risk']);
    await putPolicy(env, shop, 'payment', cardPolicy);
    variant = (await stockedVariants(shop, 1, 100))[0]!;
  });

  it('links the accounts paying with one card: the third is denied by the rule over the cluster, another card pays', async () => {
    const orders = [];
    for (let n = 1; n <= 4; n++) orders.push(await pendingOrder(n));
    assert.equal((await pay(orders[0]!, SHARED_CARD)).statusCode, 201);
    assert.equal((await pay(orders[1]!, '4242424242424242')).statusCode, 201, 'the same card spelled another way');
    const denied = await pay(orders[2]!, SHARED_CARD);
    expectProblem(denied, 403, 'risk_denied');
    assert.match(denied.json().detail, /A card already used by two other accounts/);
    const opened = await env.souk.database.query<{ n: number }>('select count(*)::int as n from payments where order_id = $1', [orders[2]!.orderId]);
    assert.equal(opened[0]!.n, 0, 'a denied start leaves no payment behind');
    assert.equal((await pay(orders[3]!, OWN_CARD)).statusCode, 201, 'another card is its own cluster');

    const [first] = await decisions(orders[0]!.orderId);
    const third = (await decisions(orders[2]!.orderId)).find((d) => d.id === denied.json().decisionId)!;
    const [own] = await decisions(orders[3]!.orderId);
    assert.equal(first!.signals.accounts_on_instrument, 1);
    assert.equal(third.action, 'deny');
    assert.deepEqual(third.fired.map((f) => f.rule).sort(), ['card-cluster', 'shared-card']);
    assert.equal(third.signals.accounts_on_instrument, 3);
    assert.equal(third.signals.account_cluster_size, 3, 'each account has its own device and IP: the card is the link');
    assert.equal(third.signals.accounts_on_device, 1);
    assert.equal(third.signals.instrument_fingerprint, first!.signals.instrument_fingerprint);
    assert.match(String(third.signals.instrument_fingerprint), /^sbxfp_/);
    assert.equal(own!.signals.accounts_on_instrument, 1);
    assert.notEqual(own!.signals.instrument_fingerprint, first!.signals.instrument_fingerprint);
    // The card number itself is stored nowhere in the decision.
    assert.ok(!JSON.stringify(third).includes('4242424242424242'));
  });

  it('refuses a payment method that is not a card number with a 400 and opens no payment; without one nothing is linked', async () => {
    const order = await pendingOrder(20);
    const bad = await pay(order, '4242 4242 4242 4241');
    expectProblem(bad, 400, 'payment_method_invalid');
    assert.match(bad.json().detail, /Luhn/);
    const payments = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.orderId}/payments` });
    assert.equal(payments.json().items.length, 0);
    assert.equal((await pay(order)).statusCode, 201);
    const [decision] = await decisions(order.orderId);
    assert.equal(decision!.signals.instrument_fingerprint, undefined);
    assert.equal(decision!.signals.accounts_on_instrument, undefined);
  });
});
