// The HTTP edge refuses what it cannot take as sent: wrong JSON types are 400s (no coercion), lone
// surrogates and non-finite numbers never reach the database, database data errors are answered in
// Souk's words, every error (the framework's too) is problem+json with ids, and security headers are set.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDatabase, TEST_METRICS_TOKEN } from './harness.ts';
import { createShop, stockedVariants, type Shop } from './commerce.ts';
import { expectProblem } from './problems.ts';
import { databaseProblem } from '../src/kernel/http/errors.ts';

eachDatabase('http hardening', (env) => {
  let shop: Shop;
  let variantId: string;
  let cartId: string;

  before(async () => {
    shop = await createShop(env, 'harden');
    [variantId] = (await stockedVariants(shop, 1, 10)) as [string];
    const cart = await shop.store({ method: 'POST', url: '/store/carts', payload: { email: 'h@test.souk' } });
    cartId = cart.json().id;
  });

  it('refuses wrong JSON types in bodies instead of coercing them, and changes nothing', async () => {
    for (const quantity of ['3', true, [1]]) {
      const res = await shop.store({ method: 'POST', url: `/store/carts/${cartId}/lines`, payload: { variantId, quantity } });
      expectProblem(res, 400, 'validation_failed');
    }
    const cart = await shop.store({ method: 'GET', url: `/store/carts/${cartId}` });
    assert.equal(cart.json().lines.length, 0);
    const platform = await env.app.inject({
      method: 'POST',
      url: '/admin/platforms',
      headers: { authorization: `Bearer ${env.ownerToken}` },
      payload: { slug: true, name: 'Coerced', defaultCurrency: 'USD', defaultLocale: 'en' },
    });
    expectProblem(platform, 400, 'validation_failed');
    const listed = await env.app.inject({ url: '/admin/platforms', headers: { authorization: `Bearer ${env.ownerToken}` } });
    assert.doesNotMatch(listed.body, /"slug":"true"/);
    // Query strings are still parsed from text.
    const ok = await shop.store({ method: 'GET', url: '/store/products?minPrice=10&maxPrice=5000' });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('refuses non-finite and out-of-range numbers and lone surrogates at the edge, in its own words', async () => {
    for (const url of ['/store/products?minPrice=1e400', '/store/products?minPrice=-1e400', '/store/products?maxPrice=1e400']) {
      const res = await shop.store({ method: 'GET', url });
      expectProblem(res, 400);
      assert.doesNotMatch(res.body, /bigint|Infinity|syntax/i);
    }
    const lone = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${shop.slug}/products`,
      headers: { 'content-type': 'application/json' },
      payload: '{"handle":"lone","title":"bad \\ud800 title","variants":[]}',
    });
    expectProblem(lone, 400, 'invalid_characters');
    const meta = await shop.store({
      method: 'POST',
      url: `/store/carts/${cartId}/lines`,
      headers: { 'content-type': 'application/json' },
      payload: `{"variantId":"${variantId}","quantity":1,"metadata":{"note":"\\udc00"}}`,
    });
    expectProblem(meta, 400, 'invalid_characters');
    assert.doesNotMatch(meta.body, /json/i);
  });

  it('maps every database data error (SQLSTATE class 22) to a problem without the database text', () => {
    for (const code of ['22P02', '22003', '22021', '22012', '22P05', '22001']) {
      const problem = databaseProblem(code, Object.assign(new Error('invalid input syntax for type bigint: "Infinity"'), { code }));
      assert.ok(problem, code);
      assert.equal(problem.status, 400);
      assert.doesNotMatch(problem.detail, /syntax|bigint|Infinity/);
    }
    assert.equal(databaseProblem('XX000', new Error('x')), undefined);
  });

  it("answers the framework's own errors as problem+json with the request id", async () => {
    const long = await env.app.inject({ url: `/store/products/${'a'.repeat(150)}`, headers: { ...shop.platform.store, 'x-request-id': 'long-param-1' } });
    expectProblem(long, 414, 'path_too_long');
    assert.equal(long.headers['x-request-id'], 'long-param-1');
    assert.equal(long.json().requestId, 'long-param-1');
    assert.equal(long.headers['x-content-type-options'], 'nosniff');
    const cases = [
      { method: 'POST', url: '/store/carts', headers: { ...shop.platform.store, 'content-type': 'application/json' }, payload: '{"email":', status: 400, code: 'invalid_json' },
      { method: 'POST', url: '/store/carts', headers: { ...shop.platform.store, 'content-type': 'application/xml' }, payload: '<x/>', status: 415, code: 'unsupported_media_type' },
      { method: 'POST', url: '/store/carts', headers: { ...shop.platform.store, 'content-type': 'application/json' }, payload: `{"email":"${'x'.repeat(6 * 1024 * 1024)}"}`, status: 413, code: 'body_too_large' },
      { method: 'GET', url: '/nowhere', headers: {}, payload: undefined, status: 404, code: 'route_not_found' },
    ] as const;
    for (const c of cases) {
      const res = await env.app.inject({ method: c.method, url: c.url, headers: c.headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
      expectProblem(res, c.status, c.code);
      assert.ok(res.headers['x-request-id'], c.code);
      assert.equal(res.json().requestId, res.headers['x-request-id']);
      assert.equal(res.json().traceId, res.headers['x-trace-id']);
    }
  });

  it('sets nosniff everywhere and no-store on personal answers', async () => {
    const health = await env.app.inject({ url: '/healthz' });
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
    assert.equal(health.headers['cache-control'], undefined);
    const products = await shop.store({ method: 'GET', url: '/store/products' });
    assert.equal(products.headers['x-content-type-options'], 'nosniff');
    assert.equal(products.headers['cache-control'], undefined);
    for (const res of [
      await shop.store({ method: 'GET', url: `/store/carts/${cartId}` }),
      await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}` }),
      await shop.store({ method: 'POST', url: '/store/auth/login', payload: { email: 'nobody@test.souk', password: 'wrong-password' } }),
    ]) {
      assert.equal(res.headers['cache-control'], 'no-store', res.body);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    const pay = await env.app.inject({ url: `/pay/sandbox/${shop.platform.platform.id}/00000000-0000-7000-8000-000000000000` });
    assert.equal(pay.headers['x-frame-options'], 'DENY');
    assert.match(String(pay.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(String(pay.headers['content-security-policy']), /default-src 'none'/);
  });
});

eachDatabase('metrics behind a token', (env) => {
  it('answers /metrics only with the bearer token; health stays open', async () => {
    assert.equal((await env.app.inject({ url: '/metrics' })).statusCode, 401);
    expectProblem(await env.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } }), 401, 'unauthorized');
    const ok = await env.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /souk_http_requests_total/);
    assert.equal((await env.app.inject({ url: '/healthz' })).statusCode, 200);
    assert.equal((await env.app.inject({ url: '/readyz' })).statusCode, 200);
  });
});

eachDatabase('metrics without a token', (env) => {
  it('does not serve /metrics at all', async () => {
    expectProblem(await env.app.inject({ url: '/metrics' }), 404, 'route_not_found');
  });
}, { metricsToken: undefined });

eachDatabase('CORS', (env) => {
  let shop: Shop;
  before(async () => {
    shop = await createShop(env, 'corsy', { storefront: { corsOrigins: ['https://shop.corsy.test'] } });
  });

  it('is closed by default and opens /store only to the origins the platform lists', async () => {
    const allowed = await shop.store({ method: 'GET', url: '/store/products', headers: { origin: 'https://shop.corsy.test' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.corsy.test');
    assert.match(String(allowed.headers.vary), /Origin/i);
    const stranger = await shop.store({ method: 'GET', url: '/store/products', headers: { origin: 'https://evil.test' } });
    assert.equal(stranger.headers['access-control-allow-origin'], undefined);
    const preflight = await env.app.inject({
      method: 'OPTIONS',
      url: '/store/carts',
      headers: { origin: 'https://shop.corsy.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-publishable-key, content-type' },
    });
    assert.equal(preflight.statusCode, 204, preflight.body);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.corsy.test');
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-publishable-key/);
    const refused = await env.app.inject({ method: 'OPTIONS', url: '/store/carts', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
    expectProblem(refused, 403, 'cors_origin_not_allowed');
    const admin = await env.app.inject({ method: 'OPTIONS', url: '/admin/platforms', headers: { origin: 'https://shop.corsy.test', 'access-control-request-method': 'GET' } });
    expectProblem(admin, 403, 'cors_origin_not_allowed');
  });

  it('refuses storefront origins that are not origins', async () => {
    const bad = await shop.admin({ method: 'PATCH', url: `/admin/platforms/${shop.slug}`, payload: { settings: { storefront: { corsOrigins: ['https://x.test/path'] } } } });
    expectProblem(bad, 400, 'invalid_settings');
    const owner = await env.app.inject({
      method: 'PATCH',
      url: `/admin/platforms/${shop.slug}`,
      headers: { authorization: `Bearer ${env.ownerToken}` },
      payload: { settings: { storefront: { corsOrigins: ['*'] } } },
    });
    expectProblem(owner, 400, 'invalid_settings');
  });
});

eachDatabase('CORS for admin', (env) => {
  it('allows the configured admin origin', async () => {
    const preflight = await env.app.inject({ method: 'OPTIONS', url: '/admin/platforms', headers: { origin: 'https://admin.test', 'access-control-request-method': 'GET' } });
    assert.equal(preflight.statusCode, 204, preflight.body);
    const real = await env.app.inject({ url: '/admin/platforms', headers: { origin: 'https://admin.test', authorization: `Bearer ${env.ownerToken}` } });
    assert.equal(real.headers['access-control-allow-origin'], 'https://admin.test');
  });
}, { adminCorsOrigins: ['https://admin.test'] });
