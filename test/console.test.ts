// The admin console in a real browser (playwright-core driving Debian's chromium, never a downloaded one):
// an owner adds a product and stock, a shopper buys it through the API and pays in the sandbox, the
// operator fulfils and partly refunds the order from the console; a support user gets no write action
// and the API refuses their session's writes; a platform admin of A never sees B, even by editing the
// URL. It also measures the orders list's first paint with 10,000 orders and the first page's JavaScript.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAdminUser } from '../src/modules/accounts/admin-service.ts';
import { CONSOLE_DIST } from '../src/console/serve.ts';
import { startTestSouk, login, type StartedSouk, type TestEnv } from './harness.ts';
import { COMMERCE_MODULES, createShop, TEST_ADDRESS, type Shop } from './commerce.ts';
import { waitFor } from './wait.ts';

const CHROMIUM = process.env.SOUK_CHROMIUM ?? '/usr/bin/chromium';
const OUT = resolve(import.meta.dirname, '..', 'test-output', 'console');
const OWNER = { email: 'console-owner@test.souk', password: 'owner-password' };
const BULK_ORDERS = 10_000;
// Generous: the machine is shared; the budget of the issue (1 s) is reported, not asserted.
const STEP_TIMEOUT = 30_000;

/** The console's build output, built now when running from a checkout that never ran `npm install`'s prepare. */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  const vite = await import('vite');
  await vite.build({ configFile: resolve(import.meta.dirname, '..', 'console', 'vite.config.ts'), logLevel: 'warn' });
}

/** 10,000 paid orders on the platform (platformDb binds its id as $1), one every 50 minutes back from now (a year), with UUIDv7-shaped ids (time-ordered). */
async function bulkOrders(env: TestEnv, platformId: string): Promise<void> {
  await env.souk.ctx.platformDb(platformId).query(
    `insert into orders (platform_id, id, number, cart_id, email, access_token_hash, status, payment_status, currency,
       subtotal, discount_total, shipping_total, tax_total, tax_included, total, paid_amount, payment_due_at, created_at, updated_at)
     select $1, (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'BULK-' || i,
       gen_random_uuid(), 'bulk' || i || '@test.souk', md5(i::text), 'paid', 'paid', 'USD', 1000, 0, 0, 0, false, 1000, 1000, ts, ts, ts
     from (select i, ts, lpad(to_hex((extract(epoch from ts) * 1000)::bigint), 12, '0') as h
           from (select i, now() - make_interval(mins => 50 * i) as ts from generate_series(1, ${BULK_ORDERS}) as i) t) s`,
    [],
  );
}

describe('admin console in chromium', { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (.ci/run installs Debian's chromium)` }, () => {
  let started: StartedSouk;
  let env: TestEnv;
  let base: string;
  let browser: Browser;
  let shopA: Shop;
  let shopB: Shop;
  let orderBId: string;
  const metrics: Record<string, number> = {};

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    await ensureBuilt();
    started = await startTestSouk('pglite');
    const { souk } = started;
    await createAdminUser(souk.ctx.db, souk.ctx.platforms, { ...OWNER, role: 'owner' });
    env = { engine: 'pglite', souk, app: souk.app, ownerToken: await login(souk.app, OWNER.email, OWNER.password) } as TestEnv;
    const modules = [...COMMERCE_MODULES, 'webhooks', 'live'];
    shopA = await createShop(env, 'console-a', undefined, modules);
    shopB = await createShop(env, 'console-b', undefined, modules);
    await bulkOrders(env, shopA.platform.platform.id);
    orderBId = (await buy(shopB, await stockedProduct(shopB))).orderId;
    await souk.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(souk.app.server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
    await started?.close();
    if (Object.keys(metrics).length > 0) writeFileSync(join(OUT, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  });

  async function signIn(email: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await page.waitForURL(/\/console\/sign-in/);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/p\//);
    return { context, page };
  }

  it('an owner creates a product, stocks it, and fulfils and partly refunds the order a shopper pays for', async () => {
    const { context, page } = await signIn(OWNER.email, OWNER.password);
    await page.goto(`${base}/console/p/console-a/products/new`);
    await page.getByLabel('Title', { exact: true }).fill('Clay teapot');
    await page.getByLabel('Handle').fill('clay-teapot');
    await page.getByLabel('Status').selectOption('published');
    await page.getByLabel('Title (zh-CN)').fill('紫砂茶壶');
    await page.getByRole('button', { name: 'Add option' }).click();
    await page.getByLabel('Option name').fill('size');
    await page.getByLabel('Values (comma-separated)').fill('S, L');
    await page.getByRole('button', { name: 'Add variant' }).click();
    await page.getByLabel('SKU 1').fill('TEA-S');
    await page.getByLabel('size 1').fill('S');
    await page.getByLabel('Price USD 1').fill('12.50');
    await page.getByLabel('SKU 2').fill('TEA-L');
    await page.getByLabel('size 2').fill('L');
    await page.getByLabel('Price USD 2').fill('18');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
    for (const sku of ['TEA-S', 'TEA-L']) {
      await page.getByLabel(`New on-hand count for ${sku}`).fill('5');
      await page.getByRole('row', { name: new RegExp(sku) }).getByRole('button', { name: 'Set' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('row', { name: new RegExp(`${sku}\\s+5\\s+0\\s+5`) }).waitFor();
    }
    await page.screenshot({ path: join(OUT, 'product-editor.png'), fullPage: true });

    // Search in Chinese finds it.
    await page.goto(`${base}/console/p/console-a/products?q=${encodeURIComponent('茶壶')}`);
    await page.getByTestId('products-table').getByRole('link', { name: 'Clay teapot' }).waitFor();

    // A shopper buys one of each through the storefront API and approves the sandbox payment.
    const product = (await shopA.admin({ method: 'GET', url: '/admin/platforms/console-a/products?q=clay' })).json().items[0];
    const variantIds = product.variants.map((v: { id: string }) => v.id) as string[];
    const { orderId, number } = await buy(shopA, variantIds);

    await page.goto(`${base}/console/p/console-a/orders`);
    await page.getByTestId('orders-table').getByRole('link', { name: number }).click();
    await page.waitForURL(new RegExp(`/orders/${orderId}$`));
    await page.getByTestId('history').getByText('Awaiting payment → Paid').waitFor();

    await page.getByLabel('Carrier').fill('SF Express');
    await page.getByLabel('Tracking number').fill('SF123456');
    await page.getByRole('button', { name: 'Fulfil' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('history').getByText('Fulfilled (SF Express SF123456)').waitFor();

    await page.getByLabel('Refund amount').fill('5');
    await page.getByLabel('Reason').first().fill('scratched lid');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('history').getByText('Refunded $5.00').waitFor();
    await page.getByText('Partially refunded').first().waitFor();
    const refunded = (await shopA.admin({ method: 'GET', url: `/admin/platforms/console-a/orders/${orderId}` })).json();
    assert.equal(refunded.status, 'fulfilled');
    assert.equal(refunded.refundedAmount, 500);
    await page.screenshot({ path: join(OUT, 'order-detail.png'), fullPage: true });

    await page.goto(`${base}/console/p/console-a`);
    await page.getByTestId('today-table').getByRole('link', { name: 'Platform console-a' }).waitFor();
    await page.locator('svg.chart').waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard.png') });

    await context.close();
  });

  it("an owner runs the rest of the shop's day: a CSV import with a per-row report, stock ledger, customers, a coupon, a flash sale with live figures, events, webhooks, a live room, access", async () => {
    const { context, page } = await signIn(OWNER.email, OWNER.password);
    const noProblem = async () => assert.equal(await page.locator('.problem').count(), 0, await page.locator('.problem').allTextContents().then((x) => x.join('; ')));

    await page.goto(`${base}/console/p/console-a/products/import`);
    const csv = 'handle,title,title:zh-CN,status,sku,price,option:colour\n' +
      'tea-cup,Tea cup,茶杯,published,CUP-W,4.50,white\n' +
      'tea-cup,Tea cup,茶杯,published,CUP-B,4.50,black\n' +
      'Bad Handle!,Broken,,published,BAD-1,1,\n';
    await page.getByLabel('Catalogue file').setInputFiles({ name: 'catalogue.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const report = page.getByTestId('import-report');
    await report.getByText('2 of 2 products').waitFor();
    await report.getByText('1 created, 0 updated, 0 unchanged, 1 failed').waitFor();
    await report.getByRole('cell', { name: 'Bad Handle!' }).waitFor();
    await page.screenshot({ path: join(OUT, 'import.png') });

    await page.goto(`${base}/console/p/console-a/inventory`);
    await page.getByTestId('ledger-table').getByText('Counted in the console').first().waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/customers`);
    await page.getByTestId('customers-table').waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/coupons`);
    await page.getByLabel('Code').fill('SPRING15');
    await page.getByLabel('%').fill('15');
    await page.getByLabel('Usage limit').fill('100');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('coupons-table').getByText('SPRING15').waitFor();
    await page.getByTestId('coupons-table').getByText('0 / 100').waitFor();

    await page.goto(`${base}/console/p/console-a/flash-sales`);
    await page.getByLabel('Name').fill('Teapot hour');
    await page.getByLabel('Variant').selectOption({ label: 'Clay teapot · TEA-S' });
    await page.getByLabel('Sale price').fill('9.90');
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.getByTestId('sales-table').getByText('Teapot hour').waitFor();
    await page.getByTestId('sale-stats').getByText('Attempts', { exact: true }).waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/events`);
    await page.getByTestId('consumers-table').locator('tbody tr').first().waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/webhooks`);
    await page.getByTestId('deliveries-table').waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/live`);
    await page.getByLabel('Title').fill('Tea tasting');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('rooms-table').getByText('Tea tasting').waitFor();
    await noProblem();

    await page.goto(`${base}/console/p/console-a/admin`);
    await page.getByTestId('users-table').getByText('support@console-a.test').waitFor();
    await page.getByTestId('platform-diff').or(page.getByText('No changes.')).waitFor();
    await noProblem();
    await page.getByRole('button', { name: '中文' }).click();
    await page.goto(`${base}/console/p/console-a/orders`);
    await page.getByRole('heading', { name: '订单' }).waitFor();
    await page.screenshot({ path: join(OUT, 'orders-zh.png') });
    await context.close();
  });

  it('measures the orders list: first paint from a cold load with 10,000 orders, and the JavaScript it loads', async () => {
    const token = await login(env.app, OWNER.email, OWNER.password);
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 } });
    context.setDefaultTimeout(STEP_TIMEOUT);
    await context.addInitScript((t) => sessionStorage.setItem('souk.console.token', t), token);
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/console/assets/')) scripts.add(url.pathname.slice('/console/'.length));
    });
    const startedAt = Date.now();
    await page.goto(`${base}/console/p/console-a/orders`);
    await page.getByTestId('orders-table').getByRole('link').first().waitFor();
    metrics.ordersListVisibleMs = Date.now() - startedAt;
    metrics.firstContentfulPaintMs = Math.round(
      await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1),
    );
    metrics.ordersListRowsShown = await page.getByTestId('orders-table').locator('tbody tr').count();
    let raw = 0;
    let gzipped = 0;
    for (const file of scripts) {
      const bytes = readFileSync(join(CONSOLE_DIST, file));
      raw += bytes.length;
      gzipped += gzipSync(bytes, { level: 9 }).length;
    }
    metrics.firstPageAssetsRawBytes = raw;
    metrics.firstPageAssetsGzipBytes = gzipped;
    console.log(`console: orders list visible in ${metrics.ordersListVisibleMs} ms (FCP ${metrics.firstContentfulPaintMs} ms); first page assets ${raw} B, ${gzipped} B gzipped`);
    assert.ok(gzipped < 300 * 1024, `first page assets ${gzipped} B gzipped, over the 300 KB budget`);
    await page.screenshot({ path: join(OUT, 'orders-list.png') });
    await context.close();
  });

  it('a support user sees no write action, and the API refuses a write with their session', async () => {
    const { context, page } = await signIn('support@console-a.test', 'platform-password');
    await page.getByTestId('who').getByText('read-only').waitFor();
    await page.goto(`${base}/console/p/console-a/orders`);
    await page.getByTestId('orders-table').getByRole('link').first().click();
    await page.getByTestId('history').waitFor();
    for (const name of ['Fulfil', 'Refund', 'Cancel order']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    await page.goto(`${base}/console/p/console-a/products`);
    await page.getByTestId('products-table').waitFor();
    assert.equal(await page.getByRole('link', { name: 'New product' }).count(), 0);
    await page.getByTestId('products-table').getByRole('link').first().click();
    await page.getByTestId('stock-table').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Set' }).count(), 0);
    assert.ok(await page.getByLabel('Title', { exact: true }).isDisabled());

    const status = await page.evaluate(async () => {
      const res = await fetch('/admin/platforms/console-a/products', {
        method: 'POST',
        headers: { authorization: `Bearer ${sessionStorage.getItem('souk.console.token')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ handle: 'sneaky', title: 'Sneaky' }),
      });
      return res.status;
    });
    assert.equal(status, 403);
    await context.close();
  });

  it("a platform admin of A never sees B's data, even through a hand-edited URL", async () => {
    const { context, page } = await signIn('platform_admin@console-a.test', 'platform-password');
    const switcher = page.getByRole('combobox', { name: 'Platform' });
    await switcher.waitFor();
    const options = await switcher.locator('option').allTextContents();
    assert.deepEqual(options, ['Platform console-a']);
    await page.goto(`${base}/console/p/console-b/orders`);
    await page.getByTestId('not-visible').waitFor();
    // B's order under A's platform: the API answers 404, the page says so and shows nothing of it.
    await page.goto(`${base}/console/p/console-a/orders/${orderBId}`);
    await page.getByTestId('order-missing').getByRole('alert').waitFor();
    const ownList = await page.evaluate(async () => {
      const res = await fetch('/admin/platforms/console-b/orders', { headers: { authorization: `Bearer ${sessionStorage.getItem('souk.console.token')}` } });
      return res.status;
    });
    assert.equal(ownList, 404);
    await page.goto(`${base}/console/p/console-a`);
    await page.getByTestId('today-table').waitFor();
    assert.equal(await page.getByText('Platform console-b').count(), 0);
    await context.close();
  });
});

/** A published product with one variant stocked with 10 units. */
async function stockedProduct(shop: Shop): Promise<string[]> {
  const res = await shop.admin({
    method: 'POST',
    url: `/admin/platforms/${shop.slug}/products`,
    payload: { handle: `mug-${shop.slug}`, title: 'Mug', status: 'published', variants: [{ sku: `MUG-${shop.slug}`, prices: [{ currency: 'USD', amount: 900 }] }] },
  });
  assert.equal(res.statusCode, 201, res.body);
  const ids = res.json().variants.map((v: { id: string }) => v.id) as string[];
  for (const id of ids) {
    const set = await shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/inventory/levels/${id}`, payload: { onHand: 10, reason: 'test stock' } });
    assert.equal(set.statusCode, 200, set.body);
  }
  return ids;
}

/** A guest buys one of each variant and approves the sandbox payment; resolves once the order is paid. */
async function buy(shop: Shop, variantIds: string[]): Promise<{ orderId: string; number: string }> {
  const call = async (method: 'POST' | 'PUT', url: string, payload: unknown, headers: Record<string, string> = {}) => {
    const res = await shop.store({ method, url, payload, headers });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const cart = await call('POST', '/store/carts', { email: 'shopper@test.souk', shippingAddress: TEST_ADDRESS });
  for (const variantId of variantIds) await call('POST', `/store/carts/${cart.id}/lines`, { variantId, quantity: 1 });
  await call('PUT', `/store/carts/${cart.id}/shipping-method`, { methodId: 'standard' });
  const order = await call('POST', `/store/carts/${cart.id}/checkout`, {}, { 'idempotency-key': `console-${cart.id}` });
  const payment = await call('POST', `/store/orders/${order.id}/payments`, { provider: 'sandbox' }, { 'x-order-token': order.accessToken });
  const path = new URL(payment.redirectUrl).pathname;
  const approved = await shop.env.app.inject({ method: 'POST', url: `${path}/approve`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
  assert.equal(approved.statusCode, 200, approved.body);
  await waitFor('order paid', async () => (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` })).json().status === 'paid');
  return { orderId: order.id, number: order.number };
}
