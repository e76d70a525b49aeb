// The demo a new user meets after `npm start`, seeded fresh on each engine: every product picture
// answers with an image, the event log tells what the seed did (with a working causal chain), and
// storefront search ranks by relevance in both languages.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { asBearer, eachDatabase } from '../../test/harness.ts';
import { waitFor } from '../../test/wait.ts';
import { seedDemo } from './demo.ts';

interface ListedProduct {
  id: string;
  handle: string;
  title: string;
  images: string[];
}

eachDatabase('demo seed', (env) => {
  before(async () => {
    await seedDemo(env.souk);
  });

  async function products(host: string, query = ''): Promise<ListedProduct[]> {
    const res = await env.app.inject({ method: 'GET', url: `/store/products?limit=100${query}`, headers: { host } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ items: ListedProduct[] }>().items;
  }

  it('serves an image for every picture of every demo product, on both platforms', async () => {
    for (const host of ['localhost', 'cn.localhost']) {
      const items = await products(host);
      assert.ok(items.length >= 60, `${host} lists ${items.length} products`);
      const urls = new Set(items.flatMap((p) => p.images));
      assert.equal(urls.size, items.length * 2, 'two pictures per product');
      for (const url of urls) {
        const res = await env.app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 200, `${url}: ${res.statusCode}`);
        assert.match(String(res.headers['content-type']), /^image\/svg\+xml/, url);
        assert.match(res.body, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, url);
      }
      const dress = items.find((p) => p.handle === 'floral-summer-dress');
      const picture = await env.app.inject({ method: 'GET', url: dress!.images[0]! });
      assert.ok(picture.body.includes('Floral Summer Dress') && picture.body.includes('夏季碎花连衣裙'), 'the picture names the product in both languages');
    }
    const unknown = await env.app.inject({ method: 'GET', url: '/static/img/no-such-product.svg' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'image_not_found');
    const traversal = await env.app.inject({ method: 'GET', url: '/static/img/..%2Fpackage.json' });
    assert.equal(traversal.statusCode, 404);
  });

  interface LoggedEvent {
    id: string;
    type: string;
    platformId: string | null;
    traceId: string | null;
    causedBy: string | null;
  }

  async function events(query: string): Promise<LoggedEvent[]> {
    const res = await asBearer(env.app, env.ownerToken, { method: 'GET', url: `/admin/events?limit=200&${query}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ items: LoggedEvent[] }>().items;
  }

  it('fills the event log through the services, with a causal chain from each platform to its catalogue, stock and coupons', async () => {
    // The list reads the log, which the relay fills a moment after each commit.
    await waitFor('both platform.created in the log', async () => (await events('type=platform.created')).length === 2);
    const created = await events('type=platform.created');
    const global = env.souk.ctx.platforms.bySlug('souk-global')!;
    const cn = env.souk.ctx.platforms.bySlug('souk-cn')!;
    assert.deepEqual(new Set(created.map((e) => e.platformId)), new Set([global.id, cn.id]));
    for (const type of ['catalog.product_created', 'inventory.stock_adjusted', 'promotions.coupon_created']) {
      await waitFor(`${type} in the log`, async () => (await events(`type=${type}&platformId=${cn.id}`)).length > 0);
    }
    await waitFor('WELCOME10 and SAVE5 in the log', async () => (await events(`type=promotions.coupon_created&platformId=${global.id}`)).length === 2);

    const origin = created.find((e) => e.platformId === global.id)!;
    const chain = await asBearer(env.app, env.ownerToken, { method: 'GET', url: `/admin/events/${origin.id}` });
    assert.equal(chain.statusCode, 200, chain.body);
    const { event, causes, effects } = chain.json<{ event: LoggedEvent; causes: LoggedEvent[]; effects: Array<{ depth: number; event: LoggedEvent }> }>();
    assert.equal(event.type, 'platform.created');
    assert.deepEqual(causes, []);
    const effectTypes = new Set(effects.map((e) => e.event.type));
    for (const type of ['catalog.product_created', 'inventory.stock_adjusted', 'promotions.coupon_created']) assert.ok(effectTypes.has(type), `${type} is an effect`);
    assert.ok(effects.every((e) => e.depth === 1 && e.event.platformId === global.id), 'only this platform\'s seeding, directly caused');
    assert.ok(event.traceId && effects.every((e) => e.event.traceId === event.traceId), 'one trace from the platform to its effects');

    const coupon = (await events(`type=promotions.coupon_created&platformId=${global.id}`))[0]!;
    const back = await asBearer(env.app, env.ownerToken, { method: 'GET', url: `/admin/events/${coupon.id}` });
    assert.deepEqual(back.json<{ causes: LoggedEvent[] }>().causes.map((e) => e.id), [origin.id]);
  });

  it('ranks search results by relevance in both languages: titles and whole words first, explicit sorts still win', async () => {
    const dresses = ['floral-summer-dress', 'silk-evening-dress', 'linen-shirt-dress', 'knit-midi-dress', 'polka-dot-wrap-dress'];
    const dress = (await products('localhost', '&q=dress')).map((p) => p.handle);
    assert.deepEqual(new Set(dress.slice(0, 5)), new Set(dresses), `dresses first, got ${dress.join(', ')}`);
    assert.ok(dress.includes('poplin-dress-shirt') && dress.indexOf('poplin-dress-shirt') > 4);

    // "silk" in the title beats "made of silk" in the description only (the satin slip skirt).
    const silk = (await products('localhost', '&q=silk')).map((p) => p.handle);
    assert.ok(silk.indexOf('satin-slip-skirt') > Math.max(silk.indexOf('silk-blouse'), silk.indexOf('silk-evening-dress'), silk.indexOf('silk-pillowcase')), silk.join(', '));
    assert.equal(silk.at(-1), 'satin-slip-skirt');
    const zhSilk = (await products('cn.localhost', `&q=${encodeURIComponent('真丝')}`)).map((p) => p.handle);
    assert.equal(zhSilk.at(-1), 'satin-slip-skirt', zhSilk.join(', '));
    assert.ok(zhSilk.length >= 4);
    const zhDress = (await products('cn.localhost', `&q=${encodeURIComponent('连衣裙')}`)).map((p) => p.handle);
    assert.ok(zhDress.slice(0, 3).every((h) => dresses.includes(h)), zhDress.join(', '));

    // Paging through relevance with a cursor returns the same list, with no repeats or gaps.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/store/products?q=dress&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await env.app.inject({ method: 'GET', url, headers: { host: 'localhost' } });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ items: ListedProduct[]; nextCursor: string | null }>();
      paged.push(...body.items.map((p) => p.handle));
      cursor = body.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, dress);

    // An explicit sort still decides the order.
    const byTitle = (await products('localhost', '&q=dress&sort=title')).map((p) => p.title);
    assert.deepEqual(byTitle, [...byTitle].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    assert.equal(byTitle.length, dress.length);
  });
});
