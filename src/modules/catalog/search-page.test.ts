// catalog_search_page (migration 0006), which finds the first pages of a search without ranking every
// match when it can, against the aggregation it stands in for (catalog_search_hits ranked and paged the
// same way): the same products, ranks and order on every page, for one word and several, ranges of one
// stored token and of several, drafts left out, on each engine.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from '../../../test/harness.ts';
import type { ProductInput } from './schemas.ts';

// Words whose prefixes start several stored tokens (lamp, lamps, lampshade; vase, vases), in titles, tags and
// descriptions in varied combinations so that ranks tie and differ, plus Chinese pairs.
const TITLE = ['Lamp', 'Lamps', 'Lampshade', 'Brass', 'Garden', 'Harbour', '夏季连衣裙', '经典衬衫', 'Vase'];
const TAG = ['lamp', 'lamps', 'brass', 'harbour', 'garden', '连衣裙', '衬衫', 'vases'];
const DESC = ['a brass lamp', 'lamps for the garden', 'harbour lampshade', 'plain', '经典 夏季', '连衣 衣裙'];

function catalogue(count: number): ProductInput[] {
  return Array.from({ length: count }, (_, n) => ({
    handle: `sp-${n}`,
    title: `${TITLE[n % TITLE.length]} ${TITLE[(n * 3 + 1) % TITLE.length]} ${n}`,
    tags: n % 3 === 0 ? [] : [TAG[n % TAG.length]!, TAG[(n * 5 + 2) % TAG.length]!],
    description: n % 4 === 0 ? undefined : DESC[(n * 7) % DESC.length],
    status: n % 11 === 5 ? 'draft' : 'published',
    options: [],
    variants: [{ sku: `SP-${n}`, prices: [{ currency: 'USD', amount: 1000 + n }] }],
  }));
}

const QUERIES: string[][] = [
  ['lamp'], ['lamps'], ['lampshade'], ['la'], ['l'], ['brass'], ['harbour'], ['garden'], ['g'], ['nothing'],
  ['lamp', 'brass'], ['lamp', 'garden'], ['brass', 'harbour'], ['lamps', 'lamp'], ['la', 'ha'], ['lamp', 'nothing'],
  ['夏季'], ['连衣', '衣裙'], ['经典', '衬衫'], ['衬衫'], ['连衣', '衣裙', '夏季'], ['lamp', '连衣'], ['sp'], ['brass', 'lamp', 'garden'], ['vase'], ['vase', 'brass'], ['vases', 'garden'],
];

eachDatabase('catalog search pages', (env) => {
  let shop: TestPlatform;

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'sp-a', currency: 'USD', locales: ['en', 'zh-CN'] });
    const products = catalogue(260);
    for (let from = 0; from < products.length; from += 100) {
      const res = await asBearer(env.app, shop.adminToken, {
        method: 'POST',
        url: '/admin/platforms/sp-a/products/bulk',
        payload: { products: products.slice(from, from + 100) },
      });
      assert.equal(res.statusCode, 200, res.body);
    }
  });

  type Hit = { product_id: string; rank: number };
  const fast = (tokens: string[], take: number, after?: Hit) =>
    env.souk.database.query<Hit>(
      'select product_id, rank from catalog_search_page($1, $2::text[], $3::integer, $4::integer, $5::uuid)',
      [shop.platform.id, tokens, take, after?.rank ?? null, after?.product_id ?? null],
    );
  const aggregated = (tokens: string[], take: number, after?: Hit) =>
    env.souk.database.query<Hit>(
      `select h.product_id, h.rank from catalog_search_hits($1, $2::text[], false) h
       where $4::integer is null or (h.rank, h.product_id) < ($4::integer, $5::uuid)
       order by h.rank desc, h.product_id desc limit $3::integer`,
      [shop.platform.id, tokens, take, after?.rank ?? null, after?.product_id ?? null],
    );

  it('pages every query exactly as the aggregation does', async () => {
    let pages = 0;
    for (const tokens of QUERIES) {
      for (const take of [4, 21]) {
        let after: Hit | undefined;
        const seen = new Set<string>();
        for (;;) {
          const [got, want] = [await fast(tokens, take, after), await aggregated(tokens, take, after)];
          assert.deepEqual(got, want, `${tokens.join(' ')}, ${take} per page, after ${JSON.stringify(after)}`);
          pages++;
          for (const hit of got) seen.add(hit.product_id);
          if (got.length < take) break;
          after = got[got.length - 1];
        }
        const [{ count } = { count: 0 }] = await env.souk.database.query<{ count: number }>(
          'select count(*)::integer as count from catalog_search_hits($1, $2::text[], false)',
          [shop.platform.id, tokens],
        );
        assert.equal(seen.size, count, `${tokens.join(' ')}: every match once`);
      }
    }
    assert.ok(pages > 100);
  });

  it('serves the storefront pages of several words and of a word with several stored tokens', async () => {
    const walk = async (q: string, limit: number) => {
      const handles: string[] = [];
      let cursor: string | null = null;
      do {
        const res: LightMyRequestResponse = await env.app.inject({ url: `/store/products?q=${encodeURIComponent(q)}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: shop.store });
        assert.equal(res.statusCode, 200, res.body);
        handles.push(...res.json().items.map((p: { handle: string }) => p.handle));
        cursor = res.json().nextCursor;
      } while (cursor);
      return handles;
    };
    for (const q of ['lamp', 'lamp brass', '连衣裙', '经典 衬衫']) {
      // A price range makes the page rank through the aggregation: the same products in the same order.
      const res = await env.app.inject({ url: `/store/products?q=${encodeURIComponent(q)}&limit=100&minPrice=0`, headers: shop.store });
      const viaAggregation = res.json().items.map((p: { handle: string }) => p.handle);
      assert.ok(viaAggregation.length > 0, q);
      assert.deepEqual((await walk(q, 7)).slice(0, viaAggregation.length), viaAggregation, q);
      assert.ok(!viaAggregation.some((h: string) => Number(h.slice(3)) % 11 === 5), `${q}: no drafts`);
    }
  });
});
