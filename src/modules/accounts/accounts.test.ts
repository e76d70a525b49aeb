import { it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase, login, startTestSouk } from '../../../test/harness.ts';
import { engines } from '../../../test/harness.ts';
import { forPlatform } from '../../kernel/db/scoped.ts';
import { importCustomers } from './customer-import.ts';

eachDatabase('accounts: admins, keys and customers', (env) => {
  const owner = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, env.ownerToken, options);

  it('refuses admin routes without a valid token', async () => {
    const none = await env.app.inject({ url: '/admin/platforms' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'unauthorized');
    const bogus = await asBearer(env.app, 'sa_forged', { url: '/admin/platforms' });
    assert.equal(bogus.statusCode, 401);
  });

  it('logs an admin in and out; a wrong password is 401 with no hint which part was wrong', async () => {
    const wrong = await env.app.inject({ method: 'POST', url: '/admin/auth/login', payload: { email: 'nobody@x.test', password: 'whatever1' } });
    assert.equal(wrong.statusCode, 401);
    const me = await owner({ url: '/admin/auth/me' });
    assert.equal(me.json().role, 'owner');
    const created = await owner({ method: 'POST', url: '/admin/users', payload: { email: 'temp@x.test', password: 'temp-password', role: 'owner' } });
    assert.equal(created.statusCode, 201, created.body);
    const token = await login(env.app, 'TEMP@x.test', 'temp-password');
    assert.equal((await asBearer(env.app, token, { method: 'POST', url: '/admin/auth/logout' })).statusCode, 204);
    assert.equal((await asBearer(env.app, token, { url: '/admin/auth/me' })).statusCode, 401);
  });

  it('support is read-only; platform admins cannot manage users or keys', async () => {
    const shop = await createTestPlatform(env, { slug: 'acct-shop' });
    assert.equal((await asBearer(env.app, shop.supportToken, { url: '/admin/platforms/acct-shop' })).statusCode, 200);
    const write = await asBearer(env.app, shop.supportToken, { method: 'PATCH', url: '/admin/platforms/acct-shop', payload: { name: 'Nope' } });
    assert.equal(write.statusCode, 403);
    assert.equal(write.json().code, 'read_only_role');
    assert.equal((await asBearer(env.app, shop.adminToken, { url: '/admin/users' })).statusCode, 403);
    assert.equal((await asBearer(env.app, shop.adminToken, { method: 'POST', url: '/admin/api-keys', payload: { label: 'x', role: 'owner' } })).statusCode, 403);
  });

  it('secret API keys act with their role and platforms, and stop working when revoked', async () => {
    const a = await createTestPlatform(env, { slug: 'key-a' });
    await createTestPlatform(env, { slug: 'key-b' });
    const res = await owner({ method: 'POST', url: '/admin/api-keys', payload: { label: 'importer', role: 'platform_admin', platformIds: [a.platform.id] } });
    assert.equal(res.statusCode, 201, res.body);
    const { key, apiKey } = res.json();
    assert.match(key, /^sk_/);
    assert.equal((await asBearer(env.app, key, { url: '/admin/platforms/key-a' })).statusCode, 200);
    assert.equal((await asBearer(env.app, key, { url: '/admin/platforms/key-b' })).statusCode, 404);
    const listed = (await owner({ url: '/admin/api-keys' })).json().items;
    assert.ok(listed.every((k: Record<string, unknown>) => !('key' in k) && !('tokenHash' in k)));
    assert.equal((await owner({ method: 'POST', url: `/admin/api-keys/${apiKey.id}/revoke` })).statusCode, 204);
    assert.equal((await asBearer(env.app, key, { url: '/admin/platforms/key-a' })).statusCode, 401);
    const noPlatforms = await owner({ method: 'POST', url: '/admin/api-keys', payload: { label: 'x', role: 'support' } });
    assert.equal(noPlatforms.statusCode, 400);
  });

  it('the same email registers on two platforms as two unrelated customers', async () => {
    const a = await createTestPlatform(env, { slug: 'cust-a' });
    const b = await createTestPlatform(env, { slug: 'cust-b' });
    const body = { email: 'same@buyer.test', password: 'buyer-password', name: 'Buyer' };
    const onA = await env.app.inject({ method: 'POST', url: '/store/customers', headers: a.store, payload: body });
    const onB = await env.app.inject({ method: 'POST', url: '/store/customers', headers: b.store, payload: { ...body, password: 'other-password' } });
    assert.equal(onA.statusCode, 201, onA.body);
    assert.equal(onB.statusCode, 201, onB.body);
    assert.notEqual(onA.json().customer.id, onB.json().customer.id);
    const dup = await env.app.inject({ method: 'POST', url: '/store/customers', headers: a.store, payload: body });
    assert.equal(dup.statusCode, 409);

    // A's token means nothing on B, and A's password does not open B's account.
    const tokenA = onA.json().token;
    const cross = await env.app.inject({ url: '/store/customers/me', headers: { ...b.store, authorization: `Bearer ${tokenA}` } });
    assert.equal(cross.statusCode, 401);
    const wrongShop = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: b.store, payload: { email: body.email, password: body.password } });
    assert.equal(wrongShop.statusCode, 401);

    const me = await env.app.inject({ url: '/store/customers/me', headers: { ...a.store, authorization: `Bearer ${tokenA}` } });
    assert.equal(me.json().email, 'same@buyer.test');
    const renamed = await env.app.inject({ method: 'PATCH', url: '/store/customers/me', headers: { ...a.store, authorization: `Bearer ${tokenA}` }, payload: { name: 'New' } });
    assert.equal(renamed.json().name, 'New');

    const customers = await asBearer(env.app, a.adminToken, { url: '/admin/platforms/cust-a/customers' });
    assert.deepEqual(customers.json().items.map((c: { email: string }) => c.email), ['same@buyer.test']);
    const revoke = await asBearer(env.app, a.adminToken, { method: 'POST', url: `/admin/platforms/cust-a/customers/${onA.json().customer.id}/revoke-sessions` });
    assert.equal(revoke.json().revoked, 1);
    assert.equal((await env.app.inject({ url: '/store/customers/me', headers: { ...a.store, authorization: `Bearer ${tokenA}` } })).statusCode, 401);
    const otherPlatformsCustomer = await asBearer(env.app, a.adminToken, { url: `/admin/platforms/cust-a/customers/${onB.json().customer.id}` });
    assert.equal(otherPlatformsCustomer.statusCode, 404);
  });

  it('an imported customer (no password) gets in with a one-time token from the shop; the token works once and on its platform only', async () => {
    const a = await createTestPlatform(env, { slug: 'claim-a' });
    const b = await createTestPlatform(env, { slug: 'claim-b' });
    await importCustomers(forPlatform(env.souk.database, a.platform.id), [{ email: 'Imported@buyer.test', name: 'Imported' }]);
    const listed = await asBearer(env.app, a.adminToken, { url: '/admin/platforms/claim-a/customers' });
    const customerId = listed.json().items[0].id as string;
    const noPassword = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: a.store, payload: { email: 'imported@buyer.test', password: 'anything-at-all' } });
    assert.equal(noPassword.statusCode, 401);

    // Support may not issue one; another platform's admin cannot see the customer; B's admin on B has no such customer.
    const url = `/admin/platforms/claim-a/customers/${customerId}/password-token`;
    assert.equal((await asBearer(env.app, a.supportToken, { method: 'POST', url })).statusCode, 403);
    assert.equal((await asBearer(env.app, b.adminToken, { method: 'POST', url })).statusCode, 404);
    const onB = await asBearer(env.app, b.adminToken, { method: 'POST', url: `/admin/platforms/claim-b/customers/${customerId}/password-token` });
    assert.equal(onB.statusCode, 404, onB.body);
    assert.equal(onB.json().code, 'customer_not_found');
    const bad = await asBearer(env.app, a.adminToken, { method: 'POST', url: `${url}?ttlHours=0` });
    assert.equal(bad.statusCode, 400);

    const first = await asBearer(env.app, a.adminToken, { method: 'POST', url: `${url}?ttlHours=24` });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().hasPassword, false);
    assert.equal(first.json().email, 'Imported@buyer.test');
    const issued = await asBearer(env.app, a.adminToken, { method: 'POST', url });
    assert.equal(issued.statusCode, 201, issued.body);
    const token = issued.json().token as string;
    const set = (headers: Record<string, string>, t: string, password = 'chosen-password') =>
      env.app.inject({ method: 'POST', url: '/store/customers/password', headers, payload: { token: t, password } });

    // The older token was voided by the newer one; the token means nothing on platform B.
    const voided = await set(a.store, first.json().token);
    assert.equal(voided.statusCode, 400);
    assert.equal(voided.json().code, 'password_token_invalid');
    assert.equal((await set(b.store, token)).statusCode, 400);
    assert.equal((await set(a.store, token, 'short')).statusCode, 400);

    const claimed = await set(a.store, token);
    assert.equal(claimed.statusCode, 200, claimed.body);
    assert.equal(claimed.json().customer.id, customerId);
    const me = await env.app.inject({ url: '/store/customers/me', headers: { ...a.store, authorization: `Bearer ${claimed.json().token}` } });
    assert.equal(me.statusCode, 200);
    const signedIn = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: a.store, payload: { email: 'imported@buyer.test', password: 'chosen-password' } });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    const again = await set(a.store, token, 'another-password');
    assert.equal(again.statusCode, 400);
    assert.equal(again.json().code, 'password_token_invalid');

    // A reset later ends the sessions the customer had.
    const reset = await asBearer(env.app, a.adminToken, { method: 'POST', url });
    assert.equal(reset.json().hasPassword, true);
    assert.equal((await set(a.store, reset.json().token, 'newer-password')).statusCode, 200);
    const old = await env.app.inject({ url: '/store/customers/me', headers: { ...a.store, authorization: `Bearer ${signedIn.json().token}` } });
    assert.equal(old.statusCode, 401);
  });

  it('customer login and logout; sessions end', async () => {
    const shop = await createTestPlatform(env, { slug: 'cust-login' });
    await env.app.inject({ method: 'POST', url: '/store/customers', headers: shop.store, payload: { email: 'l@buyer.test', password: 'buyer-password' } });
    const res = await env.app.inject({ method: 'POST', url: '/store/auth/login', headers: shop.store, payload: { email: 'L@buyer.test', password: 'buyer-password' } });
    assert.equal(res.statusCode, 200, res.body);
    const auth = { ...shop.store, authorization: `Bearer ${res.json().token}` };
    assert.equal((await env.app.inject({ method: 'POST', url: '/store/auth/logout', headers: auth })).statusCode, 204);
    assert.equal((await env.app.inject({ url: '/store/customers/me', headers: auth })).statusCode, 401);
  });
});

for (const engine of engines()) {
  it(`a stranger's wrong passwords throttle the stranger, never the owner on another address [${engine}]`, async () => {
    const { souk, close } = await startTestSouk(engine, { loginRateLimitPerAccount: 3, loginRateLimitPerIp: 5, loginRateLimitWindowSeconds: 60 });
    try {
      const { createAdminUser } = await import('./admin-service.ts');
      await createAdminUser(souk.ctx.db, souk.ctx.platforms, { email: 'boss@x.test', password: 'owner-password', role: 'owner' });
      const attempt = (email: string, password: string, ip: string) =>
        souk.app.inject({ method: 'POST', url: '/admin/auth/login', remoteAddress: ip, payload: { email, password } });

      const fromA: number[] = [];
      for (let i = 0; i < 50; i += 1) fromA.push((await attempt('boss@x.test', 'wrong-password', '203.0.113.1')).statusCode);
      assert.deepEqual(fromA.slice(0, 3), [401, 401, 401]);
      assert.ok(fromA.slice(3).every((s) => s === 429), fromA.join(','));
      // The owner, from an address that has not failed, gets in at once.
      assert.equal((await attempt('boss@x.test', 'owner-password', '198.51.100.7')).statusCode, 200);
      // The attacker stays throttled, with the right password too and on other accounts.
      const limited = await attempt('boss@x.test', 'owner-password', '203.0.113.1');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await attempt('other@x.test', 'wrong-password', '203.0.113.1')).statusCode, 429);

      // From many addresses the account slows down (a few tries per address) but is never locked.
      for (let i = 0; i < 20; i += 1) {
        for (let j = 0; j < 3; j += 1) await attempt('boss@x.test', 'wrong-password', `192.0.2.${i}`);
      }
      const perAddress: number[] = [];
      for (let j = 0; j < 5; j += 1) perAddress.push((await attempt('boss@x.test', 'wrong-password', '192.0.2.200')).statusCode);
      assert.deepEqual(perAddress, [401, 401, 401, 429, 429]);
      assert.equal((await attempt('boss@x.test', 'owner-password', '198.51.100.8')).statusCode, 200);
    } finally {
      await close();
    }
  });

  it(`customer login is throttled per address and sign-up spends the same per-address budget [${engine}]`, async () => {
    const { souk, close } = await startTestSouk(engine, { loginRateLimitPerAccount: 3, loginRateLimitPerIp: 5, loginRateLimitWindowSeconds: 60 });
    try {
      const { createPlatform } = await import('../platforms/service.ts');
      const { publishableKey } = await createPlatform({ db: souk.ctx.db, directory: souk.ctx.platforms, events: souk.ctx.events, modules: souk.modules }, {
        slug: 'throttle', name: 'Throttle', hosts: [], defaultCurrency: 'USD', defaultLocale: 'en', modules: [], settings: {},
      });
      const headers = { 'x-publishable-key': publishableKey };
      const signUp = (email: string, ip: string) =>
        souk.app.inject({ method: 'POST', url: '/store/customers', headers, remoteAddress: ip, payload: { email, password: 'buyer-password' } });
      const logIn = (password: string, ip: string) =>
        souk.app.inject({ method: 'POST', url: '/store/auth/login', headers, remoteAddress: ip, payload: { email: 'buyer@x.test', password } });
      assert.equal((await signUp('buyer@x.test', '198.51.100.1')).statusCode, 201);

      const fromA: number[] = [];
      for (let i = 0; i < 10; i += 1) fromA.push((await logIn('wrong-password', '203.0.113.9')).statusCode);
      assert.deepEqual(fromA, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      assert.equal((await logIn('buyer-password', '198.51.100.2')).statusCode, 200);
      // The address that spent its budget on logins cannot probe emails through sign-up either.
      assert.equal((await signUp('someone@x.test', '203.0.113.9')).statusCode, 429);
      const probes: number[] = [];
      for (let i = 0; i < 5; i += 1) probes.push((await signUp('buyer@x.test', '203.0.113.50')).statusCode);
      assert.deepEqual(probes, [409, 409, 409, 409, 409]);
      assert.equal((await signUp('buyer@x.test', '203.0.113.50')).statusCode, 429);
    } finally {
      await close();
    }
  });

  it(`expired customer sessions are refused [${engine}]`, async () => {
    const { souk, close } = await startTestSouk(engine, { customerSessionTtlSeconds: 1 });
    try {
      const { createPlatform } = await import('../platforms/service.ts');
      const { platform, publishableKey } = await createPlatform({ db: souk.ctx.db, directory: souk.ctx.platforms, events: souk.ctx.events, modules: souk.modules }, {
        slug: 'ttl', name: 'TTL', hosts: [], defaultCurrency: 'USD', defaultLocale: 'en', modules: [], settings: {},
      });
      assert.ok(platform);
      const reg = await souk.app.inject({ method: 'POST', url: '/store/customers', headers: { 'x-publishable-key': publishableKey }, payload: { email: 't@x.test', password: 'buyer-password' } });
      const auth = { 'x-publishable-key': publishableKey, authorization: `Bearer ${reg.json().token}` };
      assert.equal((await souk.app.inject({ url: '/store/customers/me', headers: auth })).statusCode, 200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await souk.app.inject({ url: '/store/customers/me', headers: auth })).statusCode, 401);
    } finally {
      await close();
    }
  });
}
