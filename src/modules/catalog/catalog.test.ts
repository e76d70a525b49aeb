// The catalog through its HTTP API on each database engine: admin writes, storefront reads, filters,
// search, keyset pagination, bulk import, validation that changes nothing, and cache invalidation.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { expectProblem } from '../../../test/problems.ts';
import { demoCatalog } from './demo-data.ts';
import { CATALOG_CHANNEL, ResponseCache } from './cache.ts';
import { openPostgres } from '../../kernel/db/postgres.ts';
import { waitFor } from '../../../test/wait.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { getSellableVariants } from './store.ts';
import type { ProductInput } from './schemas.ts';

const CATALOG_TABLES = [
  'catalog_categories',
  'catalog_products',
  'catalog_product_categories',
  'catalog_variants',
  'catalog_prices',
  'catalog_product_prices',
  'catalog_search_tokens',
  'catalog_product_titles',
  'catalog_store_cards',
];

/** A digest of every catalog row: equal before and after a rejected request proves it changed nothing. */
function catalogFingerprint(env: TestEnv): Promise<string> {
  return tablesFingerprint(env.souk.database, CATALOG_TABLES);
}

function product(handle: string, overrides: Partial<ProductInput> = {}): ProductInput {
  return {
    handle,
    title: `Title ${handle}`,
    status: 'published',
    options: [{ name: 'size', values: ['S', 'M'] }],
    variants: [
      { sku: `${handle}-S`.toUpperCase(), options: { size: 'S' }, prices: [{ currency: 'USD', amount: 1000 }] },
      { sku: `${handle}-M`.toUpperCase(), options: { size: 'M' }, prices: [{ currency: 'USD', amount: 1200, compareAtAmount: 1500 }] },
    ],
    ...overrides,
  };
}

eachDatabase('catalog', (env) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const store = (url: string, headers: Record<string, string> = {}) => env.app.inject({ url, headers: { ...shop.store, ...headers } });
  const adminUrl = (path: string) => `/admin/platforms/cat-shop${path}`;

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'cat-shop', currency: 'USD', currencies: ['USD', 'EUR'], locales: ['en', 'zh-CN'] });
    other = await createTestPlatform(env, { slug: 'cat-other', currency: 'CNY', locale: 'zh-CN', locales: ['zh-CN', 'en'] });
  });

  describe('products', () => {
    it('creates a draft that only admins see, then publishes it to the store', async () => {
      const created = await admin({
        method: 'POST',
        url: adminUrl('/products'),
        payload: product('linen-shirt', {
          status: 'draft',
          description: 'A cool shirt',
          translations: { 'zh-CN': { title: '亚麻衬衫', description: '凉爽的衬衫' } },
          tags: ['summer'],
          attributes: { material: 'linen', brand: 'Acme' },
          images: ['/static/img/linen-shirt.jpg'],
        }),
      });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json();
      assert.equal(body.status, 'draft');
      assert.equal(body.publishedAt, null);
      assert.equal(body.variants.length, 2);
      assert.deepEqual(body.variants[1].prices, [{ currency: 'USD', amount: 1200, compareAtAmount: 1500 }]);
      assert.deepEqual(body.attributes, { material: 'linen', brand: 'Acme' });

      const fetched = await admin({ url: adminUrl(`/products/${body.id}`) });
      assert.equal(fetched.statusCode, 200);
      assert.equal(fetched.json().title, 'Title linen-shirt');

      expectProblem(await store('/store/products/linen-shirt'), 404, 'product_not_found');
      const list = await store('/store/products?limit=100');
      assert.ok(!list.json().items.some((p: { handle: string }) => p.handle === 'linen-shirt'));

      const published = await admin({ method: 'PATCH', url: adminUrl(`/products/${body.id}`), payload: { status: 'published' } });
      assert.equal(published.statusCode, 200, published.body);
      assert.ok(published.json().publishedAt);

      for (const ref of ['linen-shirt', body.id]) {
        const detail = await store(`/store/products/${ref}`);
        assert.equal(detail.statusCode, 200, detail.body);
        const p = detail.json();
        assert.equal(p.title, 'Title linen-shirt');
        assert.equal(p.currency, 'USD');
        assert.deepEqual(p.priceRange, { min: 1000, max: 1200 });
        assert.deepEqual(
          p.variants.map((v: { sku: string; price: number; compareAtPrice: number | null }) => [v.sku, v.price, v.compareAtPrice]),
          [['LINEN-SHIRT-S', 1000, null], ['LINEN-SHIRT-M', 1200, 1500]],
        );
      }
      const zh = await store('/store/products/linen-shirt?locale=zh-CN');
      assert.equal(zh.json().title, '亚麻衬衫');
      assert.equal(zh.json().locale, 'zh-CN');
      const byHeader = await store('/store/products/linen-shirt', { 'accept-language': 'zh;q=0.9, en;q=0.5' });
      assert.equal(byHeader.json().title, '亚麻衬衫');
      const fallback = await store('/store/products/linen-shirt?locale=fr');
      assert.equal(fallback.json().locale, 'en');
      const eur = await store('/store/products/linen-shirt?currency=EUR');
      assert.equal(eur.json().priceRange, null);
      assert.equal(eur.json().variants[0].price, null);
      expectProblem(await store('/store/products/linen-shirt?currency=JPY'), 400, 'currency_not_supported');
    });

    it("shows another node's write within moments on PostgreSQL (NOTIFY), not after the TTL", async (t) => {
      if (env.engine !== 'postgres') return t.skip('PostgreSQL only: embedded has one process');
      await admin({ method: 'POST', url: adminUrl('/products'), payload: product('far-tee') });
      assert.equal((await store('/store/products/far-tee')).json().title, 'Title far-tee');
      // Another node's write: straight to the database and its notification, past this node's cache.
      const other = await openPostgres(env.souk.config.databaseUrl!, 1);
      try {
        await other.transaction(async (tx) => {
          await tx.execute(`update catalog_products set title = 'Changed elsewhere' where platform_id = $1 and handle = 'far-tee'`, [shop.platform.id]);
          await tx.execute(`select pg_notify('${CATALOG_CHANNEL}', $1::text)`, [shop.platform.id]);
        });
      } finally {
        await other.close();
      }
      await waitFor('the other node\'s write to show', async () => (await store('/store/products/far-tee')).json().title === 'Changed elsewhere', 5_000);
    });

    it('shows an update in the store at once, even when the old response was cached', async () => {
      const created = await admin({ method: 'POST', url: adminUrl('/products'), payload: product('cache-tee') });
      const id = created.json().id;
      assert.equal((await store('/store/products/cache-tee')).json().title, 'Title cache-tee');
      assert.equal((await store('/store/products/cache-tee')).json().title, 'Title cache-tee');
      const listed = await store('/store/products?q=cache-tee');
      assert.equal(listed.json().items[0].title, 'Title cache-tee');

      const patched = await admin({ method: 'PATCH', url: adminUrl(`/products/${id}`), payload: { title: 'Renamed Tee' } });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal((await store('/store/products/cache-tee')).json().title, 'Renamed Tee');
      assert.equal((await store('/store/products?q=cache-tee')).json().items[0].title, 'Renamed Tee');

      const variantId = created.json().variants[0].id;
      await admin({ method: 'PATCH', url: adminUrl(`/products/${id}/variants/${variantId}`), payload: { prices: [{ currency: 'USD', amount: 777 }] } });
      assert.equal((await store('/store/products/cache-tee')).json().variants[0].price, 777);
    });

    it('archives a product: gone from the store, kept for admins', async () => {
      const created = await admin({ method: 'POST', url: adminUrl('/products'), payload: product('old-hat') });
      assert.equal((await store('/store/products/old-hat')).statusCode, 200);
      const archived = await admin({ method: 'POST', url: adminUrl(`/products/${created.json().id}/archive`) });
      assert.equal(archived.statusCode, 200);
      assert.equal(archived.json().status, 'archived');
      expectProblem(await store('/store/products/old-hat'), 404);
      const listed = await admin({ url: adminUrl('/products?status=archived') });
      assert.deepEqual(
        listed.json().items.map((p: { handle: string }) => p.handle),
        ['old-hat'],
      );
      expectProblem(await admin({ method: 'POST', url: adminUrl('/products/01900000-0000-7000-8000-000000000000/archive') }), 404, 'product_not_found');
    });

    it('lets support read but not write', async () => {
      const support = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.supportToken, options);
      assert.equal((await support({ url: adminUrl('/products') })).statusCode, 200);
      expectProblem(await support({ method: 'POST', url: adminUrl('/products'), payload: product('support-made') }), 403);
    });
  });

  describe('variants', () => {
    it('adds, updates and deletes variants with their rules', async () => {
      const created = await admin({ method: 'POST', url: adminUrl('/products'), payload: product('variant-sock') });
      const id = created.json().id;
      const added = await admin({
        method: 'POST',
        url: adminUrl(`/products/${id}/variants`),
        payload: { sku: 'VARIANT-SOCK-M2', options: { size: 'M' }, prices: [{ currency: 'EUR', amount: 900 }] },
      });
      assert.equal(added.statusCode, 201, added.body);
      assert.equal(added.json().position, 2);
      assert.equal(added.json().productId, id);

      const before = await catalogFingerprint(env);
      expectProblem(
        await admin({ method: 'POST', url: adminUrl(`/products/${id}/variants`), payload: { sku: 'VARIANT-SOCK-S', prices: [] } }),
        409,
        'sku_taken',
      );
      expectProblem(
        await admin({ method: 'POST', url: adminUrl(`/products/${id}/variants`), payload: { sku: 'SOCK-XL', options: { size: 'XL' } } }),
        400,
        'invalid_variant_options',
      );
      expectProblem(
        await admin({ method: 'POST', url: adminUrl(`/products/${id}/variants`), payload: { sku: 'SOCK-X', options: { colour: 'red' } } }),
        400,
        'invalid_variant_options',
      );
      expectProblem(
        await admin({ method: 'PATCH', url: adminUrl(`/products/${id}/variants/${added.json().id}`), payload: { sku: 'VARIANT-SOCK-S' } }),
        409,
        'sku_taken',
      );
      expectProblem(
        await admin({ method: 'PATCH', url: adminUrl(`/products/${id}`), payload: { options: [{ name: 'size', values: ['L'] }] } }),
        400,
        'invalid_variant_options',
      );
      assert.equal(await catalogFingerprint(env), before);

      const updated = await admin({
        method: 'PATCH',
        url: adminUrl(`/products/${id}/variants/${added.json().id}`),
        payload: { sku: 'VARIANT-SOCK-M-EU', title: 'EU', prices: [{ currency: 'USD', amount: 50 }, { currency: 'EUR', amount: 45 }] },
      });
      assert.equal(updated.statusCode, 200, updated.body);
      assert.equal(updated.json().sku, 'VARIANT-SOCK-M-EU');
      assert.deepEqual(updated.json().prices, [
        { currency: 'EUR', amount: 45, compareAtAmount: null },
        { currency: 'USD', amount: 50, compareAtAmount: null },
      ]);
      const detail = (await store('/store/products/variant-sock')).json();
      assert.deepEqual(detail.priceRange, { min: 50, max: 1200 });
      assert.equal((await store('/store/products?q=variant-sock-m-eu')).json().items.length, 1);

      const removed = await admin({ method: 'DELETE', url: adminUrl(`/products/${id}/variants/${added.json().id}`) });
      assert.equal(removed.statusCode, 204);
      assert.deepEqual((await store('/store/products/variant-sock')).json().priceRange, { min: 1000, max: 1200 });
      expectProblem(await admin({ method: 'DELETE', url: adminUrl(`/products/${id}/variants/${added.json().id}`) }), 404, 'variant_not_found');
      expectProblem(await admin({ url: adminUrl('/products/not-a-uuid') }), 400);
    });

    it('keeps SKUs unique per platform but allows the same SKU on another platform', async () => {
      assert.equal((await admin({ method: 'POST', url: adminUrl('/products'), payload: product('sku-one') })).statusCode, 201);
      const before = await catalogFingerprint(env);
      const clash = await admin({ method: 'POST', url: adminUrl('/products'), payload: product('sku-two', { variants: [{ sku: 'SKU-ONE-S' }] }) });
      expectProblem(clash, 409, 'sku_taken');
      assert.match(clash.json().detail, /SKU-ONE-S/);
      const twice = await admin({
        method: 'POST',
        url: adminUrl('/products'),
        payload: product('sku-three', { variants: [{ sku: 'DUP-1' }, { sku: 'DUP-1' }] }),
      });
      expectProblem(twice, 409, 'duplicate_sku');
      expectProblem(await admin({ method: 'POST', url: adminUrl('/products'), payload: product('sku-one') }), 409, 'handle_taken');
      assert.equal(await catalogFingerprint(env), before);

      const elsewhere = await asBearer(env.app, other.adminToken, {
        method: 'POST',
        url: '/admin/platforms/cat-other/products',
        payload: product('sku-one', { variants: [{ sku: 'SKU-ONE-S', prices: [{ currency: 'CNY', amount: 100 }] }], options: [] }),
      });
      assert.equal(elsewhere.statusCode, 201, elsewhere.body);
    });
  });

  describe('validation', () => {
    it('answers bad input with a 400 and changes nothing', async () => {
      const existing = await admin({ method: 'POST', url: adminUrl('/products'), payload: product('valid-cap') });
      const id = existing.json().id;
      const before = await catalogFingerprint(env);
      const cases: [ProductInput | Record<string, unknown>, string | undefined][] = [
        [product('bad-currency', { variants: [{ sku: 'BAD-CUR', prices: [{ currency: 'JPY', amount: 100 }] }], options: [] }), 'currency_not_supported'],
        [product('bad-neg', { variants: [{ sku: 'BAD-NEG', prices: [{ currency: 'USD', amount: -1 }] }], options: [] }), 'validation_failed'],
        [product('bad-huge', { variants: [{ sku: 'BAD-HUGE', prices: [{ currency: 'USD', amount: 1e12 + 1 }] }], options: [] }), 'validation_failed'],
        [product('bad-frac', { variants: [{ sku: 'BAD-FRAC', prices: [{ currency: 'USD', amount: 10.5 }] }], options: [] }), 'validation_failed'],
        [product('bad-cat', { categories: ['no-such-category'] }), 'unknown_category'],
        [product('Bad Handle'), 'validation_failed'],
        [product('01900000-0000-7000-8000-000000000000'), 'invalid_handle'],
        [{ ...product('bad-extra'), surprise: true }, 'validation_failed'],
        [product('bad-dup-cur', { variants: [{ sku: 'BAD-DUP', prices: [{ currency: 'USD', amount: 1 }, { currency: 'USD', amount: 2 }] }], options: [] }), 'duplicate_currency'],
        [{ title: 'no handle' }, 'validation_failed'],
      ];
      for (const [payload, code] of cases) {
        expectProblem(await admin({ method: 'POST', url: adminUrl('/products'), payload }), 400, code);
      }
      expectProblem(await admin({ method: 'PATCH', url: adminUrl(`/products/${id}`), payload: {} }), 400, 'validation_failed');
      expectProblem(await admin({ method: 'PATCH', url: adminUrl(`/products/${id}`), payload: { categories: ['nope'] } }), 400, 'unknown_category');
      expectProblem(await admin({ method: 'PATCH', url: adminUrl('/products/01900000-0000-7000-8000-000000000000'), payload: { title: 'x' } }), 404, 'product_not_found');
      expectProblem(
        await admin({ method: 'POST', url: adminUrl('/products/bulk'), payload: { products: [product('bulk-ok-1'), product('bulk-bad', { categories: ['nope'] })] } }),
        400,
        'unknown_category',
      );
      expectProblem(await store('/store/products?cursor=garbage'), 400, 'invalid_cursor');
      expectProblem(await store('/store/products?limit=0'), 400);
      expectProblem(await store('/store/products?limit=101'), 400);
      expectProblem(await store('/store/products?attribute=nocolon'), 400, 'invalid_attribute_filter');
      expectProblem(await store('/store/products?minPrice=-5'), 400);
      expectProblem(await store('/store/products?minPrice=10&maxPrice=5'), 400, 'invalid_price_range');
      expectProblem(await store('/store/products?currency=XYZ'), 400, 'currency_not_supported');
      expectProblem(await store('/store/products?category=missing'), 400, 'unknown_category');
      assert.equal(await catalogFingerprint(env), before);
    });
  });

  describe('categories', () => {
    it('builds a tree, filters products by a category and its descendants, and guards the tree', async () => {
      const mk = async (payload: Record<string, unknown>) => {
        const res = await admin({ method: 'POST', url: adminUrl('/categories'), payload });
        assert.equal(res.statusCode, 201, res.body);
        return res.json();
      };
      const women = await mk({ handle: 'tree-women', name: 'Women', translations: { 'zh-CN': { name: '女装' } } });
      const dresses = await mk({ handle: 'tree-dresses', name: 'Dresses', parent: 'tree-women' });
      const maxi = await mk({ handle: 'tree-maxi', name: 'Maxi', parent: dresses.id });
      await mk({ handle: 'tree-men', name: 'Men' });
      assert.equal(dresses.parentId, women.id);
      expectProblem(await admin({ method: 'POST', url: adminUrl('/categories'), payload: { handle: 'tree-men', name: 'Again' } }), 409, 'handle_taken');

      await admin({ method: 'POST', url: adminUrl('/products'), payload: product('tree-p1', { categories: ['tree-dresses'] }) });
      await admin({ method: 'POST', url: adminUrl('/products'), payload: product('tree-p2', { categories: [maxi.id] }) });
      await admin({ method: 'POST', url: adminUrl('/products'), payload: product('tree-p3', { categories: ['tree-women'] }) });
      await admin({ method: 'POST', url: adminUrl('/products'), payload: product('tree-p4', { categories: ['tree-men'] }) });

      const handles = async (category: string) =>
        (await store(`/store/products?category=${category}`)).json().items.map((p: { handle: string }) => p.handle).sort();
      assert.deepEqual(await handles('tree-women'), ['tree-p1', 'tree-p2', 'tree-p3']);
      assert.deepEqual(await handles(women.id), ['tree-p1', 'tree-p2', 'tree-p3']);
      assert.deepEqual(await handles('tree-dresses'), ['tree-p1', 'tree-p2']);
      assert.deepEqual(await handles('tree-men'), ['tree-p4']);
      assert.deepEqual((await store('/store/products/tree-p2')).json().categories, ['tree-maxi']);

      const tree = (await store('/store/categories?locale=zh-CN')).json().items;
      const womenNode = tree.find((n: { handle: string }) => n.handle === 'tree-women');
      assert.equal(womenNode.name, '女装');
      assert.equal(womenNode.children[0].handle, 'tree-dresses');
      assert.equal(womenNode.children[0].children[0].handle, 'tree-maxi');

      expectProblem(await admin({ method: 'PATCH', url: adminUrl(`/categories/${women.id}`), payload: { parent: 'tree-maxi' } }), 400, 'category_cycle');
      expectProblem(await admin({ method: 'DELETE', url: adminUrl(`/categories/${dresses.id}`) }), 409, 'category_has_children');

      const moved = await admin({ method: 'PATCH', url: adminUrl(`/categories/${maxi.id}`), payload: { parent: 'tree-men' } });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.deepEqual(await handles('tree-men'), ['tree-p2', 'tree-p4']);
      const top = await admin({ method: 'PATCH', url: adminUrl(`/categories/${maxi.id}`), payload: { parent: null, name: 'Maxi!' } });
      assert.equal(top.json().parentId, null);
      assert.equal(top.json().name, 'Maxi!');

      assert.equal((await admin({ method: 'DELETE', url: adminUrl(`/categories/${maxi.id}`) })).statusCode, 204);
      assert.deepEqual((await store('/store/products/tree-p2')).json().categories, []);
      expectProblem(await admin({ url: adminUrl(`/categories/${maxi.id}`) }), 404, 'category_not_found');
      const all = (await admin({ url: adminUrl('/categories') })).json().items.map((c: { handle: string }) => c.handle);
      assert.ok(all.includes('tree-women') && !all.includes('tree-maxi'));
    });
  });

  describe('storefront lists', () => {
    let pager: TestPlatform;
    const pagerStore = (url: string) => env.app.inject({ url, headers: pager.store });
    const PRICES = [500, 300, 900, 300, 100, 700, 300, 800, 200, 600, 400, 1000, 300, 50, 950, 450, 650, 250, 850, 150, 550, 350, 750, 999, 10];

    before(async () => {
      pager = await createTestPlatform(env, { slug: 'cat-pager', currency: 'USD', currencies: ['USD', 'EUR'] });
      const products = PRICES.map((price, i) =>
        product(`pager-${String(i).padStart(2, '0')}`, {
          title: `${String.fromCharCode(90 - i)} item ${i}`,
          options: [],
          attributes: { material: i % 3 === 0 ? 'cotton' : 'silk', colour: i % 2 === 0 ? 'red' : 'blue', year: 2020 + (i % 4), tags: ['a', i % 5 === 0 ? 'rare' : 'common'] },
          // Products without a EUR price must still list, after the priced ones.
          variants: [{ sku: `PAGER-${i}`, prices: [{ currency: 'USD', amount: price }, ...(i % 4 === 0 ? [] : [{ currency: 'EUR', amount: price + 1 }])] }],
        }),
      );
      const res = await asBearer(env.app, pager.adminToken, { method: 'POST', url: '/admin/platforms/cat-pager/products/bulk', payload: { products } });
      assert.equal(res.statusCode, 200, res.body);
    });

    async function walk(query: string, limit: number): Promise<{ handle: string; price: number | null; title: string }[]> {
      const seen: { handle: string; price: number | null; title: string }[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50; page += 1) {
        const res: LightMyRequestResponse = await pagerStore(`/store/products?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.ok(body.items.length <= limit);
        seen.push(...body.items.map((p: { handle: string; priceRange: { min: number } | null; title: string }) => ({ handle: p.handle, price: p.priceRange?.min ?? null, title: p.title })));
        cursor = body.nextCursor;
        if (!cursor) return seen;
      }
      throw new Error('pagination did not end');
    }

    it('pages through every sort with no duplicates and no gaps', async () => {
      const all = PRICES.map((_, i) => `pager-${String(i).padStart(2, '0')}`);
      for (const limit of [1, 7, 25, 100]) {
        const newest = await walk('sort=newest', limit);
        assert.deepEqual(newest.map((p) => p.handle), [...all].reverse());

        const asc = await walk('sort=price_asc', limit);
        assert.equal(new Set(asc.map((p) => p.handle)).size, 25);
        const ascPrices = asc.map((p) => p.price as number);
        assert.deepEqual(ascPrices, [...ascPrices].sort((a, b) => a - b));

        const desc = await walk('sort=price_desc', limit);
        assert.equal(new Set(desc.map((p) => p.handle)).size, 25);
        const descPrices = desc.map((p) => p.price as number);
        assert.deepEqual(descPrices, [...descPrices].sort((a, b) => b - a));

        const byTitle = await walk('sort=title', limit);
        assert.deepEqual(byTitle.map((p) => p.title), [...byTitle.map((p) => p.title)].sort());
        assert.equal(new Set(byTitle.map((p) => p.handle)).size, 25);
      }
      const eur = await walk('sort=price_asc&currency=EUR', 4);
      assert.equal(eur.length, 25);
      const priced = eur.filter((p) => p.price !== null);
      assert.equal(priced.length, 18);
      assert.ok(eur.slice(18).every((p) => p.price === null), 'unpriced products come last');
      const eurDesc = await walk('sort=price_desc&currency=EUR', 4);
      assert.ok(eurDesc.slice(18).every((p) => p.price === null), 'unpriced products come last');

      const first = (await pagerStore('/store/products?sort=title&limit=5')).json();
      expectProblem(await pagerStore(`/store/products?sort=price_asc&cursor=${first.nextCursor}`), 400, 'invalid_cursor');
    });

    it('pages through the admin list too', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: LightMyRequestResponse = await asBearer(env.app, pager.adminToken, {
          url: `/admin/platforms/cat-pager/products?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        });
        assert.equal(res.statusCode, 200, res.body);
        seen.push(...res.json().items.map((p: { handle: string }) => p.handle));
        cursor = res.json().nextCursor;
      } while (cursor);
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
    });

    it('filters by price in the requested currency, combined with sort and paging', async () => {
      const inRange = await walk('minPrice=300&maxPrice=600&sort=price_asc', 2);
      const expected = PRICES.filter((p) => p >= 300 && p <= 600).sort((a, b) => a - b);
      assert.deepEqual(inRange.map((p) => p.price), expected);
      const cheap = await walk('maxPrice=100', 10);
      assert.deepEqual(cheap.map((p) => p.price).sort((a, b) => (a as number) - (b as number)), [10, 50, 100]);
      const eur = await walk('minPrice=301&maxPrice=301&currency=EUR', 10);
      assert.equal(eur.length, 3, 'EUR prices are the USD price + 1, except the i % 4 === 0 items');
    });

    it('filters by attributes by containment', async () => {
      const count = async (q: string) => (await walk(q, 100)).length;
      assert.equal(await count('attribute=material:cotton'), 9);
      assert.equal(await count('attribute=material:cotton&attribute=colour:red'), 5);
      assert.equal(await count('attribute=material:cotton,colour:red'), 5);
      assert.equal(await count('attribute=colour:red,colour:blue'), 25);
      assert.equal(await count('attribute=year:2021'), 6);
      assert.equal(await count('attribute=tags:rare'), 5);
      assert.equal(await count('attribute=material:wool'), 0);
    });
  });

  describe('search', () => {
    before(async () => {
      const res = await admin({
        method: 'POST',
        url: adminUrl('/products/bulk'),
        payload: {
          products: [
            product('search-floral', {
              title: 'Floral Summer Dress',
              translations: { 'zh-CN': { title: '夏季碎花连衣裙', description: '轻盈' } },
              variants: [{ sku: 'FLORAL-XYZ-1' }],
              options: [],
            }),
            product('search-percent', { title: '100% Cotton Tee', tags: ['bestseller'], options: [], variants: [{ sku: 'PCT-1' }] }),
            product('search-under', { title: 'Snake_case Mug', options: [], variants: [{ sku: 'MUG-1' }] }),
            product('search-draft', { title: 'Hidden Dress Draft', status: 'draft', options: [], variants: [{ sku: 'DRAFT-1' }] }),
          ],
        },
      });
      assert.equal(res.statusCode, 200, res.body);
    });

    const found = async (q: string) =>
      (await store(`/store/products?q=${encodeURIComponent(q)}&limit=100`)).json().items.map((p: { handle: string }) => p.handle);

    it('finds products by English words, Chinese substrings, tags and SKUs', async () => {
      assert.deepEqual(await found('dress'), ['search-floral']);
      assert.deepEqual(await found('DRESS'), ['search-floral']);
      assert.deepEqual(await found('summer  floral'), ['search-floral']);
      assert.deepEqual(await found('连衣裙'), ['search-floral']);
      assert.deepEqual(await found('碎花'), ['search-floral']);
      assert.deepEqual(await found('floral-xyz'), ['search-floral']);
      assert.deepEqual(await found('bestseller'), ['search-percent']);
      assert.deepEqual(await found('dress winter'), []);
      const zh = (await store(`/store/products?q=${encodeURIComponent('连衣裙')}&locale=zh-CN`)).json();
      assert.equal(zh.items[0].title, '夏季碎花连衣裙');
    });

    it('treats % and _ as separators, never as wildcards', async () => {
      assert.deepEqual(await found('100%'), ['search-percent']);
      assert.deepEqual(await found('snake_case'), ['search-under']);
      // Words match from their start: no substring inside a word, no wildcard.
      assert.deepEqual(await found('%'), []);
      assert.deepEqual(await found('_'), []);
      assert.deepEqual(await found('ress'), []);
    });

    it('searches every status in the admin list', async () => {
      const res = await admin({ url: adminUrl('/products?q=dress') });
      const handles = res.json().items.map((p: { handle: string }) => p.handle).sort();
      assert.deepEqual(handles, ['search-draft', 'search-floral']);
      const drafts = await admin({ url: adminUrl('/products?q=dress&status=draft') });
      assert.deepEqual(drafts.json().items.map((p: { handle: string }) => p.handle), ['search-draft']);
    });
  });

  describe('bulk import', () => {
    let demo: TestPlatform;
    before(async () => {
      demo = await createTestPlatform(env, { slug: 'cat-demo', currency: 'CNY', locale: 'zh-CN', locales: ['zh-CN', 'en'] });
    });
    const bulk = (payload: unknown) =>
      asBearer(env.app, demo.adminToken, { method: 'POST', url: '/admin/platforms/cat-demo/products/bulk', payload: payload as Record<string, unknown> });

    it('imports the demo catalogue, and re-importing it changes nothing', async () => {
      const input = demoCatalog({ currency: 'CNY', locale: 'zh-CN', markup: 7 });
      const first = await bulk(input);
      assert.equal(first.statusCode, 200, first.body);
      const counts = first.json();
      assert.equal(counts.products.created, input.products.length);
      assert.equal(counts.categories.created, input.categories?.length);
      assert.equal(counts.variants.created, input.products.flatMap((p) => p.variants ?? []).length);

      const fingerprint = await catalogFingerprint(env);
      const again = await bulk(input);
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), {
        categories: { created: 0, updated: 0, unchanged: input.categories?.length },
        products: { created: 0, updated: 0, unchanged: input.products.length },
        variants: { created: 0, updated: 0, unchanged: counts.variants.created },
      });
      assert.equal(await catalogFingerprint(env), fingerprint);

      const dress = await env.app.inject({ url: '/store/products/floral-summer-dress', headers: demo.store });
      assert.equal(dress.json().title, '夏季碎花连衣裙');
      const english = await env.app.inject({ url: '/store/products/floral-summer-dress?locale=en', headers: demo.store });
      assert.equal(english.json().title, 'Floral Summer Dress');
      const search = await env.app.inject({ url: `/store/products?q=${encodeURIComponent('连衣裙')}&limit=100`, headers: demo.store });
      assert.ok(search.json().items.some((p: { handle: string }) => p.handle === 'floral-summer-dress'));
      const women = await env.app.inject({ url: '/store/products?category=women&limit=100', headers: demo.store });
      assert.equal(women.json().items.length, 13);
    });

    it('reports exactly what a changed import updated', async () => {
      const input = demoCatalog({ currency: 'CNY', locale: 'zh-CN', markup: 7 });
      const [first] = input.products;
      assert.ok(first?.variants?.[0]?.prices?.[0]);
      first.variants[0].prices[0].amount += 100;
      first.variants.push({ sku: 'FLORAL-NEW', prices: [{ currency: 'CNY', amount: 1 }] });
      const second = input.products[1];
      assert.ok(second);
      second.tags = ['changed'];
      const categories = (input.categories ?? []).slice(0, 3);
      assert.ok(categories[1]);
      categories[1].name = 'Renamed dresses';
      const res = await bulk({ categories, products: [first, second] });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().categories, { created: 0, updated: 1, unchanged: 2 });
      assert.deepEqual(res.json().products, { created: 0, updated: 2, unchanged: 0 });
      assert.deepEqual(res.json().variants, { created: 1, updated: 1, unchanged: first.variants.length + (second.variants?.length ?? 0) - 2 });
    });

    it('refuses an import that would move a SKU between products, as a whole', async () => {
      const fingerprint = await catalogFingerprint(env);
      const res = await bulk({
        products: [
          { handle: 'brand-new-thing', title: 'New', variants: [{ sku: 'NEW-THING-1' }] },
          { handle: 'another-new-thing', title: 'Other', variants: [{ sku: 'FLORAL-SUMMER-DRESS-WHT-S' }] },
        ],
      });
      expectProblem(res, 409, 'sku_taken');
      assert.equal(await catalogFingerprint(env), fingerprint);
      expectProblem(await bulk({ products: Array.from({ length: 501 }, (_, i) => ({ handle: `p-${i}`, title: 'x' })) }), 400, 'validation_failed');
      expectProblem(await bulk({ products: [{ handle: 'dup', title: 'a' }, { handle: 'dup', title: 'b' }] }), 409, 'duplicate_handle');
      assert.equal(await catalogFingerprint(env), fingerprint);
    });
  });

  describe('service functions', () => {
    it('getSellableVariants returns only published, priced variants', async () => {
      const res = await admin({
        method: 'POST',
        url: adminUrl('/products/bulk'),
        payload: {
          products: [
            product('sell-live', { options: [], variants: [{ sku: 'SELL-LIVE', prices: [{ currency: 'USD', amount: 10 }] }, { sku: 'SELL-NOEUR', prices: [{ currency: 'EUR', amount: 9 }] }] }),
            product('sell-draft', { status: 'draft', options: [], variants: [{ sku: 'SELL-DRAFT', prices: [{ currency: 'USD', amount: 10 }] }] }),
          ],
        },
      });
      assert.equal(res.statusCode, 200, res.body);
      const list = (await admin({ url: adminUrl('/products?q=sell-') })).json().items as { variants: { id: string; sku: string }[] }[];
      const ids = Object.fromEntries(list.flatMap((p) => p.variants.map((v) => [v.sku, v.id])));
      const pdb = env.souk.ctx.platformDb(shop.platform.id);
      const sellable = await getSellableVariants(pdb, [ids['SELL-LIVE'], ids['SELL-NOEUR'], ids['SELL-DRAFT'], 'junk'].filter(Boolean) as string[], 'USD');
      assert.deepEqual(sellable.map((v) => [v.sku, v.price, v.productHandle]), [['SELL-LIVE', 10, 'sell-live']]);
      const otherPlatform = await getSellableVariants(env.souk.ctx.platformDb(other.platform.id), [ids['SELL-LIVE'] as string], 'USD');
      assert.deepEqual(otherPlatform, []);
    });
  });
});

describe('demo catalogue', () => {
  it('is deterministic, bilingual, and at least 60 products of 1–6 variants with unique SKUs', () => {
    const a = demoCatalog({ currency: 'USD', locale: 'en' });
    assert.deepEqual(a, demoCatalog({ currency: 'USD', locale: 'en' }));
    assert.ok(a.products.length >= 60);
    const skus = a.products.flatMap((p) => (p.variants ?? []).map((v) => v.sku));
    assert.equal(new Set(skus).size, skus.length);
    for (const p of a.products) {
      const n = p.variants?.length ?? 0;
      assert.ok(n >= 1 && n <= 6, `${p.handle} has ${n} variants`);
      assert.ok(p.translations?.en?.title && p.translations['zh-CN']?.title);
      assert.ok(p.images?.every((url) => url.startsWith('/static/img/')));
    }
    const dress = a.products.find((p) => p.handle === 'floral-summer-dress');
    assert.equal(dress?.title, 'Floral Summer Dress');
    assert.equal(dress?.translations?.['zh-CN']?.title, '夏季碎花连衣裙');
    const cny = demoCatalog({ currency: 'CNY', locale: 'zh-CN', markup: 7 });
    assert.equal(cny.products[0]?.title, '夏季碎花连衣裙');
    assert.equal(cny.products[0]?.variants?.[0]?.prices?.[0]?.currency, 'CNY');
  });
});

describe('response cache', () => {
  it('retires a platform on a write, ignores responses read before it, and expires entries', async () => {
    const cache = new ResponseCache({ maxEntries: 100, maxChars: 1_000 });
    const gen = cache.generation('p1');
    cache.set('p1', 'k', gen, 'old', 60_000);
    cache.set('p2', 'k', cache.generation('p2'), 'other', 60_000);
    assert.equal(cache.get('p1', 'k'), 'old');
    cache.invalidate('p1');
    assert.equal(cache.get('p1', 'k'), undefined);
    assert.equal(cache.get('p2', 'k'), 'other', 'other platforms keep their entries');
    cache.set('p1', 'k', gen, 'read before the write', 60_000);
    assert.equal(cache.get('p1', 'k'), undefined, 'a response read under the old generation is not stored');
    cache.set('p1', 'short', cache.generation('p1'), 'x', 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(cache.get('p1', 'short'), undefined);
  });

  it('stays within its entry and size budget, dropping the oldest first', () => {
    const cache = new ResponseCache({ maxEntries: 3, maxChars: 160 });
    for (let i = 0; i < 10; i += 1) cache.set('p', `k${i}`, 0, 'x'.repeat(10), 60_000);
    assert.equal(cache.size.entries, 3);
    assert.equal(cache.get('p', 'k0'), undefined);
    assert.equal(cache.get('p', 'k9'), 'x'.repeat(10));
    cache.set('p', 'big', 0, 'y'.repeat(11), 60_000);
    assert.equal(cache.get('p', 'big'), undefined, 'an entry over a sixteenth of the budget is not kept');
    const roomy = new ResponseCache({ maxEntries: 100, maxChars: 320 });
    for (let i = 0; i < 10; i += 1) roomy.set('p', `k${i}`, 0, 'z'.repeat(20), 60_000);
    assert.ok(roomy.size.chars <= 320);
    assert.equal(roomy.get('p', 'k9'), 'z'.repeat(20));
  });
  it('shares one query among concurrent misses, and refreshes an expired hot entry in the background', async () => {
    let now = 1_000_000;
    const cache = new ResponseCache(undefined, () => now);
    let queries = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      queries += 1;
      await gate;
      return `body ${queries}`;
    };
    const readers = Array.from({ length: 50 }, () => cache.load('p', 'hot', 1000, loader));
    release();
    assert.deepEqual(new Set(await Promise.all(readers)), new Set(['body 1']));
    assert.equal(queries, 1, 'fifty concurrent misses, one query');
    now += 1200; // past the TTL (jittered to at most 1,100 ms), within one TTL of it
    // Expired, not invalidated: the old body is served at once while one refresh runs.
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.load('p', 'hot', 1000, async () => { queries += 1; return `body ${queries}`; })));
    assert.deepEqual(new Set(during), new Set(['body 1']));
    assert.equal(queries, 2, 'one background refresh');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.get('p', 'hot'), 'body 2');
    // Long past its expiry, an entry is a miss: the reader waits for a fresh query.
    now += 5000;
    assert.equal(await cache.load('p', 'hot', 1000, async () => 'much later'), 'much later');
    // A write on this node is never answered from before it, not even while a refresh is running.
    cache.invalidate('p');
    assert.equal(await cache.load('p', 'hot', 1000, async () => 'after the write'), 'after the write');
    // A loader that finds nothing caches nothing.
    assert.equal(await cache.load('p', 'missing', 1000, async () => undefined), undefined);
    assert.equal(cache.get('p', 'missing'), undefined);
  });
});
