// The storefront in a real browser (playwright-core driving Debian's chromium, never a downloaded one),
// on the demo platforms, each reached by its own host name as a shopper would (*.localhost is loopback
// for chromium): a guest on souk-cn searches 连衣裙, opens a product, picks a variant, adds it to the
// cart, applies XINREN20, checks out, pays in the sandbox and sees the order paid, at phone and desktop
// sizes; souk-global and souk-cn show their own name, language and currency from metadata. The product
// page's Largest Contentful Paint (cold cache) and first-load JavaScript are measured and printed.
// A signed-in shopper grabs a flash-sale unit while a scripted rush of buyers runs through the API. The
// live room page has its own suite (storefront-live.test.ts); what both share is storefront-browser.ts.
// Phone-size screenshots of home, product and cart go to docs/ when SOUK_STOREFRONT_SCREENSHOTS=1.
//
// Also, without a browser: what Souk serves at / per host (and what it leaves alone), and the checks on
// settings.storefront.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { STOREFRONT_DIST } from '../src/storefront/serve.ts';
import { startTestSouk, login, type StartedSouk } from './harness.ts';
import { DEMO, seedDemo } from '../src/seed/demo.ts';
import { DESKTOP, ensureBuilt, NO_BROWSER, PHONE, startBrowserShop, type BrowserShop } from './storefront-browser.ts';

const OUT = resolve(import.meta.dirname, '..', 'test-output', 'storefront');
const SCREENSHOTS = resolve(import.meta.dirname, '..', 'docs');

describe('storefront pages served per platform host', () => {
  let started: StartedSouk;
  before(async () => {
    await ensureBuilt();
    started = await startTestSouk('pglite');
    await seedDemo(started.souk);
  });
  after(async () => started?.close());

  const page = (host: string, url = '/', accept = 'text/html,application/xhtml+xml') =>
    started.souk.app.inject({ url, headers: { host, accept } });

  it('answers each platform host with its own themed page, and leaves every other path and host alone', async () => {
    const cn = await page('cn.localhost:3000');
    assert.equal(cn.statusCode, 200);
    assert.match(cn.headers['content-type'] as string, /text\/html/);
    assert.match(cn.body, /<html lang="zh-CN">/);
    assert.match(cn.body, /<title>Souk 中国<\/title>/);
    assert.match(cn.body, /"currency":"CNY"/);
    assert.match(cn.headers['content-security-policy'] as string, /script-src 'self'/);
    // Live video comes from the media server's origin: hls.js fetches it and plays it from a blob: URL.
    const mediaOrigin = new URL(started.souk.ctx.config.media.playbackBaseUrl).origin;
    assert.ok((cn.headers['content-security-policy'] as string).includes(`connect-src 'self' ${mediaOrigin};`), cn.headers['content-security-policy'] as string);
    const global = await page('localhost:3000', '/p/floral-summer-dress');
    assert.equal(global.statusCode, 200);
    assert.match(global.body, /<html lang="en">/);
    assert.match(global.body, /<title>Souk Global<\/title>/);
    assert.doesNotMatch(global.body, /Souk 中国|CNY/);

    // Not a platform host, not a page request, or a path of Souk itself: the usual 404 problem.
    for (const [host, url, accept] of [
      ['nobody.test', '/', 'text/html'],
      ['cn.localhost', '/', 'application/json'],
      ['cn.localhost', '/store/no-such-route', 'text/html'],
      ['cn.localhost', '/admin/no-such-route', 'text/html'],
      ['cn.localhost', '/assets/missing.js', 'text/html'],
    ] as const) {
      const res = await page(host, url, accept);
      assert.equal(res.statusCode, 404, `${host}${url}`);
      assert.equal(res.json().code, 'route_not_found', `${host}${url}`);
    }
    // The API, the reference and the console are untouched on a storefront host.
    const api = await page('cn.localhost', '/store/platform', 'application/json');
    assert.equal(api.statusCode, 200);
    assert.equal(api.json().storefront.currency, 'CNY');
    assert.equal((await page('cn.localhost', '/openapi.json', 'application/json')).statusCode, 200);
    assert.equal((await page('cn.localhost', '/healthz', 'application/json')).statusCode, 200);
    assert.equal((await page('cn.localhost', '/console/')).statusCode !== 404, true);
  });

  it('serves the hashed assets compressed and cached for a year', async () => {
    const html = (await page('cn.localhost')).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html names its script');
    const res = await started.souk.app.inject({ url: script, headers: { host: 'cn.localhost', 'accept-encoding': 'br, gzip' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], 'br');
    assert.match(res.headers['cache-control'] as string, /max-age=31536000, immutable/);
  });

  it('checks settings.storefront like other settings: a bad value is a clear 400 that changes nothing', async () => {
    const token = await login(started.souk.app, DEMO.admin.email, DEMO.admin.password);
    const patch = (storefront: unknown) =>
      started.souk.app.inject({ method: 'PATCH', url: '/admin/platforms/souk-cn', headers: { authorization: `Bearer ${token}` }, payload: { settings: { storefront } } });
    const before = (await page('cn.localhost', '/store/platform', 'application/json')).json();
    for (const [bad, words] of [
      [{ colors: { primary: 'red' } }, /settings\.storefront\.colors\.primary/],
      [{ locale: 'fr' }, /one of the platform locales \(zh-CN, en\)/],
      [{ currency: 'USD' }, /one of the platform currencies \(CNY\)/],
      [{ pages: { blog: true } }, /settings\.storefront/],
      [{ logoUrl: 'javascript:alert(1)' }, /settings\.storefront\.logoUrl/],
      [{ corsOrigins: ['https://x.test/path'] }, /corsOrigins/],
    ] as const) {
      const res = await patch(bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal(res.json().code, 'invalid_settings');
      assert.match(res.json().detail, words);
    }
    assert.deepEqual((await page('cn.localhost', '/store/platform', 'application/json')).json(), before);

    const good = await started.souk.app.inject({
      method: 'PATCH',
      url: '/admin/platforms/souk-cn',
      headers: { authorization: `Bearer ${token}` },
      payload: { settings: { ...DEMO.platforms[1].settings, storefront: { name: '新名字', pages: { live: false } } } },
    });
    assert.equal(good.statusCode, 200, good.body);
    const after = (await page('cn.localhost', '/store/platform', 'application/json')).json();
    assert.equal(after.storefront.name, '新名字');
    assert.equal(after.storefront.pages.live, false);
    assert.equal(after.storefront.locale, 'zh-CN');
    assert.match((await page('cn.localhost')).body, /<title>新名字<\/title>/);
    // The other platform's page never shows it.
    assert.doesNotMatch((await page('localhost')).body, /新名字/);
  });
});

describe('storefront in chromium', { skip: NO_BROWSER }, () => {
  let shop: BrowserShop;
  let port: number;
  const metrics: Record<string, number> = {};

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    shop = await startBrowserShop();
    port = shop.port;
  });

  after(async () => {
    await shop?.close();
    if (Object.keys(metrics).length > 0) writeFileSync(join(OUT, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  });

  const newPage = (viewport: { width: number; height: number }) => shop.newPage(viewport);
  const cn: BrowserShop['cn'] = (...args) => shop.cn(...args);

  /** The Largest Contentful Paint so far on the page's clock (ms), from the Performance API. */
  function largestContentfulPaint(page: Page): Promise<number> {
    return page.evaluate(
      () =>
        new Promise<number>((done) => {
          new PerformanceObserver((list) => done(Math.round(list.getEntries().at(-1)?.startTime ?? -1))).observe({ type: 'largest-contentful-paint', buffered: true });
          setTimeout(() => done(-1), 5_000);
        }),
    );
  }

  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    it(`a guest on souk-cn finds 连衣裙, buys one with XINREN20 and pays in the sandbox (${size})`, async () => {
      const page = await newPage(viewport);
      const shots = size === 'phone' && process.env.SOUK_STOREFRONT_SCREENSHOTS === '1';
      await page.goto(`http://cn.localhost:${port}/`);
      await page.getByRole('heading', { level: 1, name: 'Souk 中国' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      await page.getByRole('list', { name: '精选' }).getByRole('listitem').first().waitFor();
      if (shots) await page.screenshot({ path: join(SCREENSHOTS, 'storefront-home.png') });

      await page.getByLabel('搜索商品').fill('连衣裙');
      await page.getByLabel('搜索商品').press('Enter');
      await page.getByRole('heading', { name: '“连衣裙”的搜索结果' }).waitFor();
      await page.getByRole('link', { name: /夏季碎花连衣裙/ }).first().click();
      await page.getByRole('heading', { level: 1, name: '夏季碎花连衣裙' }).waitFor();

      // The first size in stock (the demo leaves a few variants sold out).
      let picked = false;
      for (const sizeName of ['M', 'L', 'S']) {
        await page.getByRole('radio', { name: sizeName, exact: true }).check();
        const stock = page.locator('.stock');
        await stock.filter({ hasText: /\S/ }).waitFor();
        if (!(await stock.textContent())?.includes('已售罄')) {
          picked = true;
          break;
        }
      }
      assert.ok(picked, 'a size of the dress is in stock');
      assert.match((await page.locator('.price.big').textContent()) ?? '', /¥/);
      if (shots) {
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(SCREENSHOTS, 'storefront-product.png') });
      }
      await page.getByRole('button', { name: '加入购物车' }).click();
      await page.getByText('已加入购物车。').waitFor();
      await page.getByRole('link', { name: '去购物车' }).click();

      await page.getByRole('heading', { level: 1, name: '购物车' }).waitFor();
      await page.getByLabel('优惠码').fill('XINREN20');
      await page.getByRole('button', { name: '使用', exact: true }).click();
      await page.getByText(/优惠码 XINREN20：−¥20\.00/).waitFor();
      // A controlled choice: checked once the server has answered the cart with it.
      await page.getByRole('radio', { name: /标准快递/ }).click();
      await page.locator('input[name="shipping-method"]:checked').waitFor({ state: 'attached' });
      if (shots) await page.screenshot({ path: join(SCREENSHOTS, 'storefront-cart.png') });
      const total = (await page.getByTestId('cart-total').textContent()) ?? '';
      await page.getByRole('link', { name: '去结算' }).click();

      await page.getByRole('heading', { level: 1, name: '去结算' }).waitFor();
      await payAtCheckout(page, `guest-${size}@storefront.test`);
      assert.match(page.url(), /\/orders\/[0-9a-f-]{36}\?/);
      await page.getByText('谢谢！订单已支付。').waitFor();
      assert.equal(await page.getByTestId('order-status').textContent(), '已支付');
      assert.equal((await page.locator('.totals dd.total').textContent()) ?? '', total);
      await page.context().close();
    });
  }

  it('souk-global and souk-cn render their own name, language and currency from metadata', async () => {
    for (const [host, name, lang, symbol, heading] of [
      [`127.0.0.1:${port}`, 'Souk Global', 'en', '$', 'Featured'],
      [`cn.localhost:${port}`, 'Souk 中国', 'zh-CN', '¥', '精选'],
    ] as const) {
      const page = await newPage(DESKTOP);
      await page.goto(`http://${host}/`);
      await page.getByRole('heading', { level: 1, name }).waitFor();
      assert.equal(await page.title(), name);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      const prices = page.getByRole('list', { name: heading }).locator('.price');
      await prices.first().waitFor();
      assert.ok(((await prices.first().textContent()) ?? '').includes(symbol), `${host} prices in ${symbol}`);
      const primary = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary').trim());
      const expected = DEMO.platforms.find((p) => p.name === name)!.settings.storefront.colors.primary;
      assert.equal(primary, expected);
      await page.context().close();
    }
  });

  const adminToken = () => shop.adminToken();
  const admin: BrowserShop['admin'] = (...args) => shop.admin(...args);
  const newCustomer = () => shop.newCustomer();
  const signedInPage = (token: string, viewport?: { width: number; height: number }) => shop.signedInPage(token, viewport);

  /** Variants of the demo dress with at least `units` in stock. */
  async function stockedVariants(units: number): Promise<string[]> {
    const dress = (await cn('GET', '/store/products/floral-summer-dress')).json() as { variants: Array<{ id: string }> };
    const ids = dress.variants.map((v) => v.id);
    const levels = (await cn('GET', `/store/inventory/availability?variantIds=${ids.join(',')}`)).json() as { items: Array<{ variantId: string; available: number }> };
    return levels.items.filter((l) => l.available >= units).map((l) => l.variantId);
  }

  const payAtCheckout = (page: Page, email?: string) => shop.payAtCheckout(page, email);

  it('a signed-in shopper grabs a flash-sale unit during an API rush: a payable order or an honest sold-out', async () => {
    const token = await adminToken();
    const [variantId] = await stockedVariants(4);
    assert.ok(variantId, 'a dress variant with stock');
    const startsAt = new Date(Date.now() + 10_000).toISOString();
    const sale = await admin(token, 'POST', '/flash-sales', {
      name: '整点秒杀',
      startsAt,
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      perCustomerLimit: 1,
      minAccountAgeHours: 0,
      items: [{ variantId, salePrice: 9900, quantity: 3 }],
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const saleId = sale.json().id as string;
    const shopper = await newCustomer();
    const rushers = await Promise.all(Array.from({ length: 12 }, () => newCustomer()));

    const page = await signedInPage(shopper.token);
    const purchases: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/purchase')) purchases.push(request.method());
    });
    await page.goto(`http://cn.localhost:${port}/flash-sales/${saleId}`);
    await page.getByTestId('countdown').filter({ hasText: /距开始/ }).waitFor();
    const button = page.getByRole('button', { name: '立即抢购' });
    assert.equal(await button.isDisabled(), true, 'no buying before the start');
    await page.getByTestId('countdown').filter({ hasText: /距结束/ }).waitFor({ timeout: 15_000 });

    // The rush and the shopper's double press, at once.
    const rush = Promise.all(rushers.map((r) => cn('POST', `/store/flash-sales/${saleId}/purchase`, { variantId, quantity: 1 }, r.token)));
    await button.dblclick();
    const answers = await rush;
    assert.ok(answers.every((a) => [202, 409, 429, 503].includes(a.statusCode)), answers.map((a) => `${a.statusCode} ${a.body}`).join('\n'));

    const outcome = await Promise.race([
      page.waitForURL(/\/pay\/sandbox\//, { timeout: 30_000 }).then(() => 'won' as const),
      page.getByTestId('flash-status').filter({ hasText: '已抢光' }).waitFor({ timeout: 30_000 }).then(() => 'sold_out' as const),
    ]);
    assert.equal(purchases.length, 1, 'one purchase request for one double press');
    const won = answers.filter((a) => a.statusCode === 202).length;
    if (outcome === 'won') {
      assert.ok(won <= 2, `the rush won ${won} of the 3 units and the shopper one`);
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByTestId('payment-status').filter({ hasText: '已支付' }).waitFor();
    } else {
      assert.equal(won, 3, 'sold out only once the rush holds every unit');
    }
    console.log(`storefront: flash sale rush of ${rushers.length} buyers won ${won} units; the shopper's page ended ${outcome}`);
    await page.context().close();
  });

  it('the product page paints fast from a cold cache and loads little JavaScript', async () => {
    const page = await newPage(PHONE);
    const scripts = new Set<string>();
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/assets/') && url.pathname.endsWith('.js')) scripts.add(url.pathname.slice('/assets/'.length));
    });
    await page.goto(`http://cn.localhost:${port}/p/floral-summer-dress`);
    await page.getByRole('heading', { level: 1, name: '夏季碎花连衣裙' }).waitFor();
    await page.locator('.gallery-main img').waitFor();
    await page.locator('.price.big', { hasText: '¥' }).waitFor();
    const lcp = await largestContentfulPaint(page);
    let gzipped = 0;
    for (const file of scripts) gzipped += gzipSync(readFileSync(join(STOREFRONT_DIST, 'assets', file)), { level: 9 }).length;
    metrics.productLcpMs = lcp;
    metrics.productFirstLoadJsGzipBytes = gzipped;
    console.log(`storefront: product page LCP ${lcp} ms (cold cache, phone size); first-load JavaScript ${gzipped} B gzipped in ${scripts.size} files`);
    assert.ok(lcp > 0, 'the browser reported a Largest Contentful Paint');
    assert.ok(gzipped < 200 * 1024, `first-load JavaScript ${gzipped} B gzipped, over the 200 KB budget`);
    await page.context().close();
  });
});
