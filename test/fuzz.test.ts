// Property-based fuzzing of every route in the OpenAPI document: bodies, query strings and path
// parameters from fast-check, sent with the most powerful credentials (an owner; a logged-in customer on
// the storefront). Properties: the answer is never a 5xx, errors are problem+json, and a rejected
// (4xx) request leaves every table exactly as it was.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from './harness.ts';
import { fillPath, minimalInstance, routesFromOpenApi, type JsonSchema, type RouteSpec } from './openapi-routes.ts';
import { fuzzArbitrary, queryArbitrary } from './schema-arbitrary.ts';
import { databaseFingerprint } from './fingerprint.ts';
import { seedCommerce } from './commerce.ts';

const RUNS = Number(process.env.SOUK_FUZZ_RUNS ?? 30);
const FUZZ_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales', 'wishlists', 'live', 'media', 'risk', 'migration'];

/** JSON values of a type the schema does not allow (what coercion used to turn into the right one). */
function wrongTypes(schema: JsonSchema): unknown[] {
  if (schema.anyOf || schema.oneOf || schema.allOf || schema.$ref || schema.enum || schema.const !== undefined) return [];
  const types = new Set(Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);
  if (types.size === 0) return [];
  // Each value with the JSON types it is an instance of; only values of none of the schema's types are wrong.
  const candidates: Array<[string[], unknown]> = [
    [['string'], '3'],
    [['integer', 'number'], 3],
    [['boolean'], true],
    [['array'], [1]],
    [['object'], { value: 1 }],
  ];
  return candidates.filter(([isA]) => !isA.some((t) => types.has(t))).map(([, value]) => value).slice(0, 3);
}

eachDatabase('fuzzing every route', (env) => {
  let shop: TestPlatform;
  let customerToken: string;
  let routes: RouteSpec[];
  const real: Record<string, string> = {};

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'fuzz', hosts: ['fuzz.test'], modules: FUZZ_MODULES });
    const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
    const category = await admin({ method: 'POST', url: '/admin/platforms/fuzz/categories', payload: { handle: 'fuzz-cat', name: 'Fuzz' } });
    const product = await admin({
      method: 'POST',
      url: '/admin/platforms/fuzz/products',
      payload: { handle: 'fuzz-product', title: 'Fuzz product', status: 'published', variants: [{ sku: 'FUZZ-1', prices: [{ currency: 'USD', amount: 100 }] }] },
    });
    const customer = await env.app.inject({ method: 'POST', url: '/store/customers', headers: shop.store, payload: { email: 'fuzz@customer.test', password: 'customer-password' } });
    customerToken = customer.json().token;
    const commerce = await seedCommerce(env, shop, customerToken, product.json().variants[0].id);
    const room = await admin({ method: 'POST', url: '/admin/platforms/fuzz/live/rooms', payload: { title: 'Fuzz room' } });
    Object.assign(real, {
      ...commerce,
      platform: 'fuzz',
      productId: product.json().id,
      idOrHandle: 'fuzz-product',
      variantId: product.json().variants[0].id,
      categoryId: category.json().id,
      customerId: customer.json().customer.id,
      keyId: '00000000-0000-7000-8000-000000000000',
      userId: '00000000-0000-7000-8000-000000000000',
      eventId: '00000000-0000-7000-8000-000000000000',
      deadLetterId: '00000000-0000-7000-8000-000000000000',
      consumer: 'some-consumer',
      endpointId: '00000000-0000-7000-8000-000000000000',
      deliveryId: '00000000-0000-7000-8000-000000000000',
      reservationId: '00000000-0000-7000-8000-000000000000',
      roomId: room.json().id,
      messageId: '00000000-0000-7000-8000-000000000000',
      giftId: '00000000-0000-7000-8000-000000000000',
      topUpId: '00000000-0000-7000-8000-000000000000',
      messageType: 'poll',
      memberId: '00000000-0000-7000-8000-000000000000',
      point: 'coupon',
      list: 'allow',
      decisionId: '00000000-0000-7000-8000-000000000000',
      jobId: '00000000-0000-7000-8000-000000000000',
    });
    routes = await routesFromOpenApi(env.app);
  });

  it('never answers 5xx, and a 4xx changes nothing', async () => {
    // Logging out has nothing to fuzz and would end the fuzzer's own sessions.
    for (const route of routes.filter((r) => r.surface !== 'other' && !r.path.endsWith('/logout'))) {
      const pathValues = fc.record(
        Object.fromEntries(route.pathParams.map((name) => [name, fc.oneof({ weight: 3, arbitrary: fc.constant(real[name] ?? 'x') }, fc.uuid(), fc.string({ minLength: 1, maxLength: 20 }))])),
      );
      let fingerprint = await databaseFingerprint(env.souk.database);
      await fc.assert(
        fc.asyncProperty(pathValues, queryArbitrary(route.query), fuzzArbitrary(route.body), async (params, query, body) => {
          const url = fillPath(route.path, params as Record<string, string>);
          const headers: Record<string, string> =
            route.surface === 'store'
              ? { ...shop.store, authorization: `Bearer ${customerToken}` }
              : { authorization: `Bearer ${env.ownerToken}` };
          const res = await env.app.inject({
            method: route.method as 'GET',
            url,
            query,
            headers,
            ...(route.body && body !== undefined ? { payload: body as object } : {}),
          });
          assert.ok(res.statusCode < 500, `${route.method} ${url} → ${res.statusCode}: ${res.body.slice(0, 500)}\nbody: ${JSON.stringify(body)?.slice(0, 300)}\nquery: ${JSON.stringify(query)}`);
          if (res.statusCode >= 400) {
            assert.match(String(res.headers['content-type']), /application\/problem\+json/);
            // The document's list of codes cannot drift from what the route answers.
            const code = res.json<{ code: string }>().code;
            assert.ok(route.problemCodes[res.statusCode]?.includes(code), `${route.method} ${route.path} answered ${res.statusCode} ${code}, which its operation does not list in x-problem-codes`);
            const now = await databaseFingerprint(env.souk.database);
            assert.equal(now, fingerprint, `${route.method} ${url} answered ${res.statusCode} but changed the database`);
          } else {
            fingerprint = await databaseFingerprint(env.souk.database);
            // Card clicks are counted in memory and written by the live module's once-a-second clock: wait for
            // that write here, or it lands while a later rejected request is being checked.
            if (route.path.endsWith('/card/clicks')) fingerprint = await settledFingerprint(fingerprint);
          }
          // Logging out or revoking would end the fuzzer's own sessions; restore them for the next run.
          if (/revoke-sessions|disable|^\/admin\/platforms\/\{platform\}$/.test(route.path) && res.statusCode < 300) {
            await restoreFuzzPlatform();
            fingerprint = await databaseFingerprint(env.souk.database);
          }
        }),
        // fast-check reports only the shrunk inputs; the route and the failed assertion say what broke.
        { numRuns: RUNS, includeErrorInReport: true },
      ).catch((error: unknown) => {
        throw new Error(`${route.method} ${route.path}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  });

  it('answers a wrong JSON type in any body field of any route with a 400 that changes nothing', async () => {
    let checked = 0;
    for (const route of routes.filter((r) => r.surface !== 'other' && r.body?.properties && !r.path.endsWith('/logout'))) {
      const url = fillPath(route.path, Object.fromEntries(route.pathParams.map((name) => [name, real[name] ?? 'x'])));
      const headers: Record<string, string> =
        route.surface === 'store' ? { ...shop.store, authorization: `Bearer ${customerToken}` } : { authorization: `Bearer ${env.ownerToken}` };
      for (const [field, schema] of Object.entries(route.body!.properties!)) {
        for (const wrong of wrongTypes(schema)) {
          const before = await databaseFingerprint(env.souk.database);
          const payload = { ...(minimalInstance(route.body) as Record<string, unknown>), [field]: wrong };
          const res = await env.app.inject({ method: route.method as 'POST', url, headers, payload });
          const where = `${route.method} ${route.path} ${field}=${JSON.stringify(wrong)}`;
          // 401/403/404 come from the onRequest checks (a module off on this platform), before any body is read.
          assert.ok([400, 401, 403, 404].includes(res.statusCode), `${where} → ${res.statusCode}: ${res.body.slice(0, 300)}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/, where);
          assert.equal(await databaseFingerprint(env.souk.database), before, `${where} changed the database`);
          if (res.statusCode === 400) checked += 1;
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} body fields were checked`);
  });

  /** The fingerprint once a pending background write has changed it (or after 3 s without one). */
  async function settledFingerprint(current: string): Promise<string> {
    for (const until = Date.now() + 3_000; Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await databaseFingerprint(env.souk.database);
      if (now !== current) return now;
    }
    return current;
  }

  /** Undo what a successful run may have done to the fuzzer's own footing: status, modules, hosts, sessions. */
  async function restoreFuzzPlatform() {
    const owner = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, env.ownerToken, options);
    await owner({ method: 'POST', url: '/admin/platforms/fuzz/enable' });
    await owner({ method: 'PATCH', url: '/admin/platforms/fuzz', payload: { modules: FUZZ_MODULES, hosts: ['fuzz.test'], defaultCurrency: 'USD', currencies: ['USD'] } });
    // The default risk policy challenges a mailbox that logs in again and again (the fuzzer's does, after
    // every revoke); allow-list the fuzzer's domain so later store routes still run with a real session.
    await owner({ method: 'PUT', url: '/admin/platforms/fuzz/risk/lists/block', payload: { entries: [] } });
    await owner({ method: 'PUT', url: '/admin/platforms/fuzz/risk/lists/allow', payload: { entries: [{ kind: 'email_domain', value: 'customer.test' }] } });
    const login = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: shop.store, payload: { email: 'fuzz@customer.test', password: 'customer-password' } });
    assert.equal(login.statusCode, 200, `the fuzzer's customer could not sign in again: ${login.body.slice(0, 300)}`);
    customerToken = login.json().token;
  }
  // No events worker: the relay moving outbox rows into the log would change the fingerprint between a
  // 2xx and the next rejected request.
}, { eventsWorker: false });
