// Isolation between platforms is a security boundary. For every route in the OpenAPI document, a
// request made with platform B's credentials (B's publishable key and host, B's customer, B's platform
// admin, support user and secret key) that names platform A's resources must be refused or come back
// without a trace of A, and must leave A's data as it was. New routes are covered automatically; a new
// path parameter fails the suite until it gets a value below.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from './harness.ts';
import { fillPath, minimalInstance, routesFromOpenApi, type RouteSpec } from './openapi-routes.ts';
import { databaseFingerprint, platformRowsFingerprint } from './fingerprint.ts';
import { seedCommerce } from './commerce.ts';
import { waitFor } from './wait.ts';
import { riskModule, riskService } from '../src/modules/risk/index.ts';

// The webhook receivers here listen on 127.0.0.1: opt in to private targets (off by default).
process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';

interface Seeded {
  shop: TestPlatform;
  customerToken: string;
  secretKey: string;
  ids: Record<string, string>;
  /** Strings that only platform A's data contains. */
  markers: string[];
}

async function seedPlatform(env: Parameters<Parameters<typeof eachDatabase>[1]>[0], slug: string, marker: string): Promise<Seeded> {
  const shop = await createTestPlatform(env, { slug, hosts: [`${slug}.test`], modules: ['catalog', 'webhooks', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales', 'wishlists', 'live', 'media', 'risk', 'migration'] });
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const category = await admin({ method: 'POST', url: `/admin/platforms/${slug}/categories`, payload: { handle: `${marker}-cat`, name: `${marker} category` } });
  assert.equal(category.statusCode, 201, category.body);
  const product = await admin({
    method: 'POST',
    url: `/admin/platforms/${slug}/products`,
    payload: {
      handle: `${marker}-product`,
      title: `${marker} product`,
      status: 'published',
      categories: [category.json().id],
      options: [{ name: 'size', values: ['M'] }],
      variants: [{ sku: `${marker}-SKU`, options: { size: 'M' }, prices: [{ currency: 'USD', amount: 1234 }] }],
    },
  });
  assert.equal(product.statusCode, 201, product.body);
  const customer = await env.app.inject({
    method: 'POST',
    url: '/store/customers',
    headers: shop.store,
    payload: { email: `${marker}@customer.test`, password: 'customer-password', name: marker },
  });
  assert.equal(customer.statusCode, 201, customer.body);
  const key = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/api-keys', payload: { label: `${marker} key`, role: 'platform_admin', platformIds: [shop.platform.id] } });
  const keys = await admin({ url: `/admin/platforms/${slug}/publishable-keys` });
  const users = await asBearer(env.app, env.ownerToken, { url: '/admin/users' });
  const userId = users.json().items.find((u: { email: string }) => u.email === `platform_admin@${slug}.test`).id;
  // A webhook endpoint (nothing listens on port 9) with one queued test delivery. The suite runs without
  // the events worker, so nothing sends it, and nothing changes the database behind the fingerprints.
  const endpoint = await admin({ method: 'POST', url: `/admin/platforms/${slug}/webhooks/endpoints`, payload: { url: `http://127.0.0.1:9/${marker}-hook`, eventTypes: ['catalog.*'] } });
  assert.equal(endpoint.statusCode, 201, endpoint.body);
  const endpointId = endpoint.json().id as string;
  const delivery = await admin({ method: 'POST', url: `/admin/platforms/${slug}/webhooks/endpoints/${endpointId}/test` });
  assert.equal(delivery.statusCode, 202, delivery.body);
  const deliveryId = delivery.json().id as string;
  const p = product.json();
  const stocked = await admin({ method: 'PUT', url: `/admin/platforms/${slug}/inventory/levels/${p.variants[0].id}`, payload: { onHand: 5, reason: `${marker} count` } });
  assert.equal(stocked.statusCode, 200, stocked.body);
  const reservation = await admin({ method: 'POST', url: `/admin/platforms/${slug}/inventory/reservations`, payload: { reference: `${marker}-order`, lines: [{ variantId: p.variants[0].id, quantity: 1 }] } });
  assert.equal(reservation.statusCode, 201, reservation.body);
  const reservationId = reservation.json().id as string;
  const commerce = await seedCommerce(env, shop, customer.json().token, p.variants[0].id, marker);
  const wished = await env.app.inject({ method: 'PUT', url: `/store/wishlist/items/${p.id}`, headers: { ...shop.store, authorization: `Bearer ${customer.json().token}` } });
  assert.equal(wished.statusCode, 204, wished.body);
  // A live room with a host message in its history.
  const room = await admin({ method: 'POST', url: `/admin/platforms/${slug}/live/rooms`, payload: { title: `${marker} room` } });
  assert.equal(room.statusCode, 201, room.body);
  const roomId = room.json().id as string;
  const said = await admin({ method: 'POST', url: `/admin/platforms/${slug}/live/rooms/${roomId}/messages`, payload: { text: `${marker} says hi` } });
  assert.equal(said.statusCode, 201, said.body);
  const messageId = said.json().id as string;
  // The room's stream key (media): its id and hint must not leak.
  const streamKey = await admin({ method: 'POST', url: `/admin/platforms/${slug}/live/rooms/${roomId}/stream-key` });
  assert.equal(streamKey.statusCode, 201, streamKey.body);
  const streamKeyId = streamKey.json().id as string;
  // A gift of the catalogue and a customer's coin top-up (pending, its payment started).
  const gift = await admin({ method: 'POST', url: `/admin/platforms/${slug}/live/gifts`, payload: { name: `${marker} gift`, priceCoins: 5 } });
  assert.equal(gift.statusCode, 201, gift.body);
  const topUp = await env.app.inject({ method: 'POST', url: '/store/live/coins/top-ups', headers: { ...shop.store, authorization: `Bearer ${customer.json().token}` }, payload: { coins: 50 } });
  assert.equal(topUp.statusCode, 201, topUp.body);
  const giftId = gift.json().id as string;
  const poll = await admin({ method: 'PUT', url: `/admin/platforms/${slug}/live/message-types/poll`, payload: { schema: { type: 'object', title: `${marker} poll` } } });
  assert.equal(poll.statusCode, 200, poll.body);
  const topUpId = topUp.json().id as string;
  const decisionId = await seedRisk(env, shop, marker);
  const jobId = await seedImport(env, shop, marker);
  return {
    shop,
    customerToken: customer.json().token,
    secretKey: key.json().key,
    ids: {
      platform: slug,
      productId: p.id,
      idOrHandle: p.handle,
      variantId: p.variants[0].id,
      categoryId: category.json().id,
      customerId: customer.json().customer.id,
      keyId: keys.json().items[0].id,
      userId,
      // Event backbone routes are owner-only; these stand for any id.
      eventId: '00000000-0000-7000-8000-00000000000e',
      deadLetterId: '00000000-0000-7000-8000-00000000000d',
      consumer: 'some-consumer',
      // Product videos need ffmpeg and the events worker; media-videos.test.ts checks them across platforms.
      videoId: '00000000-0000-7000-8000-0000000000f1',
      endpointId,
      deliveryId,
      reservationId,
      roomId,
      messageId,
      giftId,
      topUpId,
      messageType: 'poll',
      memberId: customer.json().customer.id,
      point: 'signup',
      list: 'block',
      decisionId,
      jobId,
      ...commerce,
    },
    markers: [marker, marker.toUpperCase(), shop.platform.id, p.id, p.variants[0].id, category.json().id, customer.json().customer.id, endpointId, deliveryId, reservationId, commerce.cartId!, commerce.couponId!, commerce.orderId!, commerce.paymentId!, commerce.saleId!, commerce.ticketId!, roomId, messageId, giftId, topUpId, decisionId, jobId, streamKeyId],
  };
}

/** An import job of A's (one refused row naming the marker), finished before the suite compares fingerprints. */
async function seedImport(env: Parameters<Parameters<typeof eachDatabase>[1]>[0], shop: TestPlatform, marker: string): Promise<string> {
  const csv = `Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n${marker}-imported,${marker} import,Title,Default Title,${marker}-IMP,5.00\n${marker}-bad,${marker} bad,Title,Default Title,${marker}-BAD,not-a-price\n`;
  const res = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `/admin/platforms/${shop.platform.slug}/migration/imports?format=shopify-products`, headers: { 'content-type': 'text/csv' }, payload: csv });
  assert.equal(res.statusCode, 202, res.body);
  const jobId = res.json().id as string;
  await waitFor('the seed import job', async () => {
    const job = await asBearer(env.app, shop.adminToken, { url: `/admin/platforms/${shop.platform.slug}/migration/imports/${jobId}` });
    return job.json().status === 'succeeded';
  });
  return jobId;
}

/** A's risk policy and shadow name the marker in a rule, its block list holds it, and one stored decision saw it. */
async function seedRisk(env: Parameters<Parameters<typeof eachDatabase>[1]>[0], shop: TestPlatform, marker: string): Promise<string> {
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const slug = shop.platform.slug;
  const document = { rules: [{ id: `${marker}-rule`, when: { signal: 'device_id', op: 'eq', value: `${marker}-device` }, action: 'deny' }], thresholds: [10, 20, 30, 40], actions: ['allow', 'allow', 'challenge', 'review', 'deny'] };
  const policy = await admin({ method: 'PUT', url: `/admin/platforms/${slug}/risk/policies/signup`, payload: { document } });
  assert.equal(policy.statusCode, 200, policy.body);
  const listed = await admin({ method: 'PUT', url: `/admin/platforms/${slug}/risk/lists/block`, payload: { entries: [{ kind: 'device', value: `${marker}-blocked` }] } });
  assert.equal(listed.statusCode, 200, listed.body);
  const shadow = await admin({ method: 'PUT', url: `/admin/platforms/${slug}/risk/shadow/signup`, payload: { document, note: `${marker} draft` } });
  assert.equal(shadow.statusCode, 200, shadow.body);
  const runtime = env.souk.runtimeOf(riskModule);
  const decision = await riskService({ runtime, events: env.souk.ctx.events }).decide(env.souk.ctx.platformDb(shop.platform.id), 'signup', { deviceId: `${marker}-device` });
  assert.equal(decision.action, 'deny');
  // Written now, not by the recorder's timer while the suite compares fingerprints.
  await runtime.recorder.flush();
  return decision.id;
}

eachDatabase('isolation between platforms, for every route', (env) => {
  let a: Seeded;
  let b: Seeded;
  let routes: RouteSpec[];

  before(async () => {
    a = await seedPlatform(env, 'iso-a', 'alphasecret');
    b = await seedPlatform(env, 'iso-b', 'betaother');
    routes = await routesFromOpenApi(env.app);
  });

  function assertNoTraceOfA(route: RouteSpec, who: string, status: number, body: string) {
    if ([401, 403, 404].includes(status)) return;
    for (const marker of a.markers) {
      assert.ok(!body.includes(marker), `${who}: ${route.method} ${route.path} answered ${status} with A's data (${marker}): ${body.slice(0, 300)}`);
    }
  }

  it('covers a meaningful route list', () => {
    assert.ok(routes.length >= 25, `only ${routes.length} routes in the OpenAPI document`);
    assert.ok(routes.some((r) => r.surface === 'store'));
  });

  it("B's storefront credentials never reach A's data", async () => {
    const fingerprint = await platformRowsFingerprint(env.souk.database, a.shop.platform.id);
    for (const route of routes.filter((r) => r.surface === 'store')) {
      const url = fillPath(route.path, a.ids);
      // Logging in on B with A's customer's email and password must fail like any wrong password.
      const hints = route.path.endsWith('/login') ? { email: 'alphasecret@customer.test', password: 'customer-password' } : {};
      const payload = route.body ? minimalInstance(route.body, hints) : undefined;
      const credentials = {
        'publishable key': { ...b.shop.store },
        host: { host: 'iso-b.test' },
        'customer token': { ...b.shop.store, authorization: `Bearer ${b.customerToken}` },
        "A's customer token on B": { ...b.shop.store, authorization: `Bearer ${a.customerToken}` },
      };
      for (const [who, headers] of Object.entries(credentials)) {
        const res = await env.app.inject({ method: route.method as 'GET', url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
        assert.ok(res.statusCode < 500, `${who}: ${route.method} ${route.path} → ${res.statusCode} ${res.body}`);
        assertNoTraceOfA(route, who, res.statusCode, res.body);
      }
    }
    // Store requests made as B may create B's data (a session, a cart) but never touch A's rows.
    assert.equal(await platformRowsFingerprint(env.souk.database, a.shop.platform.id), fingerprint);
  });

  it("B's admins, support and secret key get 401/403/404 for every admin route naming A", async () => {
    const fingerprint = await databaseFingerprint(env.souk.database);
    for (const route of routes.filter((r) => r.surface === 'admin' && r.pathParams.length > 0)) {
      const url = fillPath(route.path, a.ids);
      const payload = route.body ? minimalInstance(route.body) : undefined;
      for (const [who, token] of [['platform admin', b.shop.adminToken], ['support', b.shop.supportToken], ['secret key', b.secretKey]] as const) {
        const res = await asBearer(env.app, token, { method: route.method as 'GET', url, ...(payload !== undefined ? { payload: payload as object } : {}) });
        assert.ok([401, 403, 404].includes(res.statusCode), `${who} of B: ${route.method} ${route.path} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      }
    }
    // B's secret key records when it was last used (api_keys.last_used_at); nothing else may change.
    const withoutKeyUse = (fp: string) => fp.split('\n').filter((line) => !line.startsWith('api_keys:'));
    assert.deepEqual(withoutKeyUse(await databaseFingerprint(env.souk.database)), withoutKeyUse(fingerprint));
  });

  it("B's admins see nothing of A on admin routes without a platform in the path", async () => {
    for (const route of routes.filter((r) => r.surface === 'admin' && r.pathParams.length === 0 && r.method === 'GET')) {
      for (const token of [b.shop.adminToken, b.shop.supportToken, b.secretKey]) {
        const res = await asBearer(env.app, token, { url: route.path });
        assert.ok(res.statusCode < 500);
        assertNoTraceOfA(route, 'B', res.statusCode, res.body);
      }
    }
  });

  it("the hosted pay page of one platform cannot act on another platform's payment", async () => {
    const fingerprint = await databaseFingerprint(env.souk.database);
    const paths = routes.filter((r) => r.surface === 'other' && r.path.startsWith('/pay/'));
    assert.ok(paths.length >= 1, 'the sandbox pay page routes are in the OpenAPI document');
    for (const route of paths) {
      const url = fillPath(route.path, { ...a.ids, platformId: b.shop.platform.id });
      const res = await env.app.inject({ method: route.method as 'GET', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...(route.method === 'POST' ? { payload: '' } : {}) });
      // A 404 that names the requested id, and nothing else of A's.
      assert.equal(res.statusCode, 404, `${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.ok(!res.body.includes(a.shop.platform.id) && !res.body.includes(a.ids.orderId!), res.body);
    }
    assert.equal(await databaseFingerprint(env.souk.database), fingerprint);
  });

  it('every admin route refuses a request without credentials', async () => {
    for (const route of routes.filter((r) => r.surface === 'admin' && r.path !== '/admin/auth/login')) {
      const res = await env.app.inject({ method: route.method as 'GET', url: fillPath(route.path, a.ids) });
      assert.equal(res.statusCode, 401, `${route.method} ${route.path} → ${res.statusCode}`);
    }
  });
  // No events worker: relaying and handling the seed's events (and sending webhooks) would change the
  // database while the suite compares fingerprints.
}, { eventsWorker: false });
