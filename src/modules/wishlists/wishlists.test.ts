// Wishlists on each database engine: save, list, remove; idempotent saves and one event per new item;
// unknown and unpublished products refused without a change; the limit under concurrent saves; an
// archived product leaves every wishlist; and no way across platforms (customer, product, admin).
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem } from '../../../test/problems.ts';
import { waitFor } from '../../../test/wait.ts';
import { WISHLIST_LIMIT } from './service.ts';

const MODULES = ['catalog', 'wishlists'];

eachDatabase('wishlists', (env: TestEnv) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  let shopper: string;
  let otherShopper: string;
  const products: string[] = [];
  let draft: string;
  let otherProduct: string;

  const admin = (platform: TestPlatform, options: InjectOptions) => asBearer(env.app, platform.adminToken, options);
  const as = (platform: TestPlatform, token: string, options: InjectOptions) =>
    env.app.inject({ ...options, headers: { ...platform.store, authorization: `Bearer ${token}` } });
  const fingerprint = () => tablesFingerprint(env.souk.database, ['wishlist_items']);
  const addedEvents = async (productId: string) =>
    (
      await env.souk.database.query<{ n: number }>(
        `select count(*)::int as n from (select type, payload from event_outbox union all select type, payload from event_log) e
         where e.type = 'wishlist.item_added' and e.payload ->> 'productId' = $1`,
        [productId],
      )
    )[0]!.n;

  async function product(platform: TestPlatform, handle: string, status = 'published'): Promise<string> {
    const res = await admin(platform, {
      method: 'POST',
      url: `/admin/platforms/${platform.platform.slug}/products`,
      payload: { handle, title: `Title ${handle}`, status, variants: [{ sku: `${platform.platform.slug}-${handle}`, prices: [{ currency: 'USD', amount: 1500 }] }] },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }
  async function customer(platform: TestPlatform, email: string): Promise<string> {
    const res = await env.app.inject({ method: 'POST', url: '/store/customers', headers: platform.store, payload: { email, password: 'customer-password' } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().token;
  }

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'wish-shop', modules: MODULES });
    other = await createTestPlatform(env, { slug: 'wish-other', modules: MODULES });
    for (const handle of ['lamp', 'chair', 'desk']) products.push(await product(shop, handle));
    draft = await product(shop, 'sketch', 'draft');
    otherProduct = await product(other, 'rug');
    shopper = await customer(shop, 'ann@wish.test');
    otherShopper = await customer(other, 'bob@wish.test');
  });

  it('saves products once, lists them newest first with their storefront view, and removes them', async () => {
    const [lamp, chair] = products as [string, string];
    assert.equal((await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${lamp}` })).statusCode, 204);
    assert.equal((await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${chair}` })).statusCode, 204);
    const again = await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${lamp.toUpperCase()}` });
    assert.equal(again.statusCode, 204, 'a second save of the same product is a no-op');
    assert.equal(await addedEvents(lamp), 1, 'one wishlist.item_added per product actually added');

    const list = await as(shop, shopper, { method: 'GET', url: '/store/wishlist' });
    assert.equal(list.statusCode, 200, list.body);
    const items = list.json().items as { productId: string; product: { title: string; handle: string } | null }[];
    assert.deepEqual(items.map((i) => i.productId), [chair, lamp]);
    assert.equal(items[0]!.product?.title, 'Title chair');

    assert.equal((await as(shop, shopper, { method: 'DELETE', url: `/store/wishlist/items/${chair}` })).statusCode, 204);
    assert.equal((await as(shop, shopper, { method: 'DELETE', url: `/store/wishlist/items/${chair}` })).statusCode, 204);
    assert.deepEqual((await as(shop, shopper, { method: 'GET', url: '/store/wishlist' })).json().items.map((i: { productId: string }) => i.productId), [lamp]);
  });

  it('refuses unknown, unpublished and other platforms\' products, and guests, changing nothing', async () => {
    const before = await fingerprint();
    for (const id of [draft, otherProduct, '00000000-0000-4000-8000-000000000000']) {
      expectProblem(await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${id}` }), 404, 'wishlist_product_not_found');
    }
    expectProblem(await as(shop, shopper, { method: 'PUT', url: '/store/wishlist/items/not-a-uuid' }), 400);
    const guest = await env.app.inject({ method: 'PUT', url: `/store/wishlist/items/${products[0]}`, headers: shop.store });
    expectProblem(guest, 401, 'unauthorized');
    expectProblem(await as(shop, shopper, { method: 'GET', url: '/store/wishlist?currency=XXX' }), 400, 'currency_not_supported');
    assert.deepEqual(await fingerprint(), before);
  });

  it('keeps platforms apart: another platform\'s customer and admin see nothing of this one', async () => {
    await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${products[1]}` });
    // A's customer token on B's storefront is no customer there.
    expectProblem(await as(other, shopper, { method: 'GET', url: '/store/wishlist' }), 401, 'unauthorized');
    const theirs = await as(other, otherShopper, { method: 'GET', url: '/store/wishlist' });
    assert.deepEqual(theirs.json().items, []);
    expectProblem(await admin(other, { method: 'GET', url: '/admin/platforms/wish-shop/wishlists/most-wished' }), 404);
    const mine = await admin(shop, { method: 'GET', url: '/admin/platforms/wish-shop/wishlists/most-wished' });
    assert.equal(mine.statusCode, 200, mine.body);
    assert.ok(mine.json().items.every((i: { productId: string }) => products.includes(i.productId)));
  });

  it('answers 404 on a platform without the module', async () => {
    const bare = await createTestPlatform(env, { slug: 'wish-bare', modules: ['catalog'] });
    const token = await customer(bare, 'cat@wish.test');
    expectProblem(await as(bare, token, { method: 'GET', url: '/store/wishlist' }), 404, 'module_disabled');
  });

  it('holds the limit under concurrent saves', async () => {
    const token = await customer(shop, 'many@wish.test');
    const ids = await Promise.all(Array.from({ length: WISHLIST_LIMIT + 5 - products.length }, (_, i) => product(shop, `bulk-${i}`)));
    const all = [...products, ...ids];
    const answers = await Promise.all(all.map((id) => as(shop, token, { method: 'PUT', url: `/store/wishlist/items/${id}` })));
    const codes = answers.map((a) => a.statusCode);
    assert.equal(codes.filter((c) => c === 204).length, WISHLIST_LIMIT);
    assert.equal(codes.filter((c) => c === 409).length, 5);
    assert.equal((await as(shop, token, { method: 'GET', url: '/store/wishlist' })).json().items.length, WISHLIST_LIMIT);
  });

  it('drops an archived product from every wishlist (the catalog.product_archived subscription)', async () => {
    const vase = await product(shop, 'vase');
    await as(shop, shopper, { method: 'PUT', url: `/store/wishlist/items/${vase}` });
    const archived = await admin(shop, { method: 'POST', url: `/admin/platforms/wish-shop/products/${vase}/archive` });
    assert.equal(archived.statusCode, 200, archived.body);
    await waitFor('the archived product to leave the wishlist', async () => {
      const items = (await as(shop, shopper, { method: 'GET', url: '/store/wishlist' })).json().items as { productId: string }[];
      return !items.some((i) => i.productId === vase);
    });
  });
});
