// The typed SDK (sdk/): its generated types match the document the server serves now (a route changed
// without `npm run sdk:generate` fails here), and real calls through it against a listening server work,
// with the server's problems surfacing as SoukProblemError.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createSoukClient, SoukProblemError, unwrap, type SoukClient } from '../sdk/index.ts';
import { currentDocument, renderSdkTypes, SDK_TYPES_FILE } from '../scripts/sdk-types.ts';
import { loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';

describe('the SDK', () => {
  it('has types generated from the current OpenAPI document', async () => {
    const [committed, fresh] = await Promise.all([readFile(SDK_TYPES_FILE, 'utf8'), currentDocument().then(renderSdkTypes)]);
    if (committed === fresh) return;
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    assert.fail(
      `sdk/openapi.d.ts is out of date with the server's routes: run \`npm run sdk:generate\` and commit it.\n` +
        `first difference at line ${line + 1}:\n  committed: ${a[line]}\n  current:   ${b[line]}`,
    );
  });

  describe('against a running server', () => {
    let started: StartedSouk;
    let baseUrl: string;
    let admin: SoukClient;

    before(async () => {
      started = await startTestSouk('pglite');
      await started.souk.app.listen({ host: '127.0.0.1', port: 0 });
      baseUrl = `http://127.0.0.1:${(started.souk.app.server.address() as AddressInfo).port}`;
      const token = await loginAsNewOwner(started.souk);
      admin = createSoukClient({ baseUrl, token });
    });
    after(() => started.close());

    it('creates a platform and a product as an admin, then reads it from the storefront', async () => {
      const created = unwrap(
        await admin.POST('/admin/platforms', {
          body: { slug: 'sdk-shop', name: 'SDK shop', hosts: ['sdk-shop.test'], defaultCurrency: 'EUR', defaultLocale: 'en', locales: ['en', 'zh-CN'], modules: ['catalog'] },
        }),
      );
      assert.equal(created.platform.slug, 'sdk-shop');
      const product = unwrap(
        await admin.POST('/admin/platforms/{platform}/products', {
          params: { path: { platform: 'sdk-shop' } },
          body: {
            handle: 'teapot',
            title: 'Teapot',
            status: 'published',
            translations: { 'zh-CN': { title: '茶壶' } },
            variants: [{ sku: 'TEA-1', prices: [{ currency: 'EUR', amount: 2400 }] }],
          },
        }),
      );
      assert.equal(product.handle, 'teapot');

      const store = createSoukClient({ baseUrl, publishableKey: created.publishableKey });
      const page = unwrap(await store.GET('/store/products', { params: { query: { q: 'teapot' } } }));
      assert.deepEqual(
        page.items.map((p) => p.handle),
        ['teapot'],
      );
      const zh = unwrap(await store.GET('/store/products/{idOrHandle}', { params: { path: { idOrHandle: 'teapot' }, query: { locale: 'zh-CN' } } }));
      assert.equal(zh.title, '茶壶');
    });

    it("turns the server's problem documents into SoukProblemError", async () => {
      const anonymous = createSoukClient({ baseUrl });
      await assert.rejects(
        async () => unwrap(await anonymous.GET('/admin/platforms')),
        (error: unknown) => error instanceof SoukProblemError && error.status === 401 && typeof error.code === 'string' && error.message.length > 0,
      );
      await assert.rejects(
        async () =>
          unwrap(
            await admin.POST('/admin/platforms', {
              body: { slug: 'Not A Slug!', name: 'x', hosts: [], defaultCurrency: 'EUR', defaultLocale: 'en', locales: ['en'], modules: [] },
            }),
          ),
        (error: unknown) => error instanceof SoukProblemError && error.status === 400,
      );
    });
  });
});
