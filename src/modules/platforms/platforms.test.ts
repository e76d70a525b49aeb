import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase, engines, loginAsNewOwner, startTestSouk, testConfig } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { openPostgres } from '../../kernel/db/postgres.ts';
import { createSouk } from '../../server.ts';
import { applyPlatform } from './service.ts';
import { PlatformRegistry } from './registry.ts';
import type { Database } from '../../kernel/db/types.ts';

const metadata = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  name: `Shop ${slug}`,
  hosts: [`${slug}.example`],
  defaultCurrency: 'EUR',
  defaultLocale: 'en',
  modules: ['catalog'],
  ...extra,
});

eachDatabase('platforms', (env) => {
  const owner = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, env.ownerToken, options);

  it('creates a platform with a publishable key that resolves the storefront', async () => {
    const res = await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('alpha') });
    assert.equal(res.statusCode, 201, res.body);
    const { platform, publishableKey } = res.json();
    assert.equal(platform.slug, 'alpha');
    assert.deepEqual(platform.currencies, ['EUR']);
    assert.match(publishableKey, /^pk_/);

    const byKey = await env.app.inject({ url: '/store/platform', headers: { 'x-publishable-key': publishableKey } });
    assert.equal(byKey.statusCode, 200);
    assert.equal(byKey.json().slug, 'alpha');
    const byHost = await env.app.inject({ url: '/store/platform', headers: { host: 'alpha.example:3000' } });
    assert.equal(byHost.json().slug, 'alpha');
  });

  it('answers 404 problem for an unknown host or key, never another platform', async () => {
    const unknownHost = await env.app.inject({ url: '/store/platform', headers: { host: 'nobody.example' } });
    assert.equal(unknownHost.statusCode, 404);
    assert.equal(unknownHost.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(unknownHost.json().code, 'platform_not_found');
    const badKey = await env.app.inject({ url: '/store/platform', headers: { 'x-publishable-key': 'pk_nope', host: 'alpha.example' } });
    assert.equal(badKey.statusCode, 404);
  });

  it('rejects a duplicate slug, a taken host and an unknown module with 4xx and changes nothing', async () => {
    const before = (await owner({ url: '/admin/platforms' })).json().items.length;
    assert.equal((await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('alpha') })).statusCode, 409);
    const taken = await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('beta', { hosts: ['alpha.example'] }) });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json().code, 'host_taken');
    const mod = await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('gamma', { modules: ['teleport'] }) });
    assert.equal(mod.statusCode, 400);
    assert.equal(mod.json().code, 'unknown_module');
    const cur = await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('delta', { currencies: ['USD'] }) });
    assert.equal(cur.statusCode, 400);
    const extra = await owner({ method: 'POST', url: '/admin/platforms', payload: { ...metadata('eps'), colour: 'red' } });
    assert.equal(extra.statusCode, 400);
    assert.equal(extra.json().code, 'validation_failed');
    assert.equal((await owner({ url: '/admin/platforms' })).json().items.length, before);
  });

  it('applies metadata idempotently: created, unchanged, updated', async () => {
    const deps = { db: env.souk.ctx.db, directory: env.souk.ctx.platforms, events: env.souk.ctx.events, modules: env.souk.modules };
    const first = await applyPlatform(deps, metadata('applied', { settings: {} }));
    assert.equal(first.action, 'created');
    const again = await applyPlatform(deps, metadata('applied', { settings: {} }));
    assert.equal(again.action, 'unchanged');
    assert.equal(again.platform.updatedAt, first.platform.updatedAt);
    const viaApi = await owner({ method: 'PUT', url: '/admin/platforms', payload: metadata('applied') });
    assert.equal(viaApi.json().action, 'unchanged');
    const changed = await owner({ method: 'PUT', url: '/admin/platforms', payload: metadata('applied', { name: 'Renamed', hosts: ['applied.example', 'www.applied.example'] }) });
    assert.equal(changed.json().action, 'updated');
    assert.deepEqual(changed.json().platform.hosts, ['applied.example', 'www.applied.example']);
    const host = await env.app.inject({ url: '/store/platform', headers: { host: 'www.applied.example' } });
    assert.equal(host.json().name, 'Renamed');
  });

  it('disables a storefront (404) and enables it again; only owners may', async () => {
    const shop = await createTestPlatform(env, { slug: 'togglable' });
    const asAdmin = await asBearer(env.app, shop.adminToken, { method: 'POST', url: '/admin/platforms/togglable/disable' });
    assert.equal(asAdmin.statusCode, 403);
    assert.equal((await owner({ method: 'POST', url: '/admin/platforms/togglable/disable' })).json().status, 'disabled');
    assert.equal((await env.app.inject({ url: '/store/platform', headers: shop.store })).statusCode, 404);
    await owner({ method: 'POST', url: '/admin/platforms/togglable/enable' });
    assert.equal((await env.app.inject({ url: '/store/platform', headers: shop.store })).statusCode, 200);
  });

  it('turns a module off per platform: its routes answer 404 there only', async () => {
    const on = await createTestPlatform(env, { slug: 'with-catalog' });
    const off = await createTestPlatform(env, { slug: 'without-catalog', modules: [] });
    assert.equal((await env.app.inject({ url: '/store/products', headers: on.store })).statusCode, 200);
    const res = await env.app.inject({ url: '/store/products', headers: off.store });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'module_disabled');
    const patched = await owner({ method: 'PATCH', url: '/admin/platforms/without-catalog', payload: { modules: ['catalog'] } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await env.app.inject({ url: '/store/products', headers: off.store })).statusCode, 200);
  });

  it('a PATCH of one field leaves hosts, modules and settings as they were', async () => {
    await createTestPlatform(env, { slug: 'patch-one', hosts: ['patch-one.test'] });
    const before = (await owner({ url: '/admin/platforms/patch-one' })).json();
    const patched = await owner({ method: 'PATCH', url: '/admin/platforms/patch-one', payload: { name: 'Renamed' } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().name, 'Renamed');
    assert.deepEqual(patched.json().hosts, before.hosts);
    assert.deepEqual(patched.json().modules, before.modules);
    assert.deepEqual(patched.json().settings, before.settings);
    assert.equal((await env.app.inject({ url: '/store/products', headers: { host: 'patch-one.test' } })).statusCode, 200);
  });

  it("refuses a slug shaped like a platform id (create, apply, PATCH), so it cannot shadow that platform", async () => {
    const victim = (await owner({ method: 'POST', url: '/admin/platforms', payload: metadata('victim') })).json().platform;
    const before = (await owner({ url: '/admin/platforms' })).json().items.length;
    const deps = { db: env.souk.ctx.db, directory: env.souk.ctx.platforms, events: env.souk.ctx.events, modules: env.souk.modules };
    for (const slug of [victim.id as string, '0190a5c8-1111-7abc-8def-0123456789ab']) {
      const created = await owner({ method: 'POST', url: '/admin/platforms', payload: metadata(slug, { hosts: [] }) });
      assert.equal(created.statusCode, 400, created.body);
      assert.equal(created.json().code, 'invalid_slug');
      const applied = await owner({ method: 'PUT', url: '/admin/platforms', payload: metadata(slug, { hosts: [] }) });
      assert.equal(applied.statusCode, 400, applied.body);
      assert.equal(applied.json().code, 'invalid_slug');
      await assert.rejects(applyPlatform(deps, metadata(slug, { hosts: [] })), (error: { code?: string }) => error.code === 'invalid_slug');
    }
    const patched = await owner({ method: 'PATCH', url: '/admin/platforms/victim', payload: { slug: victim.id } });
    assert.equal(patched.statusCode, 400, patched.body);
    assert.equal((await owner({ url: '/admin/platforms' })).json().items.length, before);
    const byId = await owner({ url: `/admin/platforms/${victim.id}` });
    assert.equal(byId.json().slug, 'victim');
    assert.equal((await owner({ url: `/admin/platforms/${String(victim.id).toUpperCase()}` })).json().slug, 'victim');
  });

  it('revokes a publishable key at once', async () => {
    const shop = await createTestPlatform(env, { slug: 'keyed' });
    const created = await asBearer(env.app, shop.adminToken, { method: 'POST', url: '/admin/platforms/keyed/publishable-keys', payload: { label: 'app' } });
    assert.equal(created.statusCode, 201);
    const key = created.json().key as string;
    assert.equal((await env.app.inject({ url: '/store/platform', headers: { 'x-publishable-key': key } })).statusCode, 200);
    const list = await asBearer(env.app, shop.adminToken, { url: '/admin/platforms/keyed/publishable-keys' });
    const id = list.json().items.find((k: { label: string }) => k.label === 'app').id;
    assert.equal((await asBearer(env.app, shop.adminToken, { method: 'POST', url: `/admin/platforms/keyed/publishable-keys/${id}/revoke` })).statusCode, 204);
    assert.equal((await env.app.inject({ url: '/store/platform', headers: { 'x-publishable-key': key } })).statusCode, 404);
  });

  it('lets a platform admin see only their own platform', async () => {
    const a = await createTestPlatform(env, { slug: 'mine' });
    await createTestPlatform(env, { slug: 'theirs' });
    const list = await asBearer(env.app, a.adminToken, { url: '/admin/platforms' });
    assert.deepEqual(list.json().items.map((p: { slug: string }) => p.slug), ['mine']);
    assert.equal((await asBearer(env.app, a.adminToken, { url: '/admin/platforms/theirs' })).statusCode, 404);
    assert.equal((await asBearer(env.app, a.adminToken, { method: 'PATCH', url: '/admin/platforms/theirs', payload: { name: 'x' } })).statusCode, 404);
  });
});

it('never lets an older platform snapshot overwrite a newer one when reloads overlap', async () => {
  // A fake database whose first snapshot (without "late") is slow and whose second (with it) is fast:
  // overlapping reloads would finish newest-first and leave the stale snapshot in place.
  const row = (slug: string) => ({
    id: `id-${slug}`, slug, name: slug, default_currency: 'USD', currencies: ['USD'], default_locale: 'en', locales: ['en'],
    modules: [], settings: {}, status: 'active', created_at: new Date(), updated_at: new Date(), hosts: [`${slug}.test`],
  });
  let snapshots = 0;
  const db = {
    kind: 'pglite',
    async query(sql: string) {
      if (sql.includes('publishable')) return [];
      if (sql.includes('as stamp')) return [{ stamp: 'x' }];
      snapshots += 1;
      const rows = snapshots === 1 ? [row('early')] : [row('early'), row('late')];
      await new Promise((resolve) => setTimeout(resolve, snapshots === 1 ? 60 : 1));
      return rows;
    },
  } as unknown as Database;
  const registry = new PlatformRegistry(db);
  const first = registry.reload();
  const second = registry.reload();
  const third = registry.reload();
  await Promise.all([first, second, third]);
  assert.equal(snapshots, 2, 'calls made while a reload runs share the next one');
  assert.ok(registry.byHost('late.test'), 'the newest snapshot wins');
});

describe('platform changes reach another node at once (PostgreSQL NOTIFY)', { skip: engines().includes('postgres') ? false : 'DATABASE_URL is not set' }, () => {
  it('a platform created and changed on one node is served by the other without waiting for its poll', async () => {
    // Polling off on both nodes: only the notification can tell node B.
    const a = await startTestSouk('postgres', { platformRefreshMs: 0 });
    const url = a.souk.config.databaseUrl!;
    const bDatabase = await openPostgres(url, 2);
    const b = await createSouk({ database: bDatabase, logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: url, platformRefreshMs: 0 } });
    try {
      const token = await loginAsNewOwner(a.souk);
      const created = await asBearer(a.souk.app, token, { method: 'POST', url: '/admin/platforms', payload: metadata('notified') });
      assert.equal(created.statusCode, 201, created.body);
      await waitFor('node B to know the new platform', async () => b.ctx.platforms.bySlug('notified') !== undefined, 3000, 20);
      const patched = await asBearer(a.souk.app, token, { method: 'PATCH', url: '/admin/platforms/notified', payload: { name: 'Renamed on A' } });
      assert.equal(patched.statusCode, 200, patched.body);
      await waitFor('node B to see the change', async () => b.ctx.platforms.bySlug('notified')?.name === 'Renamed on A', 3000, 20);
    } finally {
      await b.close();
      await bDatabase.close();
      await a.close();
    }
  });
});
