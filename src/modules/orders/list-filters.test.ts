// The admin orders list filtered by when an order was placed (createdFrom inclusive, createdTo exclusive)
// and by coupon code (any case), alone and together, with keyset paging through a filtered list; bad values
// are a 400 that says which field, and another platform's orders never show. A property test checks random
// windows against the same filter done in JavaScript over the seeded orders.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eachDatabase } from '../../../test/harness.ts';
import { checkout, createShop, expectProblem, readyCart, stockedVariants, type Shop } from '../../../test/commerce.ts';

const DAY = 86_400_000;
/** Placed times of the seeded orders, one a day back from this instant; every third used the coupon. */
const ANCHOR = Date.parse('2026-03-10T12:00:00.000Z');
const SEEDED = 9;

interface Seeded {
  id: string;
  createdAt: number;
  coupon: string | null;
}

eachDatabase('admin orders list: date and coupon filters', (env) => {
  let shop: Shop;
  let other: Shop;
  const seeded: Seeded[] = [];

  const list = async (query: Record<string, string>, target: Shop = shop) => {
    const qs = new URLSearchParams(query).toString();
    return target.admin({ method: 'GET', url: `/admin/platforms/${target.slug}/orders?${qs}` });
  };
  /** Every id the filter gives, following nextCursor with pages of `limit`. */
  const allPages = async (query: Record<string, string>, limit: number): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const res = await list({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { items: { id: string }[]; nextCursor: string | null };
      ids.push(...body.items.map((o) => o.id));
      cursor = body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('paging did not end');
  };
  const expected = (filter: (o: Seeded) => boolean) => seeded.filter(filter).map((o) => o.id).sort().reverse();

  before(async () => {
    shop = await createShop(env, 'ordf-shop');
    other = await createShop(env, 'ordf-other');
    for (const target of [shop, other]) {
      const res = await target.admin({ method: 'POST', url: `/admin/platforms/${target.slug}/coupons`, payload: { code: 'Spring15', kind: 'percentage', percent: 15 } });
      assert.equal(res.statusCode, 201, res.body);
    }
    const [variantId] = await stockedVariants(shop, 1, 100);
    for (let i = 0; i < SEEDED; i += 1) {
      const coupon = i % 3 === 0 ? 'SPRING15' : null;
      const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }], { email: `f${i}@test.souk`, ...(coupon ? { coupon } : {}) });
      const res = await checkout(shop, cartId, `ordf-${i}`);
      assert.equal(res.statusCode, 201, res.body);
      const createdAt = ANCHOR - i * DAY;
      await env.souk.ctx.platformDb(shop.platform.platform.id).execute('update orders set created_at = $2 where platform_id = $1 and id = $3', [new Date(createdAt).toISOString(), res.json().id]);
      seeded.push({ id: res.json().id, createdAt, coupon: res.json().couponCode });
    }
    // The other platform has an order with the same coupon code in the same window.
    const [otherVariant] = await stockedVariants(other, 1, 10);
    const otherCart = await readyCart(other, [{ variantId: otherVariant!, quantity: 1 }], { coupon: 'spring15' });
    assert.equal((await checkout(other, otherCart, 'ordf-other')).statusCode, 201);
  });

  it('filters by coupon code in any case, and pages through the filtered list without gaps or repeats', async () => {
    const withCoupon = expected((o) => o.coupon !== null);
    assert.equal(withCoupon.length, 3);
    assert.deepEqual(await allPages({ coupon: 'spring15' }, 2), withCoupon);
    assert.deepEqual(await allPages({ coupon: 'SPRING15' }, 1), withCoupon);
    assert.deepEqual(await allPages({ coupon: 'NOSUCH' }, 5), []);
  });

  it('filters by a placed-at window: from inclusive, to exclusive, alone and with the coupon', async () => {
    const from = ANCHOR - 5 * DAY;
    const to = ANCHOR - 1 * DAY;
    const window = { createdFrom: new Date(from).toISOString(), createdTo: new Date(to).toISOString() };
    assert.deepEqual(await allPages(window, 2), expected((o) => o.createdAt >= from && o.createdAt < to));
    assert.equal((await allPages(window, 50)).length, 4);
    assert.deepEqual(await allPages({ ...window, coupon: 'Spring15' }, 1), expected((o) => o.createdAt >= from && o.createdAt < to && o.coupon !== null));
    // A zone offset is the same instant.
    const shifted = { createdFrom: '2026-03-05T20:00:00+08:00' };
    assert.deepEqual(await allPages(shifted, 3), expected((o) => o.createdAt >= Date.parse('2026-03-05T12:00:00Z')));
    assert.deepEqual(await allPages({ createdTo: new Date(ANCHOR - 7 * DAY).toISOString() }, 10), expected((o) => o.createdAt < ANCHOR - 7 * DAY));
  });

  it('random windows give exactly the orders a filter in JavaScript gives', async () => {
    const instant = fc.integer({ min: -2, max: SEEDED + 1 }).chain((d) => fc.constantFrom(ANCHOR - d * DAY, ANCHOR - d * DAY + 1, ANCHOR - d * DAY - 1));
    await fc.assert(
      fc.asyncProperty(fc.option(instant, { nil: undefined }), fc.option(instant, { nil: undefined }), fc.boolean(), fc.integer({ min: 1, max: 4 }), async (a, b, coupon, limit) => {
        const [from, to] = a !== undefined && b !== undefined && b < a ? [b, a] : [a, b];
        const query = {
          ...(from !== undefined ? { createdFrom: new Date(from).toISOString() } : {}),
          ...(to !== undefined ? { createdTo: new Date(to).toISOString() } : {}),
          ...(coupon ? { coupon: 'spring15' } : {}),
        };
        const want = expected((o) => (from === undefined || o.createdAt >= from) && (to === undefined || o.createdAt < to) && (!coupon || o.coupon !== null));
        assert.deepEqual(await allPages(query, limit), want);
      }),
      { numRuns: 25 },
    );
  });

  it("never shows another platform's orders, with or without filters", async () => {
    const ours = new Set(seeded.map((o) => o.id));
    const theirs = await list({ coupon: 'spring15' }, other);
    assert.equal(theirs.statusCode, 200);
    assert.equal(theirs.json().items.length, 1);
    assert.ok(!ours.has(theirs.json().items[0].id));
    // The other platform's admin asking for our platform by slug sees nothing of it.
    const crossed = await other.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders?coupon=spring15` });
    assert.equal(crossed.statusCode, 404);
  });

  it('bad values are a 400 naming the field', async () => {
    expectProblem(await list({ createdFrom: 'yesterday' }), 400, 'validation_failed');
    expectProblem(await list({ createdTo: '2026-03-01' }), 400, 'validation_failed');
    expectProblem(await list({ coupon: '' }), 400, 'validation_failed');
    expectProblem(await list({ coupon: 'x'.repeat(65) }), 400, 'validation_failed');
    const inverted = await list({ createdFrom: '2026-03-05T00:00:00Z', createdTo: '2026-03-01T00:00:00Z' });
    expectProblem(inverted, 400, 'invalid_value');
    assert.match(inverted.json().detail, /createdTo .* is before createdFrom/);
    const yearZero = await list({ createdFrom: '0000-01-01T00:00:00Z' });
    expectProblem(yearZero, 400);
    assert.match(yearZero.body, /createdFrom/);
    expectProblem(await list({ createdFrom: '2026-03-01T00:00:00Z', cursor: 'nonsense' }), 400, 'invalid_cursor');
  });
});
