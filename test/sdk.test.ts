// The typed SDK (sdk/): its generated types match the document the server serves now (a route changed
// without `npm run sdk:generate` fails here), and real calls through it against a listening server work,
// with the server's problems surfacing as SoukProblemError.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoukClient, formDataBody, SoukProblemError, unwrap, type SoukClient } from '../sdk/index.ts';
import { currentDocument, renderSdkTypes, SDK_TYPES_FILE } from '../scripts/sdk-types.ts';
import { loadModuleSettings } from '../src/kernel/module-settings.ts';
import { loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';
import { waitFor } from './wait.ts';

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
    let videoDir: string;

    before(async () => {
      videoDir = await mkdtemp(join(tmpdir(), 'souk-sdk-videos-'));
      started = await startTestSouk('pglite', { media: { ...loadModuleSettings({}).media, videoDir: join(videoDir, 'videos') } });
      await started.souk.app.listen({ host: '127.0.0.1', port: 0 });
      baseUrl = `http://127.0.0.1:${(started.souk.app.server.address() as AddressInfo).port}`;
      const token = await loginAsNewOwner(started.souk);
      admin = createSoukClient({ baseUrl, token });
    });
    after(async () => {
      await started.close();
      await rm(videoDir, { recursive: true, force: true });
    });

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

    it('uploads a product video as multipart with formDataBody, and follows its job', async () => {
      const created = unwrap(
        await admin.POST('/admin/platforms', {
          body: { slug: 'sdk-video', name: 'SDK video', hosts: ['sdk-video.test'], defaultCurrency: 'EUR', defaultLocale: 'en', locales: ['en'], modules: ['catalog', 'live', 'media'] },
        }),
      );
      const platform = created.platform.slug;
      const product = unwrap(
        await admin.POST('/admin/platforms/{platform}/products', {
          params: { path: { platform } },
          body: { handle: 'kettle', title: 'Kettle', variants: [{ sku: 'KETTLE-1', prices: [{ currency: 'EUR', amount: 3900 }] }] },
        }),
      );
      const path = { platform, productId: product.id };
      // Not a video: refused before anything is stored, as a problem the SDK raises.
      await assert.rejects(
        async () =>
          unwrap(
            await admin.POST('/admin/platforms/{platform}/products/{productId}/videos', {
              params: { path },
              body: { file: new File(['hello'], 'notes.txt', { type: 'text/plain' }) },
              bodySerializer: formDataBody,
            }),
          ),
        (error: unknown) => error instanceof SoukProblemError && error.status === 415 && error.code === 'media_video_type',
      );
      // A file that claims to be MP4 but is not: accepted and queued, then its transcode job fails.
      const queued = unwrap(
        await admin.POST('/admin/platforms/{platform}/products/{productId}/videos', {
          params: { path },
          headers: { 'idempotency-key': 'sdk-upload-1' },
          body: { file: new File([new Uint8Array(4096).fill(7)], 'clip.mp4', { type: 'video/mp4' }) },
          bodySerializer: formDataBody,
        }),
      );
      assert.equal(queued.productId, product.id);
      assert.equal(queued.fileName, 'clip.mp4');
      assert.equal(queued.sizeBytes, 4096);
      const done = await waitFor('the upload\'s job to finish', async () => {
        const job = unwrap(await admin.GET('/admin/platforms/{platform}/media/videos/{videoId}', { params: { path: { platform, videoId: queued.id } } }));
        return job.state === 'failed' || job.state === 'ready' ? job : undefined;
      }, 30_000, 100);
      assert.equal(done?.state, 'failed');
      assert.match(done?.error ?? '', /ffprobe|ffmpeg/);
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
