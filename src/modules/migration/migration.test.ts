// Imports and exports on each database engine, through the admin API as a client uses them: the sample
// Shopify, WooCommerce and customer files give the expected products, variants, prices and stock; a
// second run changes nothing; a dry run writes nothing; broken rows are refused with their row numbers
// while the good rows import (also across batches, where the catalogue refuses one product of a batch);
// a wrong file is refused up front with the columns expected and no job; export → import into a new
// platform gives the same catalogue; and nothing crosses platforms.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { platformRowsFingerprint, tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem } from '../../../test/problems.ts';
import { waitFor } from '../../../test/wait.ts';
import { catalogService } from '../catalog/service.ts';
import { inventoryService } from '../inventory/service.ts';
import { categoriesParentsFirst } from './export/lines.ts';
import { runImport } from './import/run.ts';
import type { ImportError } from './import/apply.ts';
import type { ImportJob } from './schemas.ts';
import { checkout, COMMERCE_MODULES, createShop, readyCart, registerCustomer, stockedVariants, type Shop } from '../../../test/commerce.ts';

const MODULES = ['catalog', 'inventory', 'promotions', 'orders', 'migration'];
const examples = new URL('../../../examples/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, examples));
const CATALOG_TABLES = ['catalog_products', 'catalog_variants', 'catalog_prices', 'catalog_categories', 'catalog_product_categories', 'inventory_levels', 'inventory_ledger', 'customers'];

eachDatabase('migration', (env: TestEnv) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  let counter = 0;

  const slugOf = (p: TestPlatform) => p.platform.slug;
  const newShop = () => createTestPlatform(env, { slug: `mig-${++counter}-${env.engine}`, currency: 'CNY', currencies: ['CNY'], modules: MODULES });

  async function upload(p: TestPlatform, format: string, body: string | Buffer, query: Record<string, string> = {}, token = p.adminToken) {
    return asBearer(env.app, token, {
      method: 'POST',
      url: `/admin/platforms/${slugOf(p)}/migration/imports?${new URLSearchParams({ format, ...query })}`,
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
  }

  async function finished(p: TestPlatform, jobId: string): Promise<ImportJob> {
    return waitFor<ImportJob | undefined>(`import job ${jobId}`, async () => {
      const res = await asBearer(env.app, p.adminToken, { url: `/admin/platforms/${slugOf(p)}/migration/imports/${jobId}` });
      assert.equal(res.statusCode, 200, res.body);
      const job = res.json<ImportJob>();
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    }, 60_000, 50) as Promise<ImportJob>;
  }

  async function importFile(p: TestPlatform, format: string, body: string | Buffer, query: Record<string, string> = {}): Promise<ImportJob> {
    const res = await upload(p, format, body, query);
    assert.equal(res.statusCode, 202, res.body);
    const job = await finished(p, res.json<ImportJob>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    return job;
  }

  /** The platform's catalogue without ids and times: what a round trip must keep. */
  async function catalogue(p: TestPlatform) {
    const pdb = env.souk.ctx.platformDb(p.platform.id);
    const catalog = catalogService(env.souk.ctx);
    const products = await catalog.productsPage(pdb, null, 1000);
    const onHand = await inventoryService(env.souk.ctx).onHandByVariant(pdb, products.flatMap((x) => x.variants.map((v) => v.id)));
    return {
      categories: categoriesParentsFirst(await catalog.listCategories(pdb)).sort((a, b) => a.handle.localeCompare(b.handle)),
      products: products
        .map((x) => ({
          handle: x.handle, title: x.title, description: x.description, status: x.status, translations: x.translations, options: x.options,
          images: x.images, tags: x.tags, attributes: x.attributes, categories: x.categories.map((c) => c.handle).sort(),
          variants: x.variants.map((v) => ({ sku: v.sku, title: v.title, options: v.options, position: v.position, prices: v.prices, onHand: onHand.get(v.id) ?? null })),
        }))
        .sort((a, b) => a.handle.localeCompare(b.handle)),
    };
  }

  /** B's rows, but for the event log: the relay moves B's own events from the outbox while A imports. */
  const rowsOf = async (p: TestPlatform) => (await platformRowsFingerprint(env.souk.database, p.platform.id)).split('\n').filter((line) => !line.startsWith('event_')).join('\n');
  const productOf = async (p: TestPlatform, handle: string) => (await catalogue(p)).products.find((x) => x.handle === handle);

  before(async () => {
    shop = await newShop();
    other = await newShop();
    // Something of B's own that no import into A may touch.
    await importFile(other, 'shopify-products', sample('shopify-products.csv'));
  });

  it('imports the Shopify sample: products, variants, prices, compare-at prices, stock, images, SEO and Chinese text', async () => {
    const before = await rowsOf(other);
    const job = await importFile(shop, 'shopify-products', sample('shopify-products.csv'), { fileName: 'shopify-products.csv' });
    assert.deepEqual(job.counts.products, { created: 4, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.variants, { created: 9, updated: 0, unchanged: 0 });
    // TEE-M-BLK has 0 on hand, which a never-stocked variant already has.
    assert.deepEqual(job.counts.stock, { set: 8, unchanged: 1 });
    assert.equal(job.counts.refused, 0);
    assert.equal(job.progress.percent, 100);
    assert.equal(job.fileName, 'shopify-products.csv');

    const tee = (await productOf(shop, 'classic-tee'))!;
    assert.equal(tee.title, 'Classic Cotton Tee');
    assert.equal(tee.status, 'published');
    assert.match(tee.description, /<p>Pre-shrunk; wash cold.<\/p>/);
    assert.deepEqual(tee.options, [{ name: 'Size', values: ['S', 'M'] }, { name: 'Color', values: ['White', 'Black'] }]);
    assert.deepEqual(tee.images, ['https://cdn.example.com/tee-white.jpg', 'https://cdn.example.com/tee-black.jpg', 'https://cdn.example.com/tee-detail.jpg']);
    assert.deepEqual(tee.tags, ['cotton', 'summer', 'basics']);
    assert.equal(tee.attributes.seoTitle, 'Classic Cotton Tee | Souk Basics');
    assert.equal(tee.attributes.vendor, 'Souk Basics');
    assert.deepEqual(tee.variants.map((v) => [v.sku, v.options, v.prices, v.onHand]), [
      ['TEE-S-WHT', { Size: 'S', Color: 'White' }, [{ currency: 'CNY', amount: 9900, compareAtAmount: 12900 }], 10],
      ['TEE-M-WHT', { Size: 'M', Color: 'White' }, [{ currency: 'CNY', amount: 9900, compareAtAmount: 12900 }], 20],
      ['TEE-S-BLK', { Size: 'S', Color: 'Black' }, [{ currency: 'CNY', amount: 9900, compareAtAmount: 12900 }], 30],
      ['TEE-M-BLK', { Size: 'M', Color: 'Black' }, [{ currency: 'CNY', amount: 9900, compareAtAmount: 12900 }], null],
    ]);
    const scarf = (await productOf(shop, 'silk-scarf'))!;
    assert.equal(scarf.title, '真丝围巾');
    assert.deepEqual(scarf.options, [{ name: '颜色', values: ['红色', '蓝色'] }]);
    assert.deepEqual(scarf.tags, ['丝绸', '礼物']);
    assert.deepEqual(scarf.variants.map((v) => [v.sku, v.title, v.prices[0]!.amount, v.prices[0]!.compareAtAmount, v.onHand]), [
      ['SCARF-RED', '红色', 26800, null, 15],
      ['SCARF-BLUE', '蓝色', 26800, null, 8],
    ]);
    const tea = (await productOf(shop, 'longjing-tea'))!;
    assert.deepEqual(tea.variants.map((v) => v.prices[0]), [{ currency: 'CNY', amount: 8800, compareAtAmount: null }, { currency: 'CNY', amount: 19800, compareAtAmount: 23800 }]);
    // Default Title means no options; an empty SKU becomes the handle; Status draft stays a draft.
    const mug = (await productOf(shop, 'ceramic-mug'))!;
    assert.equal(mug.status, 'draft');
    assert.deepEqual(mug.options, []);
    assert.deepEqual(mug.variants.map((v) => [v.sku, v.options, v.prices[0]!.amount, v.onHand]), [['ceramic-mug', {}, 4550, 100]]);
    // The storefront sees the published ones.
    const store = await env.app.inject({ url: '/store/products/silk-scarf', headers: shop.store });
    assert.equal(store.statusCode, 200, store.body);
    assert.equal(store.json().title, '真丝围巾');
    assert.equal(await rowsOf(other), before, 'the import into A changed platform B');
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = await tablesFingerprint(env.souk.database, CATALOG_TABLES);
    const job = await importFile(shop, 'shopify-products', sample('shopify-products.csv'));
    assert.deepEqual(job.counts.products, { created: 0, updated: 0, unchanged: 4 });
    assert.deepEqual(job.counts.variants, { created: 0, updated: 0, unchanged: 9 });
    assert.deepEqual(job.counts.stock, { set: 0, unchanged: 9 });
    assert.equal(await tablesFingerprint(env.souk.database, CATALOG_TABLES), before);
  });

  it('updates by handle and SKU: a changed price and stock update the existing variant', async () => {
    const text = sample('shopify-products.csv').toString('utf8').replace('SCARF-BLUE,60,shopify,8,deny,manual,268.00', 'SCARF-BLUE,60,shopify,9,deny,manual,258.00');
    const job = await importFile(shop, 'shopify-products', text);
    assert.deepEqual(job.counts.products, { created: 0, updated: 1, unchanged: 3 });
    assert.deepEqual(job.counts.variants, { created: 0, updated: 1, unchanged: 8 });
    assert.deepEqual(job.counts.stock, { set: 1, unchanged: 8 });
    const scarf = (await productOf(shop, 'silk-scarf'))!;
    assert.deepEqual(scarf.variants.map((v) => [v.sku, v.prices[0]!.amount, v.onHand]), [['SCARF-RED', 26800, 15], ['SCARF-BLUE', 25800, 9]]);
    assert.equal((await catalogue(shop)).products.length, 4);
  });

  it('counts in a dry run what a real run would do, and writes nothing', async () => {
    const fresh = await newShop();
    const before = await rowsOf(fresh);
    const job = await importFile(fresh, 'woocommerce', sample('woocommerce-products.csv'), { dryRun: 'true' });
    assert.equal(job.dryRun, true);
    assert.deepEqual(job.counts.products, { created: 3, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.variants, { created: 6, updated: 0, unchanged: 0 });
    assert.equal(job.counts.categories.created, 7);
    assert.equal((await catalogue(fresh)).products.length, 0);
    // Only the job's own row was written.
    const jobs = await asBearer(env.app, fresh.adminToken, { url: `/admin/platforms/${slugOf(fresh)}/migration/imports` });
    assert.equal(jobs.json().items.length, 1);
    assert.notEqual(await rowsOf(fresh), before);
    assert.deepEqual((await catalogue(fresh)).categories, []);
  });

  it('imports the WooCommerce sample: simple and variable products, sale prices, attributes, nested and Chinese categories', async () => {
    const job = await importFile(shop, 'woocommerce', sample('woocommerce-products.csv'));
    assert.deepEqual(job.counts.products, { created: 3, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.variants, { created: 6, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.categories, { created: 7, updated: 0, unchanged: 0 });
    assert.equal(job.counts.refused, 0, JSON.stringify(job.errors));
    const shirt = (await productOf(shop, 'woo-shirt'))!;
    assert.equal(shirt.title, 'Linen Shirt');
    assert.deepEqual(shirt.options, [{ name: 'Size', values: ['S', 'M'] }, { name: 'Colour', values: ['Blue', 'White'] }]);
    assert.deepEqual(shirt.categories, ['clothing-shirts', 'sale']);
    assert.deepEqual(shirt.images, ['https://cdn.example.com/shirt-blue.jpg', 'https://cdn.example.com/shirt-white.jpg']);
    assert.deepEqual(shirt.variants.map((v) => [v.sku, v.options, v.prices[0]!.amount, v.prices[0]!.compareAtAmount, v.onHand]), [
      ['WOO-SHIRT-S-BLUE', { Size: 'S', Colour: 'Blue' }, 19900, null, 5],
      ['WOO-SHIRT-M-BLUE', { Size: 'M', Colour: 'Blue' }, 19900, null, 7],
      ['WOO-SHIRT-S-WHITE', { Size: 'S', Colour: 'White' }, 15900, 19900, 3],
      ['WOO-SHIRT-M-WHITE', { Size: 'M', Colour: 'White' }, 15900, 19900, null],
    ]);
    const brush = (await productOf(shop, 'woo-brush'))!;
    assert.deepEqual(brush.attributes, { Material: 'Bamboo' });
    assert.deepEqual(brush.variants.map((v) => [v.sku, v.prices[0]]), [['WOO-BRUSH', { currency: 'CNY', amount: 990, compareAtAmount: 1200 }]]);
    const cup = (await productOf(shop, 'woo-cup'))!;
    assert.equal(cup.title, '青花瓷茶杯');
    const categories = (await catalogue(shop)).categories;
    const teaSet = categories.find((c) => c.name === '茶具')!;
    assert.ok(teaSet, JSON.stringify(categories));
    assert.equal(categories.find((c) => c.handle === teaSet.parent)?.name, '家居');
    assert.deepEqual(cup.categories, [teaSet.handle]);
    const again = await importFile(shop, 'woocommerce', sample('woocommerce-products.csv'));
    assert.deepEqual(again.counts.products, { created: 0, updated: 0, unchanged: 3 });
    assert.deepEqual(again.counts.categories, { created: 0, updated: 0, unchanged: 7 });
  });

  it('imports the Shopify customer sample (UTF-8 with a byte-order mark) by email', async () => {
    assert.equal(sample('shopify-customers.csv')[0], 0xef, 'the sample keeps its BOM');
    const job = await importFile(shop, 'shopify-customers', sample('shopify-customers.csv'));
    assert.deepEqual(job.counts.customers, { created: 4, updated: 0, unchanged: 0 });
    const list = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/customers?limit=50` });
    assert.equal(list.statusCode, 200, list.body);
    const names = Object.fromEntries(list.json().items.map((c: { email: string; name: string }) => [c.email, c.name]));
    assert.equal(names['grace.hopper@example.com'], 'Grace Hopper');
    assert.equal(names['wang.wei@example.cn'], '伟 王');
    // An imported customer has no password: signing in is refused like any wrong password.
    const login = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: shop.store, payload: { email: 'ada@example.com', password: '' } });
    assert.ok(login.statusCode === 401 || login.statusCode === 400, login.body);
    const again = await importFile(shop, 'shopify-customers', sample('shopify-customers.csv'));
    assert.deepEqual(again.counts.customers, { created: 0, updated: 0, unchanged: 4 });
  });

  it('imports the good rows of a file with broken ones and reports each broken one with its rows and reason', async () => {
    const fresh = await newShop();
    const lines = sample('shopify-products.csv').toString('utf8').split('\n');
    const header = lines[0]!;
    const broken = [
      header,
      // rows 2-3: a product whose second variant has a price that is not one
      'bad-price,Bad Price,,,,,,TRUE,Size,S,,,,,BP-S,,,,,,10.00,,,,,,,,,,,,,,,active',
      'bad-price,,,,,,,,,M,,,,,BP-M,,,,,,ten,,,,,,,,,,,,,,,',
      // row 4: a handle that is not URL-safe
      'Bad Handle!,Bad Handle,,,,,,TRUE,Title,Default Title,,,,,BH-1,,,,,,5.00,,,,,,,,,,,,,,,active',
      // row 5: a good product
      'good-one,好产品,,,,,,TRUE,Title,Default Title,,,,,GOOD-1,,shopify,7,,,12.50,,,,,,,,,,,,,,,active',
      // row 6: no handle
      ',Orphan,,,,,,TRUE,Title,Default Title,,,,,ORPH-1,,,,,,5.00,,,,,,,,,,,,,,,active',
      // row 7: negative stock is oversold stock: imported as 0
      'oversold,Oversold,,,,,,TRUE,Title,Default Title,,,,,OVER-1,,shopify,-3,,,5.00,,,,,,,,,,,,,,,active',
      // row 8: the catalogue refuses a SKU another product of the file already has
      'sku-thief,SKU Thief,,,,,,TRUE,Title,Default Title,,,,,GOOD-1,,,,,,5.00,,,,,,,,,,,,,,,active',
    ].join('\n');
    const job = await importFile(fresh, 'shopify-products', broken);
    assert.deepEqual(job.counts.products.created, 2);
    assert.equal(job.counts.refused, 4);
    assert.equal(job.errorsTotal, 4);
    const byRow = Object.fromEntries(job.errors.map((e) => [e.firstRow, e]));
    assert.deepEqual([byRow[2]!.lastRow, byRow[2]!.key], [3, 'bad-price']);
    assert.match(byRow[2]!.reason, /Variant Price "ten" is not a price/);
    assert.match(byRow[4]!.reason, /not a URL-safe handle/);
    assert.match(byRow[6]!.reason, /Handle is empty/);
    assert.equal(byRow[8]!.key, 'sku-thief');
    assert.match(byRow[8]!.reason, /GOOD-1/);
    const products = (await catalogue(fresh)).products;
    assert.deepEqual(products.map((p) => [p.handle, p.variants[0]!.onHand]), [['good-one', 7], ['oversold', null]]);
    // The errors route lists the same entries.
    const errors = await asBearer(env.app, fresh.adminToken, { url: `/admin/platforms/${slugOf(fresh)}/migration/imports/${job.id}/errors?limit=2` });
    assert.equal(errors.statusCode, 200, errors.body);
    assert.deepEqual(errors.json().items.map((e: { firstRow: number }) => e.firstRow), [2, 4]);
    assert.equal(errors.json().nextAfter, 2);
  });

  it('refuses a batch product by product when the catalogue refuses one, keeping the others of the batch', async () => {
    const fresh = await newShop();
    const header = sample('shopify-products.csv').toString('utf8').split('\n')[0]!;
    const rows = Array.from({ length: 450 }, (_, i) => `p-${i},Product ${i},,,,,,TRUE,Title,Default Title,,,,,${i === 300 ? 'SKU-299' : `SKU-${i}`},,shopify,${i},,,${i}.5,,,,,,,,,,,,,,,active`);
    const errors: ImportError[] = [];
    const pdb = env.souk.ctx.platformDb(fresh.platform.id);
    const summary = await runImport(
      { deps: env.souk.ctx, platform: fresh.platform, pdb, dryRun: false, actor: { id: 'system' }, reference: 'test' },
      'shopify-products',
      (async function* () { yield Buffer.from([header, ...rows].join('\n')); })(),
      { onError: (e) => void errors.push(e) },
    );
    assert.deepEqual(summary.counts.products, { created: 449, updated: 0, unchanged: 0 });
    assert.equal(summary.counts.stock.set, 448);
    assert.deepEqual(errors.map((e) => [e.firstRow, e.key]), [[302, 'p-300']]);
    assert.equal(summary.rowsDone, 451);
  });

  it('stops at a quote that never closes, naming the line, and a re-run after the fix finishes the import', async () => {
    const fresh = await newShop();
    const header = sample('shopify-products.csv').toString('utf8').split('\n')[0]!;
    const good = Array.from({ length: 30 }, (_, i) => `q-${i},Q ${i},,,,,,TRUE,Title,Default Title,,,,,Q-${i},,,,,,1.00,,,,,,,,,,,,,,,active`);
    const broken = [header, ...good, 'q-bad,"Broken title,,,,,,TRUE,Title,Default Title,,,,,Q-BAD,,,,,,1.00', 'q-after,After,,,,,,TRUE,Title,Default Title,,,,,Q-AFTER,,,,,,1.00'].join('\n');
    const res = await upload(fresh, 'shopify-products', broken);
    assert.equal(res.statusCode, 202, res.body);
    const job = await finished(fresh, res.json<ImportJob>().id);
    assert.equal(job.status, 'failed');
    assert.match(job.failure!, /cannot be read past line 3\d \(Quote Not Closed/);
    const fixed = await importFile(fresh, 'shopify-products', broken.replace('"Broken title', 'Broken title'));
    assert.equal(fixed.counts.products.created + fixed.counts.products.unchanged, 32);
    assert.equal((await catalogue(fresh)).products.length, 32);
  });

  it('refuses a wrong file up front, naming the columns it expected, and makes no job', async () => {
    const fresh = await newShop();
    const before = await rowsOf(fresh);
    const wrong = await upload(fresh, 'shopify-products', 'Name,Price\nShirt,10\n');
    expectProblem(wrong, 422, 'import_wrong_columns');
    assert.deepEqual(wrong.json().missing, ['Handle', 'Title', 'Option1 Name', 'Option1 Value', 'Variant SKU', 'Variant Price']);
    assert.ok(wrong.json().expected.includes('Variant Compare At Price'));
    // A Shopify product file sent as WooCommerce.
    expectProblem(await upload(fresh, 'woocommerce', sample('shopify-products.csv')), 422, 'import_wrong_columns');
    expectProblem(await upload(fresh, 'shopify-products', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0])), 422, 'import_not_csv');
    expectProblem(await upload(fresh, 'shopify-products', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])), 422, 'import_not_csv');
    expectProblem(await upload(fresh, 'shopify-products', Buffer.from('Handle,Title\n\xff\xfe', 'latin1')), 422, 'import_not_csv');
    expectProblem(await upload(fresh, 'shopify-products', ''), 422, 'import_empty_file');
    expectProblem(await upload(fresh, 'jsonl', '{"kind":"planet"}\n'), 422, 'import_not_jsonl');
    expectProblem(await upload(fresh, 'jsonl', 'Handle,Title\n'), 422, 'import_not_jsonl');
    expectProblem(await upload(fresh, 'xlsx', 'a'), 400);
    expectProblem(await upload(fresh, 'shopify-products', sample('shopify-products.csv'), {}, fresh.supportToken), 403);
    assert.equal(await rowsOf(fresh), before);
  });

  it('exports JSON lines that import into a new platform as the same catalogue, stock and customers', async () => {
    const res = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/export?format=jsonl` });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    const kinds = res.body.trim().split('\n').map((l) => JSON.parse(l).kind);
    assert.equal(kinds[0], 'souk-export');
    assert.equal(kinds.filter((k) => k === 'product').length, 7);
    assert.equal(kinds.filter((k) => k === 'customer').length, 4);
    const copy = await newShop();
    const job = await importFile(copy, 'jsonl', res.body);
    assert.equal(job.counts.refused, 0, JSON.stringify(job.errors));
    assert.deepEqual(job.counts.products, { created: 7, updated: 0, unchanged: 0 });
    assert.deepEqual(await catalogue(copy), await catalogue(shop));
    const customers = (id: string) => env.souk.database.query<{ email: string; name: string }>('select email, name from customers where platform_id = $1 order by email', [id]);
    assert.deepEqual(await customers(copy.platform.id), await customers(shop.platform.id));
    // And once more: nothing changes.
    const again = await importFile(copy, 'jsonl', res.body);
    assert.deepEqual(again.counts.products, { created: 0, updated: 0, unchanged: 7 });
  });

  /** A shop with coupons (one scoped to a product, with uses) and orders: paid by a customer with a coupon, a guest's, a cancelled one. */
  async function shopWithOrders(): Promise<{ source: Shop; variants: string[] }> {
    const source = await createShop(env, `mig-orders-${++counter}-${env.engine}`, undefined, [...COMMERCE_MODULES, 'migration']);
    const variants = await stockedVariants(source, 2, 20, 1500);
    const [ref] = await catalogService(env.souk.ctx).getVariantRefs(env.souk.ctx.platformDb(source.platform.platform.id), [variants[0]!]);
    const coupons = [
      { code: 'Tee10', kind: 'percentage', percent: 10, usageLimit: 5, perCustomerLimit: 2, productIds: [ref!.productId], description: '10% off the tee' },
      { code: 'FIVE-OFF', kind: 'fixed', amount: 500, currency: 'USD', minSubtotal: 2000, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2030-01-01T00:00:00.000Z' },
      { code: 'OLD', kind: 'percentage', percent: 50, status: 'disabled' },
    ];
    for (const payload of coupons) {
      const res = await source.admin({ method: 'POST', url: `/admin/platforms/${source.slug}/coupons`, payload });
      assert.equal(res.statusCode, 201, res.body);
    }
    const customer = await registerCustomer(source);
    const withCoupon = await readyCart(source, [{ variantId: variants[0]!, quantity: 2 }, { variantId: variants[1]!, quantity: 1 }], { customerToken: customer.token, coupon: 'tee10' });
    const placed = await checkout(source, withCoupon, 'mig-order-1', { customerToken: customer.token });
    assert.equal(placed.statusCode, 201, placed.body);
    const guest = await checkout(source, await readyCart(source, [{ variantId: variants[1]!, quantity: 3, metadata: { gift: true } }], { email: 'Guest@Example.com' }), 'mig-order-2');
    assert.equal(guest.statusCode, 201, guest.body);
    const cancelled = await checkout(source, await readyCart(source, [{ variantId: variants[0]!, quantity: 1 }]), 'mig-order-3');
    assert.equal(cancelled.statusCode, 201, cancelled.body);
    const cancel = await source.admin({ method: 'POST', url: `/admin/platforms/${source.slug}/orders/${cancelled.json().id}/cancel`, payload: { reason: 'customer asked' } });
    assert.equal(cancel.statusCode, 200, cancel.body);
    return { source, variants };
  }

  const exportOf = async (p: TestPlatform, kind?: string) => {
    const res = await asBearer(env.app, p.adminToken, { url: `/admin/platforms/${slugOf(p)}/migration/export?format=jsonl${kind ? `&kind=${kind}` : ''}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };

  /** Coupon and order lines of an export without what differs between platforms (ids, links to rows by id). */
  const historyOf = (jsonl: string) => {
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l));
    const coupons = lines.filter((l) => l.kind === 'coupon').map(({ coupon: { id: _id, productIds, categoryIds, createdAt: _c, updatedAt: _u, ...rest }, products, categories }) => ({
      ...rest, products, categories, scoped: productIds.length + categoryIds.length,
    }));
    const orders = lines.filter((l) => l.kind === 'order').map(({ order: { cartId: _cart, customerId, reservationId: _r, lines: orderLines, ...rest } }) => ({
      ...rest,
      hasCustomer: customerId !== null,
      lines: orderLines.map(({ variantId: _v, productId: _p, ...line }: Record<string, unknown>) => line),
    }));
    return { coupons: coupons.sort((a, b) => a.code.localeCompare(b.code)), orders: orders.sort((a, b) => a.number.localeCompare(b.number)) };
  };

  it('exports coupons and orders that import into a new platform as the same coupons and order history, moving no stock and emitting nothing', async () => {
    const { source } = await shopWithOrders();
    const exported = await exportOf(source.platform);
    const original = historyOf(exported);
    assert.equal(original.orders.length, 3);
    assert.deepEqual(original.orders.map((o) => o.status).sort(), ['cancelled', 'pending_payment', 'pending_payment']);
    assert.equal(original.coupons.find((c) => c.code === 'Tee10')!.timesUsed, 1);
    assert.deepEqual(original.coupons.find((c) => c.code === 'Tee10')!.products, [(await catalogue(source.platform)).products[0]!.handle]);

    const copy = await createShop(env, `mig-copy-${++counter}-${env.engine}`, undefined, [...COMMERCE_MODULES, 'migration']);
    const otherBefore = await rowsOf(other);
    const job = await importFile(copy.platform, 'jsonl', exported);
    assert.equal(job.counts.refused, 0, JSON.stringify(job.errors));
    assert.deepEqual(job.counts.coupons, { created: 3, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.orders, { created: 3, updated: 0, unchanged: 0 });
    assert.equal(job.counts.skipped, 2, 'the header and settings lines');

    // Export again: the same coupons (rules, limits, uses, scope by handle) and orders (numbers, ids, statuses, totals, lines, addresses, dates).
    const again = historyOf(await exportOf(copy.platform));
    assert.deepEqual(again, original);
    const copyOrders = (await exportOf(copy.platform, 'orders')).trim().split('\n').slice(1).map((l) => JSON.parse(l).order);
    const sourceOrders = exported.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'order').map((l) => l.order);
    assert.deepEqual(copyOrders.map((o: { id: string }) => o.id).sort(), sourceOrders.map((o: { id: string }) => o.id).sort(), 'order ids kept');
    // The customer's order is linked to the imported customer by email; the guest's stays a guest's.
    const customerIds = new Set((await env.souk.database.query<{ id: string }>('select id from customers where platform_id = $1', [copy.platform.platform.id])).map((r) => r.id));
    const linked = copyOrders.filter((o: { customerId: string | null }) => o.customerId !== null);
    assert.equal(linked.length, 1);
    assert.ok(customerIds.has(linked[0].customerId));
    // Each order line names the copy's own variant of its SKU.
    const copyVariants = new Map((await catalogue(copy.platform)).products.flatMap((p) => p.variants.map((v) => [v.sku, v])));
    const refs = await catalogService(env.souk.ctx).getVariantIdsBySku(env.souk.ctx.platformDb(copy.platform.platform.id), [...copyVariants.keys()]);
    for (const order of copyOrders) for (const line of order.lines) assert.equal(line.variantId, refs.get(line.sku)!.variantId);

    // History, not sales: stock as the export had it, nothing reserved, no order, payment or coupon events, no timers.
    assert.deepEqual(await catalogue(copy.platform), await catalogue(source.platform));
    const pid = copy.platform.platform.id;
    const reserved = await env.souk.database.query<{ n: number }>('select coalesce(sum(reserved), 0)::int as n from inventory_levels where platform_id = $1', [pid]);
    assert.equal(reserved[0]!.n, 0);
    const events = await env.souk.database.query<{ type: string }>(
      `select type from event_outbox where platform_id = $1 and (type like 'order%' or type like 'payment%' or type like 'coupon.%')
       union all select type from event_log where platform_id = $1 and (type like 'order%' or type like 'payment%' or type like 'coupon.%')`,
      [pid],
    );
    assert.deepEqual(events, []);
    const timers = await env.souk.database.query<{ n: number }>('select count(*)::int as n from event_timers where platform_id = $1', [pid]);
    assert.equal(timers[0]!.n, 0);

    // Once more: nothing is duplicated or changed.
    const rerun = await importFile(copy.platform, 'jsonl', exported);
    assert.deepEqual(rerun.counts.coupons, { created: 0, updated: 0, unchanged: 3 });
    assert.deepEqual(rerun.counts.orders, { created: 0, updated: 0, unchanged: 3 });
    assert.deepEqual(historyOf(await exportOf(copy.platform)), original);
    // And the other platform was never touched.
    assert.equal(await rowsOf(other), otherBefore);
  });

  it('keeps an imported order\'s hold, refuses one whose refund exceeds its payment, and leaves an order already there as it is', async () => {
    const { source } = await shopWithOrders();
    const lines = (await exportOf(source.platform)).trim().split('\n').map((l) => JSON.parse(l));
    const orders = lines.filter((l) => l.kind === 'order');
    const hold = { decisionId: 'old-decision', point: 'checkout', level: 2, score: 41, reason: 'new device', rules: [{ rule: 'new_device', score: 41 }], heldAt: '2026-12-01T10:00:00.000Z' };
    Object.assign(orders[0].order, { status: 'on_hold', hold });
    Object.assign(orders[1].order, { paidAmount: 100, refundedAmount: 200 });
    const copy = await createShop(env, `mig-hold-${++counter}-${env.engine}`, undefined, [...COMMERCE_MODULES, 'migration']);
    const job = await importFile(copy.platform, 'jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));
    assert.deepEqual(job.counts.orders, { created: 2, updated: 0, unchanged: 0 });
    assert.deepEqual(job.errors.map((e) => [e.key, e.reason]), [[orders[1].order.number, `order ${orders[1].order.number}: refundedAmount 200 is more than paidAmount 100`]]);
    const copied = (await exportOf(copy.platform, 'orders')).trim().split('\n').slice(1).map((l) => JSON.parse(l).order);
    const held = copied.find((o: { number: string }) => o.number === orders[0].order.number);
    assert.equal(held.status, 'on_hold');
    assert.deepEqual(held.hold, hold);
    // The same number with other contents: still the order that is there (orders are history, not updated).
    orders[0].order.totals.total += 1;
    const again = await importFile(copy.platform, 'jsonl', JSON.stringify(orders[0]));
    assert.deepEqual(again.counts.orders, { created: 0, updated: 0, unchanged: 1 });
  });

  it('refuses an order whose SKU the platform lacks and a coupon scoped to a product it lacks, importing the rest', async () => {
    const { source } = await shopWithOrders();
    const lines = (await exportOf(source.platform)).trim().split('\n').filter((l) => !l.includes('"kind":"product"'));
    const copy = await createShop(env, `mig-nocat-${++counter}-${env.engine}`, undefined, [...COMMERCE_MODULES, 'migration']);
    const job = await importFile(copy.platform, 'jsonl', lines.join('\n'));
    assert.deepEqual(job.counts.coupons, { created: 2, updated: 0, unchanged: 0 });
    assert.deepEqual(job.counts.orders, { created: 0, updated: 0, unchanged: 0 });
    assert.equal(job.counts.refused, 4);
    const byKey = new Map(job.errors.map((e) => [e.key, e]));
    assert.match(byKey.get('Tee10')!.reason, /applies to .*which this platform's catalogue does not have/);
    const orderErrors = job.errors.filter((e) => e.key !== 'Tee10');
    assert.equal(orderErrors.length, 3);
    for (const e of orderErrors) assert.match(e.reason, /line 1 has SKU .*which no variant of this platform has/);
    assert.ok(orderErrors.every((e) => e.firstRow === e.lastRow && lines[e.firstRow - 1]!.includes('"kind":"order"')), 'row numbers are the lines');
    const orders = await env.souk.database.query('select id from orders where platform_id = $1', [copy.platform.platform.id]);
    assert.equal(orders.length, 0);
  });

  it('exports products as Shopify CSV that imports back with the same products, prices and stock', async () => {
    const res = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/export?format=csv&kind=products` });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    const copy = await newShop();
    const job = await importFile(copy, 'shopify-products', res.rawPayload);
    assert.equal(job.counts.refused, 0, JSON.stringify(job.errors));
    const strip = (c: Awaited<ReturnType<typeof catalogue>>) =>
      c.products.map((p) => ({ ...p, categories: [], attributes: Object.fromEntries(Object.entries(p.attributes).filter(([k]) => ['vendor', 'productType', 'productCategory', 'seoTitle', 'seoDescription'].includes(k))), variants: p.variants.map((v) => ({ ...v, title: Object.values(v.options).join(' / ') })) }));
    assert.deepEqual(strip(await catalogue(copy)), strip(await catalogue(shop)));
    for (const kind of ['customers', 'orders', 'coupons', 'settings']) {
      const other = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/export?format=csv&kind=${kind}` });
      assert.equal(other.statusCode, 200, `${kind}: ${other.body}`);
    }
    expectProblem(await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/export?format=csv` }), 400, 'export_kind_needed');
  });

  it('keeps jobs to their platform: another platform\'s admin sees no job and cannot export', async () => {
    const jobs = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/imports` });
    const jobId = jobs.json().items[0].id as string;
    expectProblem(await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/imports/${jobId}` }), 404);
    expectProblem(await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(other)}/migration/imports/${jobId}` }), 404, 'import_job_not_found');
    expectProblem(await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(other)}/migration/imports/${jobId}/errors` }), 404, 'import_job_not_found');
    expectProblem(await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(shop)}/migration/export?format=jsonl` }), 404);
    const theirs = await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(other)}/migration/imports` });
    assert.ok(theirs.json().items.every((j: { id: string }) => j.id !== jobId));
    const exported = await asBearer(env.app, other.adminToken, { url: `/admin/platforms/${slugOf(other)}/migration/export?format=jsonl` });
    assert.ok(!exported.body.includes('woo-shirt') && !exported.body.includes('ada@example.com'), 'B\'s export holds A\'s data');
  });
});
