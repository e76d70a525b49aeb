// The decision points other modules call through the kernel's risk gate: sign-up, login, coupon and the
// flash-sale purchase each ask the platform's policy, a deny is a 403 naming the stored decision and
// the rule's reason, an allow goes through; a platform without the risk module, and another platform's
// rules, never interfere. The proof-of-work challenge is solved for real with the client helper:
// a solved challenge lets the request through once, a replay or an answer for another subject does not.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { asBearer, eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { COMMERCE_MODULES, createShop, expectProblem, readyCart, registerCustomer, stockedVariants, type Shop } from '../../../test/commerce.ts';
import { solveChallenge, type PowChallenge } from '../../integrations/risk-challenge.ts';
import { riskModule } from './index.ts';
import { device, devicePolicy, putPolicy } from '../../../test/risk-fixtures.ts';

const GATED_POINTS = ['signup', 'login', 'coupon', 'flash_sale', 'checkout', 'payment'] as const;

/** Denies the farm's device, challenges the suspicious one, allows everyone else. */
const policy = devicePolicy([
  { id: 'farm-device', description: 'A device seen farming sign-ups', device: 'dev-farm', action: 'deny' },
  { id: 'odd-device', description: 'A device worth a second look', device: 'dev-odd', action: 'challenge' },
]);

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}-${randomBytes(2).toString('hex')}`;

eachDatabase('risk decision points', (env: TestEnv) => {
  let shop: Shop;
  let other: Shop;
  let plain: Shop;
  let variant = '';
  let otherVariant = '';

  const signup = (target: Shop, email: string, headers: Record<string, string>) =>
    target.store({ method: 'POST', url: '/store/customers', payload: { email, password: 'customer-password' }, headers });
  const decision = async (target: Shop, id: string) => {
    await env.souk.runtimeOf(riskModule).recorder.flush();
    const res = await asBearer(env.app, target.platform.adminToken, { method: 'GET', url: `/admin/platforms/${target.slug}/risk/decisions/${id}` } as InjectOptions);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { point: string; action: string; fired: { rule: string }[] };
  };

  before(async () => {
    shop = await createShop(env, unique('rh'), { 'flash-sales': { purchasesPerIpPerMinute: 1_000_000, purchasesPerDevicePerMinute: 1_000_000 } }, [...COMMERCE_MODULES, 'risk']);
    other = await createShop(env, unique('rh'), undefined, [...COMMERCE_MODULES, 'risk']);
    plain = await createShop(env, unique('rh'));
    for (const point of GATED_POINTS) await putPolicy(env, shop, point, policy);
    variant = (await stockedVariants(shop, 1, 100))[0]!;
    otherVariant = (await stockedVariants(other, 1, 100))[0]!;
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'WELCOME10', kind: 'percentage', percent: 10 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
  });

  it('sign-up: a denied device gets 403 risk_denied with the decision and the rule\'s reason; others sign up', async () => {
    const denied = await signup(shop, `${unique('farm')}@mail.test`, device('dev-farm'));
    expectProblem(denied, 403, 'risk_denied');
    assert.match(denied.json().detail, /A device seen farming sign-ups/);
    const stored = await decision(shop, denied.json().decisionId);
    assert.equal(stored.point, 'signup');
    assert.equal(stored.action, 'deny');
    assert.deepEqual(stored.fired.map((f) => f.rule), ['farm-device']);
    assert.equal((await signup(shop, `${unique('ok')}@mail.test`, device('dev-ok'))).statusCode, 201);
  });

  it('login: judged before the password, so a denied device never logs in', async () => {
    const customer = await registerCustomer(shop);
    const login = (headers: Record<string, string>) => shop.store({ method: 'POST', url: '/store/auth/login', payload: { email: customer.email, password: 'customer-password' }, headers });
    expectProblem(await login(device('dev-farm')), 403, 'risk_denied');
    assert.equal((await login(device('dev-ok'))).statusCode, 200);
  });

  it('coupon: applying a coupon from a denied device is refused and nothing is stored on the cart', async () => {
    const cartId = await readyCart(shop, [{ variantId: variant, quantity: 1 }]);
    const apply = (headers: Record<string, string>) => shop.store({ method: 'PUT', url: `/store/carts/${cartId}/coupon`, payload: { code: 'WELCOME10' }, headers });
    const denied = await apply(device('dev-farm'));
    expectProblem(denied, 403, 'risk_denied');
    assert.equal((await decision(shop, denied.json().decisionId)).point, 'coupon');
    const cart = await shop.store({ method: 'GET', url: `/store/carts/${cartId}` });
    assert.equal(cart.json().coupon, null);
    const applied = await apply(device('dev-ok'));
    assert.equal(applied.statusCode, 200, applied.body);
    assert.equal(applied.json().coupon.code, 'WELCOME10');
  });

  it('flash sale: the purchase from a denied device takes no unit; another device buys', async () => {
    const sale = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${shop.slug}/flash-sales`,
      payload: { name: 'Risky sale', startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), items: [{ variantId: variant, salePrice: 500, quantity: 5 }] },
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const buyer = await registerCustomer(shop);
    const buy = (headers: Record<string, string>) =>
      shop.store({ method: 'POST', url: `/store/flash-sales/${sale.json().id}/purchase`, payload: { variantId: variant }, headers: { authorization: `Bearer ${buyer.token}`, ...headers } });
    const denied = await buy(device('dev-farm'));
    expectProblem(denied, 403, 'risk_denied');
    assert.equal((await decision(shop, denied.json().decisionId)).point, 'flash_sale');
    const bought = await buy(device('dev-ok'));
    assert.equal(bought.statusCode, 202, bought.body);
  });

  it('leaves a platform without the risk module, and another platform\'s rules, alone', async () => {
    assert.equal((await signup(plain, `${unique('farm')}@mail.test`, device('dev-farm'))).statusCode, 201);
    // `other` runs the default policy: shop's farm-device rule never fires there.
    assert.equal((await signup(other, `${unique('farm')}@mail.test`, device('dev-farm'))).statusCode, 201);
    const cartId = await readyCart(other, [{ variantId: otherVariant, quantity: 1 }]);
    assert.ok(cartId);
  });

  describe('the proof-of-work challenge', () => {
    it('is solved for real and lets the request through once; a replay gets a new challenge', async () => {
      const email = `${unique('odd')}@mail.test`;
      const first = await signup(shop, email, device('dev-odd'));
      expectProblem(first, 403, 'challenge_required');
      const challenge = first.json().challenge as PowChallenge;
      assert.equal(challenge.kind, 'pow');
      assert.equal(challenge.algorithm, 'sha256');
      assert.ok(challenge.difficulty >= 8);
      assert.ok(first.json().decisionId);

      const answer = await solveChallenge(challenge);
      const solved = await signup(shop, email, { ...device('dev-odd'), [answer.header]: answer.value });
      assert.equal(solved.statusCode, 201, solved.body);

      // The same answer on another point (login) is refused; so is it again at sign-up (spent).
      const replay = await shop.store({ method: 'POST', url: '/store/auth/login', payload: { email, password: 'customer-password' }, headers: { ...device('dev-odd'), [answer.header]: answer.value } });
      expectProblem(replay, 403, 'challenge_required');
      const again = await signup(shop, email, { ...device('dev-odd'), [answer.header]: answer.value });
      expectProblem(again, 403, 'challenge_required');
      assert.match(again.json().detail, /already used/);
    });

    it('refuses an answer for another subject, a wrong counter and a forged id, each with a fresh challenge', async () => {
      const email = `${unique('odd')}@mail.test`;
      const first = await signup(shop, email, device('dev-odd'));
      const answer = await solveChallenge(first.json().challenge as PowChallenge);
      const otherSubject = await signup(shop, `${unique('odd')}@mail.test`, { ...device('dev-odd'), [answer.header]: answer.value });
      expectProblem(otherSubject, 403, 'challenge_required');
      assert.match(otherSubject.json().detail, /another action or customer/);
      assert.notEqual(otherSubject.json().challenge.id, first.json().challenge.id);

      const id = first.json().challenge.id as string;
      const wrong = await signup(shop, email, { ...device('dev-odd'), [answer.header]: `${id}.${answer.counter + 1}` });
      // A neighbouring counter may solve it too (1 in 2^difficulty); it must not when it does not.
      if (wrong.statusCode !== 201) assert.match(wrong.json().detail, /does not solve/);
      const forged = await signup(shop, email, { ...device('dev-odd'), [answer.header]: `${id.slice(0, -4)}AAAA.${answer.counter}` });
      expectProblem(forged, 403, 'challenge_required');
      assert.match(forged.json().detail, /not issued by this shop/);
      expectProblem(await signup(shop, email, { ...device('dev-odd'), [answer.header]: 'garbage' }), 403, 'challenge_required');
      // The untouched answer still works for its own subject.
      assert.equal((await signup(shop, email, { ...device('dev-odd'), [answer.header]: answer.value })).statusCode, 201);
    });

    it('is not accepted on another platform', async () => {
      await putPolicy(env, other, 'signup', policy);
      const email = `${unique('odd')}@mail.test`;
      const first = await signup(shop, email, device('dev-odd'));
      const answer = await solveChallenge(first.json().challenge as PowChallenge);
      const elsewhere = await signup(other, email, { ...device('dev-odd'), [answer.header]: answer.value });
      expectProblem(elsewhere, 403, 'challenge_required');
    });
  });
});
