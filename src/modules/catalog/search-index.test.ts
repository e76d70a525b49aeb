// The storefront read model on each database engine: the search token index (prefix words, Chinese
// character pairs, ranking by where a word appears, kept up to date by every write, one platform's
// tokens never finding another's products) and the kept title sort keys (the title order in a
// translated language, keyset pages). The migration's backfill must build the same rows as the writes.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from '../../../test/harness.ts';
import type { ProductInput } from './schemas.ts';
import { queryTokens, RUNS_PATTERN } from './search.ts';

function product(handle: string, overrides: Partial<ProductInput> = {}): ProductInput {
  return {
    handle,
    title: `Item ${handle}`,
    status: 'published',
    options: [],
    variants: [{ sku: handle.toUpperCase(), prices: [{ currency: 'USD', amount: 1000 }] }],
    ...overrides,
  };
}

eachDatabase('catalog read model', (env) => {
  let a: TestPlatform;
  let b: TestPlatform;
  const adminOf = (shop: TestPlatform) => (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const storeOf = (shop: TestPlatform) => (url: string) => env.app.inject({ url, headers: shop.store });
  const handles = (res: LightMyRequestResponse) => {
    assert.equal(res.statusCode, 200, res.body);
    return res.json().items.map((p: { handle: string }) => p.handle);
  };
  const search = async (shop: TestPlatform, q: string, extra = '') => handles(await storeOf(shop)(`/store/products?q=${encodeURIComponent(q)}&limit=100${extra}`));
  /** Every page of a search, `limit` products at a time, following the cursors. */
  const walk = async (shop: TestPlatform, q: string, limit: number) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: LightMyRequestResponse = await storeOf(shop)(`/store/products?q=${encodeURIComponent(q)}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...handles(res));
      cursor = res.json().nextCursor;
    } while (cursor);
    return seen;
  };
  const bulk = async (shop: TestPlatform, products: ProductInput[]) => {
    const res = await adminOf(shop)({ method: 'POST', url: `/admin/platforms/${shop.platform.slug}/products/bulk`, payload: { products } });
    assert.equal(res.statusCode, 200, res.body);
  };

  before(async () => {
    a = await createTestPlatform(env, { slug: 'rm-a', currency: 'USD', locales: ['en', 'zh-CN'] });
    b = await createTestPlatform(env, { slug: 'rm-b', currency: 'USD', locales: ['en', 'zh-CN'] });
    await bulk(a, [
      product('in-title', { title: 'Harbour Lamp', description: 'brass' }),
      product('in-tag', { title: 'Desk Light', tags: ['harbour'] }),
      product('in-description', { title: 'Table Light', description: 'Seen in every harbour town' }),
      product('in-title-and-tag', { title: 'Harbours Edition Lamp', tags: ['harbour'] }),
      product('zh-dress', { title: 'Floral Dress', translations: { 'zh-CN': { title: '夏季碎花连衣裙', description: '轻盈' } } }),
      product('draft-harbour', { title: 'Harbour Draft', status: 'draft' }),
    ]);
    await bulk(b, [product('b-harbour', { title: 'Harbour Lamp B' }), product('b-only', { title: 'Zanzibar Chair' })]);
  });

  it('ranks title above tag above description, and adds them up', async () => {
    assert.deepEqual(await search(a, 'harbour'), ['in-title-and-tag', 'in-title', 'in-tag', 'in-description']);
    // A relevance walk one product per page gives the same order, each product once.
    assert.deepEqual(await walk(a, 'harbour', 1), ['in-title-and-tag', 'in-title', 'in-tag', 'in-description']);
  });

  it('ranks a word that is one stored token (read from the best postings) as the aggregation would', async () => {
    const c = await createTestPlatform(env, { slug: 'rm-c', currency: 'USD', locales: ['en'] });
    await bulk(c, [
      product('l-desc', { title: 'Plain Hook', description: 'hangs a lantern' }),
      product('l-title', { title: 'Storm Lantern' }),
      product('l-title-tag', { title: 'Lantern Pair', tags: ['lantern'] }),
      product('l-tag', { title: 'Garden Hook', tags: ['lantern'] }),
      product('l-title-desc', { title: 'Brass Lantern', description: 'an old lantern' }),
      product('l-draft', { title: 'Lantern Draft', status: 'draft' }),
    ]);
    const ranked = ['l-title-tag', 'l-title-desc', 'l-title', 'l-tag', 'l-desc'];
    assert.deepEqual(await search(c, 'lantern'), ranked);
    assert.deepEqual(await search(c, 'LANTERN'), ranked);
    assert.deepEqual(await walk(c, 'lantern', 2), ranked);
    // The same products through the aggregation (a price range makes the page filter its hits).
    assert.deepEqual(await search(c, 'lantern', '&minPrice=0'), ranked);
    assert.deepEqual(await search(c, 'lanterns'), []);
    assert.deepEqual(await search(c, 'zanzibar'), []);
  });

  it('matches words by prefix, case and width folded, and never inside a word', async () => {
    assert.deepEqual((await search(a, 'harb')).sort(), ['in-description', 'in-tag', 'in-title', 'in-title-and-tag']);
    assert.deepEqual((await search(a, 'ＨＡＲＢＯＵＲ lamp')).sort(), ['in-title', 'in-title-and-tag']);
    assert.deepEqual(await search(a, 'arbour'), []);
    assert.deepEqual(await search(a, 'harbour chair'), []);
    assert.deepEqual(await search(a, 'brass'), ['in-title']);
  });

  it('combines a search with a category, a price sort and a title sort', async () => {
    const cat = await adminOf(a)({ method: 'POST', url: '/admin/platforms/rm-a/categories', payload: { handle: 'rm-lamps', name: 'Lamps' } });
    assert.equal(cat.statusCode, 201, cat.body);
    await bulk(a, [
      { handle: 'in-tag', title: 'Desk Light', categories: ['rm-lamps'], variants: [{ sku: 'IN-TAG', prices: [{ currency: 'USD', amount: 300 }] }] },
      { handle: 'in-description', title: 'Table Light', categories: ['rm-lamps'], variants: [{ sku: 'IN-DESCRIPTION', prices: [{ currency: 'USD', amount: 200 }] }] },
    ] as ProductInput[]);
    assert.deepEqual(await search(a, 'harbour', '&category=rm-lamps'), ['in-tag', 'in-description']);
    assert.deepEqual(await search(a, 'harbour', '&category=rm-lamps&sort=price_asc'), ['in-description', 'in-tag']);
    assert.deepEqual(await search(a, 'harbour', '&category=rm-lamps&sort=title'), ['in-tag', 'in-description']);
    assert.deepEqual(await search(a, 'harbour', '&sort=price_desc').then((h: string[]) => h.sort()), ['in-description', 'in-tag', 'in-title', 'in-title-and-tag']);
  });

  it('finds Chinese by character pairs and by a single character', async () => {
    for (const q of ['连衣裙', '碎花', '裙', '夏', '轻盈', '夏季 连衣裙']) assert.deepEqual(await search(a, q), ['zh-dress'], q);
    assert.deepEqual(await search(a, '裙子'), []);
    const zh = (await storeOf(a)(`/store/products?q=${encodeURIComponent('连衣裙')}&locale=zh-CN`)).json();
    assert.equal(zh.items[0].title, '夏季碎花连衣裙');
  });

  it("never finds another platform's products", async () => {
    assert.ok(!(await search(a, 'harbour')).includes('b-harbour'));
    assert.deepEqual(await search(b, 'harbour'), ['b-harbour']);
    assert.deepEqual(await search(a, 'zanzibar'), []);
    assert.deepEqual(await search(b, 'zanzibar'), ['b-only']);
    const adminA = await adminOf(a)({ url: '/admin/platforms/rm-a/products?q=zanzibar' });
    assert.deepEqual(handles(adminA), []);
    // Another platform's admin sees its own drafts only.
    const adminB = await adminOf(b)({ url: '/admin/platforms/rm-b/products?q=harbour' });
    assert.deepEqual(handles(adminB), ['b-harbour']);
  });

  it('keeps drafts out of the store but in the admin search', async () => {
    assert.ok(!(await search(a, 'draft')).includes('draft-harbour'));
    const res = await adminOf(a)({ url: '/admin/platforms/rm-a/products?q=harbour%20draft' });
    assert.deepEqual(handles(res), ['draft-harbour']);
  });

  it('follows every write: rename, translation, SKU, archive, publish', async () => {
    await bulk(a, [product('rm-write', { title: 'Walnut Stool' })]);
    assert.deepEqual(await search(a, 'walnut'), ['rm-write']);
    const id = (await storeOf(a)('/store/products/rm-write')).json().id;
    const patch = async (payload: Record<string, unknown>) => {
      const res = await adminOf(a)({ method: 'PATCH', url: `/admin/platforms/rm-a/products/${id}`, payload });
      assert.equal(res.statusCode, 200, res.body);
    };
    await patch({ title: 'Cedar Stool', translations: { 'zh-CN': { title: '雪松凳子' } } });
    assert.deepEqual(await search(a, 'walnut'), []);
    assert.deepEqual(await search(a, 'cedar'), ['rm-write']);
    assert.deepEqual(await search(a, '凳子'), ['rm-write']);

    const variant = (await adminOf(a)({ url: `/admin/platforms/rm-a/products/${id}` })).json().variants[0].id;
    const renamed = await adminOf(a)({ method: 'PATCH', url: `/admin/platforms/rm-a/products/${id}/variants/${variant}`, payload: { sku: 'QUOKKA-9' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.deepEqual(await search(a, 'quokka'), ['rm-write']);
    assert.deepEqual(await search(a, 'rm'), []);

    const archived = await adminOf(a)({ method: 'POST', url: `/admin/platforms/rm-a/products/${id}/archive` });
    assert.ok(archived.statusCode < 300, archived.body);
    assert.deepEqual(await search(a, 'cedar'), []);
    assert.ok(!handles(await storeOf(a)('/store/products?sort=title&limit=100')).includes('rm-write'));
    await patch({ status: 'published' });
    assert.deepEqual(await search(a, 'cedar'), ['rm-write']);
    assert.ok(handles(await storeOf(a)('/store/products?sort=title&limit=100')).includes('rm-write'));
  });

  it('sorts by the title of the requested language, falling back to the main title, page after page', async () => {
    const shop = await createTestPlatform(env, { slug: 'rm-titles', currency: 'USD', locales: ['en', 'zh-CN'] });
    const titles: [string, string, string | undefined][] = [
      ['t1', 'banana', '香蕉'],
      ['t2', 'Apple', undefined],
      ['t3', 'cherry', 'Cherry 樱桃'],
      ['t4', 'date', undefined],
      ['t5', 'Elder', 'apricot'],
      ['t6', 'fig', '无花果'],
      ['t7', 'apple', undefined],
    ];
    await bulk(shop, titles.map(([handle, title, zh]) => product(handle, { title, ...(zh ? { translations: { 'zh-CN': { title: zh } } } : {}) })));
    const codePoints = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const expected = (localized: (t: (typeof titles)[number]) => string) =>
      titles
        .map((t) => ({ handle: t[0], key: localized(t).toLowerCase() }))
        .sort((x, y) => codePoints(x.key, y.key) || 0)
        .map((x) => x.key);
    for (const [locale, localized] of [
      ['en', (t: (typeof titles)[number]) => t[1]],
      ['zh-CN', (t: (typeof titles)[number]) => t[2] ?? t[1]],
    ] as const) {
      for (const limit of [1, 2, 3, 100]) {
        const seen: { handle: string; title: string }[] = [];
        let cursor: string | null = null;
        do {
          const res: LightMyRequestResponse = await storeOf(shop)(`/store/products?sort=title&locale=${locale}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          assert.equal(res.statusCode, 200, res.body);
          seen.push(...res.json().items);
          cursor = res.json().nextCursor;
        } while (cursor);
        assert.deepEqual(seen.map((p) => p.title.toLowerCase()), expected(localized), `${locale}, pages of ${limit}`);
        assert.equal(new Set(seen.map((p) => p.handle)).size, titles.length);
      }
    }
    // With a search: only the matches, still in title order.
    const res = await storeOf(shop)(`/store/products?sort=title&q=apple&limit=100`);
    assert.deepEqual(res.json().items.map((p: { title: string }) => p.title), ['Apple', 'apple']);
  });

  it('cuts a query in JavaScript as the database cuts it', async () => {
    const migration = readFileSync(new URL('./migrations/0004_catalog_read_model.sql', import.meta.url), 'utf8');
    assert.ok(migration.includes(`'${RUNS_PATTERN}'`), 'the migration uses the character classes of search.ts');
    const samples = [
      'Floral Summer-Dress 夏季碎花连衣裙',
      '100% Snake_case mug',
      'ＤＲＥＳＳ Éte café NAÏVE',
      'iPhone手机壳 and 裙',
      'FLORAL-XYZ-1',
      'Москва ΣΟΦΊΑ Straße',
      'ｶﾀｶﾅ テスト ไทยภาษา',
      '한국어 단어',
      'a—b…c「d」e，f。g',
      'x'.repeat(80),
      '😀 emoji👍word',
      '%',
      '',
    ];
    for (const sample of samples) {
      const [row] = await env.souk.database.query<{ tokens: string[] }>('select array(select catalog_search_terms($1, true)) as tokens', [sample]);
      assert.deepEqual([...queryTokens(sample)].sort(), [...(row?.tokens ?? [])].sort(), sample);
    }
  });

  it('keeps every product card (catalog_store_cards) equal to the product on every write path', async () => {
    const d = await createTestPlatform(env, { slug: 'rm-d', currency: 'USD', locales: ['en', 'zh-CN'] });
    const admin = adminOf(d);
    const url = (path: string) => `/admin/platforms/${d.platform.slug}${path}`;
    const ok = async (res: LightMyRequestResponse) => {
      assert.ok(res.statusCode < 300, res.body);
      return res.statusCode === 204 ? null : res.json();
    };
    const res = await admin({
      method: 'POST',
      url: url('/products/bulk'),
      payload: {
        categories: [{ handle: 'lamps', name: 'Lamps' }, { handle: 'desks', name: 'Desks' }],
        products: [
          product('card-a', { title: 'Card Lamp', categories: ['lamps'], tags: ['brass'], images: ['/static/img/a.svg'] }),
          product('card-b', { title: 'Card Desk', categories: ['desks', 'lamps'], attributes: { material: 'oak' } }),
          product('card-c', { title: 'Card Draft', status: 'draft' }),
        ],
      },
    });
    await ok(res);
    const ids = new Map<string, string>();
    for (const handle of ['card-a', 'card-b', 'card-c']) {
      const [row] = await env.souk.database.query<{ id: string }>('select id from catalog_products where platform_id = $1 and handle = $2', [d.platform.id, handle]);
      ids.set(handle, row!.id);
    }
    const store = storeOf(d);
    // Every listed product (read from its card) as its detail (read from the product's own columns),
    // in each sort, and one card per product: nothing stale, nothing missing.
    const same = async (step: string, listed: string[]) => {
      for (const sort of ['newest', 'price_asc', 'title']) {
        const page = await store(`/store/products?limit=100&sort=${sort}&locale=zh-CN`);
        assert.equal(page.statusCode, 200, page.body);
        const items = page.json().items as { id: string; handle: string }[];
        assert.deepEqual(items.map((p) => p.handle).sort(), [...listed].sort(), `${step}, ${sort}`);
        for (const item of items) {
          const detail = await store(`/store/products/${item.id}?locale=zh-CN`);
          assert.deepEqual(item, detail.json(), `${step}, ${sort}: ${item.handle}`);
        }
      }
      const [count] = await env.souk.database.query<{ cards: number; products: number }>(
        `select (select count(*)::int from catalog_store_cards where platform_id = $1) as cards,
           (select count(*)::int from catalog_products where platform_id = $1) as products`,
        [d.platform.id],
      );
      assert.equal(count!.cards, count!.products, step);
    };
    await same('created', ['card-a', 'card-b']);
    const a = ids.get('card-a')!;
    await ok(await admin({ method: 'PATCH', url: url(`/products/${a}`), payload: { title: 'Card Lamp II', images: ['/static/img/b.svg'], tags: ['copper'], translations: { 'zh-CN': { title: '台灯' } }, categories: ['desks'] } }));
    await same('product fields changed', ['card-a', 'card-b']);
    const variant = await ok(await admin({ method: 'POST', url: url(`/products/${a}/variants`), payload: { sku: 'CARD-A-2', prices: [{ currency: 'USD', amount: 50 }] } }));
    await ok(await admin({ method: 'PATCH', url: url(`/products/${a}/variants/${variant.id}`), payload: { prices: [{ currency: 'USD', amount: 70, compareAtAmount: 90 }] } }));
    await same('variant added and repriced', ['card-a', 'card-b']);
    await ok(await admin({ method: 'DELETE', url: url(`/products/${a}/variants/${variant.id}`) }));
    await same('variant deleted', ['card-a', 'card-b']);
    const categories = (await ok(await admin({ url: url('/categories') }))) as { id: string; handle: string }[] | { items: { id: string; handle: string }[] };
    const list = Array.isArray(categories) ? categories : categories.items;
    const desks = list.find((c) => c.handle === 'desks')!;
    const lamps = list.find((c) => c.handle === 'lamps')!;
    await ok(await admin({ method: 'PATCH', url: url(`/categories/${desks.id}`), payload: { handle: 'tables' } }));
    await same('category renamed', ['card-a', 'card-b']);
    await ok(await admin({ method: 'DELETE', url: url(`/categories/${lamps.id}`) }));
    await same('category deleted', ['card-a', 'card-b']);
    await ok(await admin({ method: 'POST', url: url(`/products/${ids.get('card-b')}/archive`) }));
    await ok(await admin({ method: 'PATCH', url: url(`/products/${ids.get('card-c')}`), payload: { status: 'published', description: 'now live' } }));
    await same('archived and published', ['card-a', 'card-c']);
  });

  it('the migration backfill builds the same rows as the writes', async () => {
    const sql = readFileSync(new URL('./migrations/0004_catalog_read_model.sql', import.meta.url), 'utf8');
    const backfill = sql.match(/insert into catalog_search_tokens[\s\S]*?;\n\ninsert into catalog_product_titles[\s\S]*?;\n/)?.[0];
    assert.ok(backfill, 'the backfill statements are in the migration');
    const db = env.souk.database;
    const dump = async () => [
      await db.query(`select platform_id, token, product_id, weight, published from catalog_search_tokens where platform_id in ($1, $2) order by 1, 2, 3`, [a.platform.id, b.platform.id]),
      await db.query(`select platform_id, product_id, locale, key, published from catalog_product_titles where platform_id in ($1, $2) order by 1, 2, 3`, [a.platform.id, b.platform.id]),
    ];
    const written = await dump();
    assert.ok((written[0] as unknown[]).length > 20);
    await db.transaction(async (tx) => {
      await tx.query('delete from catalog_search_tokens where platform_id in ($1, $2)', [a.platform.id, b.platform.id]);
      await tx.query('delete from catalog_product_titles where platform_id in ($1, $2)', [a.platform.id, b.platform.id]);
      // The backfill covers every platform; the other platforms' rows are already there.
      await tx.query('create temp table keep_tokens on commit drop as select * from catalog_search_tokens');
      await tx.query('create temp table keep_titles on commit drop as select * from catalog_product_titles');
      await tx.query('delete from catalog_search_tokens where platform_id not in ($1, $2)', [a.platform.id, b.platform.id]);
      await tx.query('delete from catalog_product_titles where platform_id not in ($1, $2)', [a.platform.id, b.platform.id]);
      await tx.script(backfill);
      await tx.query('delete from catalog_search_tokens where platform_id not in ($1, $2)', [a.platform.id, b.platform.id]);
      await tx.query('delete from catalog_product_titles where platform_id not in ($1, $2)', [a.platform.id, b.platform.id]);
      await tx.query('insert into catalog_search_tokens select * from keep_tokens');
      await tx.query('insert into catalog_product_titles select * from keep_titles');
    });
    assert.deepEqual(await dump(), written);
  });
});
