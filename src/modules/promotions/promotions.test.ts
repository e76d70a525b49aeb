// Promotions on each database engine: the budget and the per-customer allowance under many concurrent
// redemptions, the rules (window, minimum spend, currency, product and category scope), release and
// re-use, idempotent release, events, and the admin routes (validation that changes nothing, other
// platforms' admins see 404).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem, problemCode } from '../../../test/problems.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { promotionsService, type CouponContext, type CouponLine, type PromotionsService } from './service.ts';

const TABLES = ['promotions_coupons', 'promotions_redemptions'];

async function rejects(promise: Promise<unknown>, expected: string): Promise<void> {
  const outcome = await promise.then(
    () => 'fulfilled',
    (reason: unknown) => problemCode(reason),
  );
  assert.equal(outcome, expected);
}

eachDatabase('promotions', (env: TestEnv) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  let pdb: PlatformDb;
  let promotions: PromotionsService;
  let shirtProduct: string;
  let mugProduct: string;
  let codeCounter = 0;
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const url = (path = '') => `/admin/platforms/promo-shop/coupons${path}`;
  const fingerprint = () => tablesFingerprint(env.souk.database, TABLES);
  const nextCode = (prefix = 'C') => `${prefix}${++codeCounter}`;

  async function coupon(input: Record<string, unknown>): Promise<{ id: string; code: string; timesUsed: number }> {
    const res = await admin({ method: 'POST', url: url(), payload: { code: nextCode(), kind: 'percentage', percent: 10, ...input } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }
  const timesUsed = async (id: string) => (await admin({ method: 'GET', url: url(`/${id}`) })).json().timesUsed as number;

  const line = (productId: string, lineTotal: number): CouponLine => ({ variantId: newId(), productId, quantity: 1, lineTotal });
  function cart(lines: CouponLine[], who: Partial<CouponContext> = {}): CouponContext {
    return { customerId: null, email: 'guest@example.com', currency: 'USD', subtotal: lines.reduce((s, l) => s + l.lineTotal, 0), lines, ...who };
  }
  const redeem = (code: string, context: CouponContext, orderId: string = newId()) =>
    pdb.transaction((tx) => promotions.redeemCoupon(tx, code, { ...context, orderId }));
  const release = (orderId: string) => pdb.transaction((tx) => promotions.releaseCouponRedemption(tx, orderId));
  const eventCount = async (type: string, couponId: string) =>
    (
      await env.souk.database.query<{ n: number }>(
        `select count(*)::int as n from (select type, payload from event_outbox union all select type, payload from event_log) e
         where e.type = $1 and e.payload ->> 'couponId' = $2`,
        [type, couponId],
      )
    )[0]!.n;

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'promo-shop', currencies: ['USD', 'EUR'], modules: ['catalog', 'promotions'] });
    other = await createTestPlatform(env, { slug: 'promo-other', modules: ['catalog', 'promotions'] });
    pdb = env.souk.ctx.platformDb(shop.platform.id);
    promotions = promotionsService(env.souk.ctx);
    for (const [handle, parent] of [['clothing', null], ['shirts', 'clothing'], ['kitchen', null]] as const) {
      const res = await admin({ method: 'POST', url: '/admin/platforms/promo-shop/categories', payload: { handle, name: handle, parent } });
      assert.equal(res.statusCode, 201, res.body);
    }
    const product = async (handle: string, categories: string[]) => {
      const res = await admin({
        method: 'POST',
        url: '/admin/platforms/promo-shop/products',
        payload: { handle, title: handle, status: 'published', categories, variants: [{ sku: handle, prices: [{ currency: 'USD', amount: 1000 }] }] },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    shirtProduct = await product('shirt', ['shirts']);
    mugProduct = await product('mug', []);
  });

  describe('redemption under concurrency', () => {
    it('100 concurrent redemptions of a 10-use coupon: exactly 10 succeed, the rest are exhausted', async () => {
      const c = await coupon({ usageLimit: 10 });
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => redeem(c.code, cart([line(mugProduct, 2000)], { email: `buyer${i}@example.com` }))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => problemCode(r.reason));
      assert.equal(ok, 10);
      assert.deepEqual([...new Set(refused)], ['409:coupon_exhausted']);
      assert.equal(await timesUsed(c.id), 10);
      const [row] = await env.souk.database.query<{ n: number }>(
        "select count(*)::int as n from promotions_redemptions where coupon_id = $1 and status = 'active'",
        [c.id],
      );
      assert.equal(row!.n, 10);
      assert.equal(await eventCount('coupon.redeemed', c.id), 10);
    });

    it('one customer in 30 concurrent tabs gets exactly the per-customer allowance, and the budget only counts those', async () => {
      const c = await coupon({ perCustomerLimit: 2, usageLimit: 100 });
      const customerId = newId();
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, () => redeem(c.code, cart([line(mugProduct, 2000)], { customerId, email: null }))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => problemCode(r.reason));
      assert.equal(ok, 2);
      assert.deepEqual([...new Set(refused)], ['409:coupon_customer_limit']);
      assert.equal(await timesUsed(c.id), 2);
      // Another customer still has an allowance.
      await redeem(c.code, cart([line(mugProduct, 2000)], { customerId: newId() }));
      assert.equal(await timesUsed(c.id), 3);
    });

    it('a guest allowance is keyed by email in any case; a guest without email cannot use a per-customer coupon', async () => {
      const c = await coupon({ perCustomerLimit: 1 });
      await redeem(c.code, cart([line(mugProduct, 500)], { email: 'Ann@Example.com' }));
      await rejects(redeem(c.code, cart([line(mugProduct, 500)], { email: ' ann@example.COM ' })), '409:coupon_customer_limit');
      await rejects(redeem(c.code, cart([line(mugProduct, 500)], { email: null })), '409:coupon_customer_limit');
      await rejects(promotions.evaluateCoupon(pdb, c.code, cart([line(mugProduct, 500)], { email: 'ann@example.com' })), '409:coupon_customer_limit');
      // The cart can still preview it before the guest has given an email.
      assert.equal((await promotions.evaluateCoupon(pdb, c.code, cart([line(mugProduct, 500)], { email: null }))).discount, 50);
      assert.equal(await timesUsed(c.id), 1);
    });

    it("a once-per-customer coupon counts by customer id and by normalised email: a guest with an account's email is that customer", async () => {
      const one = { perCustomerLimit: 1 };
      // The account used it; the same person as a guest (email in another case, with spaces) cannot.
      const first = await coupon(one);
      const customerId = newId();
      await redeem(first.code, cart([line(mugProduct, 500)], { customerId, email: 'bob@example.com' }));
      await rejects(redeem(first.code, cart([line(mugProduct, 500)], { email: ' BOB@example.com' })), '409:coupon_customer_limit');
      await rejects(promotions.evaluateCoupon(pdb, first.code, cart([line(mugProduct, 500)], { email: 'Bob@Example.com' })), '409:coupon_customer_limit');
      // …nor the same account with another email on its cart.
      await rejects(redeem(first.code, cart([line(mugProduct, 500)], { customerId, email: 'other@example.com' })), '409:coupon_customer_limit');
      // Vice versa: a guest used it, then the account with that email cannot.
      const second = await coupon(one);
      await redeem(second.code, cart([line(mugProduct, 500)], { email: 'Cleo@example.com ' }));
      await rejects(redeem(second.code, cart([line(mugProduct, 500)], { customerId: newId(), email: 'cleo@EXAMPLE.com' })), '409:coupon_customer_limit');
      assert.equal(await timesUsed(second.id), 1);
      // Released uses give the allowance back to both identities.
      const third = await coupon(one);
      const orderId = newId();
      await redeem(third.code, cart([line(mugProduct, 500)], { customerId, email: 'dan@example.com' }), orderId);
      assert.equal(await release(orderId), true);
      await redeem(third.code, cart([line(mugProduct, 500)], { email: 'dan@example.com' }));
      assert.equal(await timesUsed(third.id), 1);
    });

    it('a refusal caught by the caller leaves the counter where it was', async () => {
      const c = await coupon({ perCustomerLimit: 1, usageLimit: 5 });
      const customerId = newId();
      await redeem(c.code, cart([line(mugProduct, 500)], { customerId }));
      const before = await fingerprint();
      const outcome = await pdb.transaction(async (tx) => {
        try {
          await promotions.redeemCoupon(tx, c.code, { ...cart([line(mugProduct, 500)], { customerId }), orderId: newId() });
          return 'redeemed';
        } catch (error) {
          return problemCode(error);
        }
      });
      assert.equal(outcome, '409:coupon_customer_limit');
      assert.equal(await fingerprint(), before);
      assert.equal(await timesUsed(c.id), 1);
    });
  });

  describe('release', () => {
    it('returns the use to the budget and the customer; a released use can be taken again; release is idempotent', async () => {
      const c = await coupon({ kind: 'fixed', percent: undefined, amount: 300, currency: 'USD', usageLimit: 1, perCustomerLimit: 1 });
      const customerId = newId();
      const orderA = newId();
      const first = await redeem(c.code, cart([line(mugProduct, 1000)], { customerId }), orderA);
      assert.equal(first.discount, 300);
      await rejects(redeem(c.code, cart([line(mugProduct, 1000)], { customerId: newId() })), '409:coupon_exhausted');
      assert.equal(await release(orderA), true);
      assert.equal(await release(orderA), false);
      assert.equal(await release(newId()), false);
      assert.equal(await timesUsed(c.id), 0);
      // The same customer may use it again (the allowance came back), and the same order id too.
      const again = await redeem(c.code, cart([line(mugProduct, 1000)], { customerId }), orderA);
      assert.notEqual(again.redemptionId, first.redemptionId);
      assert.equal(await timesUsed(c.id), 1);
      assert.equal(await eventCount('coupon.released', c.id), 1);
      const list = (await admin({ method: 'GET', url: url(`/${c.id}/redemptions`) })).json();
      assert.deepEqual(
        list.items.map((r: { status: string; customerId: string; amount: number }) => [r.status, r.customerId, r.amount]),
        [
          ['active', customerId, 300],
          ['released', customerId, 300],
        ],
      );
      const active = (await admin({ method: 'GET', url: url(`/${c.id}/redemptions?status=released`) })).json();
      assert.equal(active.items.length, 1);
    });

    it('a retried redemption for the same order returns the use it holds; another coupon for that order is refused', async () => {
      const c = await coupon({ usageLimit: 5 });
      const d = await coupon({});
      const orderId = newId();
      const context = cart([line(mugProduct, 1000)]);
      const first = await redeem(c.code, context, orderId);
      const second = await redeem(c.code.toLowerCase(), context, orderId);
      assert.equal(second.redemptionId, first.redemptionId);
      assert.equal(await timesUsed(c.id), 1);
      await rejects(redeem(d.code, context, orderId), '409:coupon_order_redeemed');
      assert.equal(await timesUsed(d.id), 0);
    });
  });

  describe('rules', () => {
    it('computes fixed and percentage discounts, capped at the eligible subtotal, with the code in any case', async () => {
      const fixed = await coupon({ code: 'TenOff', kind: 'fixed', percent: undefined, amount: 1000, currency: 'USD' });
      assert.deepEqual(await promotions.evaluateCoupon(pdb, 'tenoff', cart([line(mugProduct, 2500)])), { couponId: fixed.id, code: 'TenOff', discount: 1000 });
      assert.equal((await promotions.evaluateCoupon(pdb, 'TENOFF', cart([line(mugProduct, 400)]))).discount, 400);
      const pct = await coupon({ percent: 15 });
      // 15% of 1003 = 150.45 → 150; of 1010 = 151.5 → 152 (half up); of 3 = 0.45 → at least 1.
      assert.equal((await promotions.evaluateCoupon(pdb, pct.code, cart([line(mugProduct, 1003)]))).discount, 150);
      assert.equal((await promotions.evaluateCoupon(pdb, pct.code, cart([line(mugProduct, 1010)]))).discount, 152);
      assert.equal((await promotions.evaluateCoupon(pdb, pct.code, cart([line(mugProduct, 3)]))).discount, 1);
      const all = await coupon({ percent: 100 });
      assert.equal((await promotions.evaluateCoupon(pdb, all.code, cart([line(mugProduct, 777)]))).discount, 777);
      // Evaluating never counts a use.
      assert.equal(await timesUsed(fixed.id), 0);
    });

    it('refuses unknown and disabled coupons (404), and outside the window (422)', async () => {
      const context = cart([line(mugProduct, 1000)]);
      await rejects(promotions.evaluateCoupon(pdb, 'NOPE', context), '404:coupon_not_found');
      await rejects(promotions.evaluateCoupon(pdb, 'not a code!', context), '404:coupon_not_found');
      await rejects(redeem('NOPE', context), '404:coupon_not_found');
      const disabled = await coupon({ status: 'disabled' });
      await rejects(promotions.evaluateCoupon(pdb, disabled.code, context), '404:coupon_not_found');
      await rejects(redeem(disabled.code, context), '404:coupon_not_found');
      const windowed = await coupon({ startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-02-01T00:00:00Z' });
      await rejects(promotions.evaluateCoupon(pdb, windowed.code, context), '422:coupon_not_started');
      await rejects(redeem(windowed.code, context), '422:coupon_not_started');
      await rejects(promotions.evaluateCoupon(pdb, windowed.code, { ...context, at: new Date('2030-02-01T00:00:00Z') }), '422:coupon_expired');
      assert.equal((await promotions.evaluateCoupon(pdb, windowed.code, { ...context, at: new Date('2030-01-15T00:00:00Z') })).discount, 100);
      const expired = await coupon({ endsAt: '2020-01-01T00:00:00Z' });
      await rejects(redeem(expired.code, context), '422:coupon_expired');
      assert.equal(await timesUsed(expired.id), 0);
    });

    it('refuses below the minimum spend and in another currency', async () => {
      const min = await coupon({ minSubtotal: 5000 });
      await rejects(promotions.evaluateCoupon(pdb, min.code, cart([line(mugProduct, 4999)])), '422:coupon_min_subtotal');
      assert.equal((await promotions.evaluateCoupon(pdb, min.code, cart([line(mugProduct, 3000), line(shirtProduct, 2000)]))).discount, 500);
      const eur = await coupon({ kind: 'fixed', percent: undefined, amount: 100, currency: 'EUR' });
      await rejects(promotions.evaluateCoupon(pdb, eur.code, cart([line(mugProduct, 1000)])), '422:coupon_currency');
      await rejects(redeem(eur.code, cart([line(mugProduct, 1000)])), '422:coupon_currency');
      assert.equal((await promotions.evaluateCoupon(pdb, eur.code, cart([line(mugProduct, 1000)], { currency: 'EUR' }))).discount, 100);
      // A percentage coupon is not tied to a currency.
      const pct = await coupon({ percent: 50 });
      assert.equal((await promotions.evaluateCoupon(pdb, pct.code, cart([line(mugProduct, 1000)], { currency: 'EUR' }))).discount, 500);
    });

    it('applies only to the named products and categories, with the categories below them', async () => {
      const mugOnly = await coupon({ percent: 50, productIds: [mugProduct] });
      const mixed = cart([line(mugProduct, 1000), line(shirtProduct, 3000)]);
      assert.equal((await promotions.evaluateCoupon(pdb, mugOnly.code, mixed)).discount, 500);
      await rejects(promotions.evaluateCoupon(pdb, mugOnly.code, cart([line(shirtProduct, 3000)])), '422:coupon_not_applicable');
      const categories = (await admin({ method: 'GET', url: '/admin/platforms/promo-shop/categories' })).json().items as { id: string; handle: string }[];
      const byHandle = (handle: string) => categories.find((c) => c.handle === handle)!.id;
      // The shirt is filed under Shirts, which sits under Clothing.
      const clothing = await coupon({ percent: 10, categoryIds: [byHandle('clothing')] });
      assert.equal((await promotions.evaluateCoupon(pdb, clothing.code, mixed)).discount, 300);
      const kitchen = await coupon({ percent: 10, categoryIds: [byHandle('kitchen')] });
      await rejects(promotions.evaluateCoupon(pdb, kitchen.code, mixed), '422:coupon_not_applicable');
      await rejects(redeem(kitchen.code, mixed), '422:coupon_not_applicable');
      const fixed = await coupon({ kind: 'fixed', percent: undefined, amount: 5000, currency: 'USD', categoryIds: [byHandle('shirts')] });
      const quote = await redeem(fixed.code, mixed);
      assert.equal(quote.discount, 3000);
    });

    it('judges a redemption by the coupon as it is when the use is taken (an edit in between counts)', async () => {
      const c = await coupon({ usageLimit: 3 });
      const res = await admin({ method: 'PATCH', url: url(`/${c.id}`), payload: { endsAt: '2020-01-01T00:00:00Z' } });
      assert.equal(res.statusCode, 200, res.body);
      await rejects(redeem(c.code, cart([line(mugProduct, 1000)])), '422:coupon_expired');
      await admin({ method: 'PATCH', url: url(`/${c.id}`), payload: { endsAt: null, usageLimit: 1 } });
      await redeem(c.code, cart([line(mugProduct, 1000)]));
      await rejects(redeem(c.code, cart([line(mugProduct, 1000)])), '409:coupon_exhausted');
      await rejects(promotions.evaluateCoupon(pdb, c.code, cart([line(mugProduct, 1000)])), '409:coupon_exhausted');
    });
  });

  describe('admin routes', () => {
    it('creates, reads, lists with a cursor and filters by code', async () => {
      const created = await coupon({ code: 'Spring-Sale_1', percent: 20, minSubtotal: 1000, usageLimit: 50, perCustomerLimit: 1, description: 'spring' });
      assert.equal(created.code, 'Spring-Sale_1');
      const got = await admin({ method: 'GET', url: url(`/${created.id}`) });
      assert.equal(got.statusCode, 200);
      assert.deepEqual(
        (({ kind, percent, amount, currency, minSubtotal, usageLimit, perCustomerLimit, timesUsed, status }) => ({
          kind,
          percent,
          amount,
          currency,
          minSubtotal,
          usageLimit,
          perCustomerLimit,
          timesUsed,
          status,
        }))(got.json()),
        { kind: 'percentage', percent: 20, amount: null, currency: null, minSubtotal: 1000, usageLimit: 50, perCustomerLimit: 1, timesUsed: 0, status: 'active' },
      );
      const byCode = (await admin({ method: 'GET', url: url('?code=SPRING-SALE_1') })).json();
      assert.deepEqual(byCode.items.map((c: { id: string }) => c.id), [created.id]);
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: LightMyRequestResponse = await admin({ method: 'GET', url: url(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`) });
        assert.equal(page.statusCode, 200, page.body);
        const body = page.json<{ items: { id: string }[]; nextCursor: string | null }>();
        for (const item of body.items) seen.add(item.id);
        cursor = body.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      const [count] = await env.souk.database.query<{ n: number }>('select count(*)::int as n from promotions_coupons where platform_id = $1', [shop.platform.id]);
      assert.equal(seen.size, count!.n);
      expectProblem(await admin({ method: 'GET', url: url('?cursor=garbage') }), 400, 'invalid_cursor');
      const disabled = (await admin({ method: 'GET', url: url('?status=disabled') })).json();
      assert.ok(disabled.items.every((c: { status: string }) => c.status === 'disabled'));
    });

    it('refuses bad input with a 4xx and changes nothing', async () => {
      await coupon({ code: 'TAKEN' });
      const before = await fingerprint();
      const bad: [Record<string, unknown>, number, string?][] = [
        [{ code: 'taken', kind: 'percentage', percent: 5 }, 409, 'coupon_code_taken'],
        [{ code: 'F1', kind: 'fixed', amount: 100 }, 422, 'invalid_coupon'],
        [{ code: 'F2', kind: 'fixed', amount: 100, currency: 'USD', percent: 5 }, 422, 'invalid_coupon'],
        [{ code: 'F3', kind: 'fixed', amount: 100, currency: 'JPY' }, 422, 'currency_not_supported'],
        [{ code: 'F4', kind: 'fixed', amount: 0, currency: 'USD' }, 400],
        [{ code: 'P1', kind: 'percentage' }, 422, 'invalid_coupon'],
        [{ code: 'P2', kind: 'percentage', percent: 0 }, 400],
        [{ code: 'P3', kind: 'percentage', percent: 101 }, 400],
        [{ code: 'P4', kind: 'percentage', percent: 5, amount: 100 }, 422, 'invalid_coupon'],
        [{ code: 'P5', kind: 'percentage', percent: 5, startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }, 422, 'invalid_coupon_window'],
        [{ code: 'P6', kind: 'percentage', percent: 5, startsAt: 'tomorrow' }, 400],
        [{ code: 'P6', kind: 'percentage', percent: 5, startsAt: '0000-01-01T00:00:00Z' }, 422, 'invalid_coupon_window'],
        [{ code: 'P6', kind: 'percentage', percent: 5, endsAt: '2030-01-01T23:59:60Z' }, 422, 'invalid_coupon_window'],
        [{ code: 'P7', kind: 'percentage', percent: 5, usageLimit: 0 }, 400],
        [{ code: 'P8', kind: 'percentage', percent: 5, productIds: ['not-a-uuid'] }, 400],
        [{ code: 'P9', kind: 'percentage', percent: 5, surprise: true }, 400],
        [{ code: 'bad code', kind: 'percentage', percent: 5 }, 400],
        [{ code: '', kind: 'percentage', percent: 5 }, 400],
        [{ code: 'P10', kind: 'bogo' }, 400],
      ];
      for (const [payload, status, code] of bad) {
        expectProblem(await admin({ method: 'POST', url: url(), payload }), status, code);
      }
      const target = (await admin({ method: 'GET', url: url('?code=taken') })).json().items[0].id as string;
      const badPatches: [Record<string, unknown>, number, string?][] = [
        [{}, 400],
        [{ code: 'OTHER' }, 400],
        [{ kind: 'fixed' }, 400],
        [{ status: 'deleted' }, 400],
        [{ startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }, 422, 'invalid_coupon_window'],
        [{ perCustomerLimit: -1 }, 400],
        [{ endsAt: '0000-01-01T00:00:00Z' }, 422, 'invalid_coupon_window'],
      ];
      for (const [payload, status, code] of badPatches) {
        expectProblem(await admin({ method: 'PATCH', url: url(`/${target}`), payload }), status, code);
      }
      expectProblem(await admin({ method: 'PATCH', url: url(`/${newId()}`), payload: { status: 'disabled' } }), 404, 'coupon_not_found');
      expectProblem(await admin({ method: 'PATCH', url: url('/not-a-uuid'), payload: { status: 'disabled' } }), 400);
      expectProblem(await asBearer(env.app, shop.supportToken, { method: 'POST', url: url(), payload: { code: 'S1', kind: 'percentage', percent: 5 } }), 403);
      assert.equal(await fingerprint(), before);
    });

    it("refuses a scope naming products or categories this platform does not have (another platform's included), on create and PATCH", async () => {
      const otherAdmin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, other.adminToken, options);
      const theirCategory = await otherAdmin({ method: 'POST', url: '/admin/platforms/promo-other/categories', payload: { handle: 'their-cat', name: 'Theirs' } });
      assert.equal(theirCategory.statusCode, 201, theirCategory.body);
      const theirProduct = await otherAdmin({
        method: 'POST',
        url: '/admin/platforms/promo-other/products',
        payload: { handle: 'their-mug', title: 'Their mug', status: 'published', variants: [{ sku: 'their-mug', prices: [{ currency: 'USD', amount: 900 }] }] },
      });
      assert.equal(theirProduct.statusCode, 201, theirProduct.body);
      const theirProductId = theirProduct.json().id as string;
      const theirCategoryId = theirCategory.json().id as string;
      const nowhere = newId();
      const target = await coupon({ productIds: [mugProduct] });
      const before = await fingerprint();

      const refused = async (res: LightMyRequestResponse, productIds: string[], categoryIds: string[]) => {
        expectProblem(res, 422, 'unknown_catalog_reference');
        assert.deepEqual([res.json().productIds, res.json().categoryIds], [productIds, categoryIds]);
        return res.json().detail as string;
      };
      const create = (scope: Record<string, unknown>) => admin({ method: 'POST', url: url(), payload: { code: nextCode('U'), kind: 'percentage', percent: 5, ...scope } });
      const patch = (scope: Record<string, unknown>) => admin({ method: 'PATCH', url: url(`/${target.id}`), payload: scope });
      const detail = await refused(await create({ productIds: [mugProduct, theirProductId] }), [theirProductId], []);
      // Only the unknown id is named, not the known one sent beside it.
      assert.ok(detail.includes(theirProductId) && !detail.includes(mugProduct), detail);
      await refused(await create({ productIds: [nowhere] }), [nowhere], []);
      await refused(await create({ categoryIds: [theirCategoryId] }), [], [theirCategoryId]);
      // A product id is not a category id (and the other way round).
      await refused(await create({ productIds: [mugProduct], categoryIds: [mugProduct] }), [], [mugProduct]);
      await refused(await patch({ productIds: [theirProductId] }), [theirProductId], []);
      await refused(await patch({ categoryIds: [nowhere], status: 'disabled' }), [], [nowhere]);
      assert.equal(await fingerprint(), before);

      const upper = mugProduct.toUpperCase();
      const ok = await patch({ productIds: [upper, shirtProduct] });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual([...ok.json().productIds].sort(), [mugProduct, shirtProduct].sort());
    });

    it('PATCHes status, limits and window; usageLimit cannot fall below the uses taken', async () => {
      const c = await coupon({ usageLimit: 5 });
      await redeem(c.code, cart([line(mugProduct, 1000)]));
      await redeem(c.code, cart([line(mugProduct, 1000)]));
      const before = await fingerprint();
      expectProblem(await admin({ method: 'PATCH', url: url(`/${c.id}`), payload: { usageLimit: 1, status: 'disabled' } }), 409, 'usage_limit_below_used');
      assert.equal(await fingerprint(), before);
      const patched = await admin({
        method: 'PATCH',
        url: url(`/${c.id}`),
        payload: { usageLimit: 2, perCustomerLimit: 3, startsAt: '2020-01-01T00:00:00Z', endsAt: null, minSubtotal: 10 },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      const body = patched.json();
      assert.deepEqual([body.usageLimit, body.perCustomerLimit, body.startsAt, body.endsAt, body.minSubtotal, body.timesUsed], [2, 3, '2020-01-01T00:00:00.000Z', null, 10, 2]);
      const unlimited = (await admin({ method: 'PATCH', url: url(`/${c.id}`), payload: { usageLimit: null, status: 'disabled' } })).json();
      assert.deepEqual([unlimited.usageLimit, unlimited.status], [null, 'disabled']);
      await rejects(redeem(c.code, cart([line(mugProduct, 1000)])), '404:coupon_not_found');
    });

    it("another platform's admin sees 404, and a platform without promotions has no coupon routes", async () => {
      const c = await coupon({});
      expectProblem(await asBearer(env.app, other.adminToken, { method: 'GET', url: url(`/${c.id}`) }), 404, 'platform_not_found');
      expectProblem(await asBearer(env.app, other.adminToken, { method: 'GET', url: `/admin/platforms/promo-other/coupons/${c.id}` }), 404, 'coupon_not_found');
      expectProblem(
        await asBearer(env.app, other.adminToken, { method: 'GET', url: `/admin/platforms/promo-other/coupons/${c.id}/redemptions` }),
        404,
        'coupon_not_found',
      );
      expectProblem(
        await asBearer(env.app, other.adminToken, { method: 'PATCH', url: `/admin/platforms/promo-other/coupons/${c.id}`, payload: { status: 'disabled' } }),
        404,
        'coupon_not_found',
      );
      const otherList = (await asBearer(env.app, other.adminToken, { method: 'GET', url: '/admin/platforms/promo-other/coupons' })).json();
      assert.deepEqual(otherList.items, []);
      // The same code is free on the other platform, and the service on that platform does not see ours.
      const res = await asBearer(env.app, other.adminToken, {
        method: 'POST',
        url: '/admin/platforms/promo-other/coupons',
        payload: { code: c.code, kind: 'percentage', percent: 5 },
      });
      assert.equal(res.statusCode, 201, res.body);
      const otherPdb = env.souk.ctx.platformDb(other.platform.id);
      assert.equal((await promotions.evaluateCoupon(otherPdb, c.code, cart([line(mugProduct, 1000)]))).discount, 50);
      const plain = await createTestPlatform(env, { slug: 'promo-off', modules: ['catalog'] });
      expectProblem(await asBearer(env.app, plain.adminToken, { method: 'GET', url: '/admin/platforms/promo-off/coupons' }), 404, 'module_disabled');
    });
  });
});
