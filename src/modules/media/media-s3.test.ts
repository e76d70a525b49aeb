// Product videos in an S3-compatible bucket (SOUK_MEDIA_S3_*): against a real server speaking S3's HTTP
// API (s3rver, started in this process on a free port), through the AWS SDK client Souk uses. The
// storage puts each file with its media type and immutable caching, the bucket answers range requests,
// and remove takes a video's files away and nothing else; then a clip uploaded to a Souk configured with
// the bucket is transcoded by ffmpeg and the product's URLs point into the bucket, with nothing kept on
// Souk's disk. The storage does not depend on the database, so the upload runs on the embedded one only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { asBearer, createTestPlatform, loginAsNewOwner, startTestSouk, type StartedSouk, type TestEnv } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { loadModuleSettings, type MediaS3Settings } from '../../kernel/module-settings.ts';
import { S3Storage } from './storage-s3.ts';

const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!haveFfmpeg && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('ffmpeg is needed (apt-get install ffmpeg); .ci/run installs it.');

const BUCKET = 'souk-videos';
const PLATFORM = '00000000-0000-7000-8000-0000000000aa';

describe('media: product videos in an S3-compatible bucket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'souk-s3-'));
  let server: S3rver;
  let s3: MediaS3Settings;

  before(async () => {
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 'bucket'), configureBuckets: [{ name: BUCKET }] });
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    // s3rver's own credentials; a real deployment sets SOUK_MEDIA_S3_ACCESS_KEY_ID and _SECRET_ACCESS_KEY.
    s3 = { bucket: BUCKET, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, publicUrl: `${endpoint}/${BUCKET}`, prefix: 'videos/' };
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a video\'s files with their types and immutable caching, served with ranges; remove takes them away', async () => {
    const storage = new S3Storage(s3);
    try {
      const files: Record<string, Buffer> = {
        'video.mp4': randomBytes(300_000),
        'master.m3u8': Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p.m3u8\n'),
        '360p.m3u8': Buffer.from('#EXTM3U\n#EXTINF:2.0,\n360p_000.ts\n#EXT-X-ENDLIST\n'),
        '360p_000.ts': Buffer.alloc(188 * 50, 0x47),
        'poster.jpg': Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(500)]),
      };
      const types: Record<string, RegExp> = { 'video.mp4': /^video\/mp4$/, 'master.m3u8': /mpegurl/i, '360p.m3u8': /mpegurl/i, '360p_000.ts': /^video\/mp2t$/, 'poster.jpg': /^image\/jpeg$/ };
      const out = join(dir, 'out');
      mkdirSync(out, { recursive: true });
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
      await storage.save(PLATFORM, 'v1', out);
      await storage.save(PLATFORM, 'v2', out);

      for (const [name, bytes] of Object.entries(files)) {
        const url = storage.url(PLATFORM, 'v1', name);
        assert.equal(url, `${s3.publicUrl}/videos/${PLATFORM}/v1/${name}`);
        const res = await fetch(url);
        assert.equal(res.status, 200, `${name}: ${res.status}`);
        assert.match(String(res.headers.get('content-type')), types[name]!, name);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', name);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes, name);
      }
      const range = await fetch(storage.url(PLATFORM, 'v1', 'video.mp4'), { headers: { range: 'bytes=1000-1099' } });
      assert.equal(range.status, 206);
      assert.equal(range.headers.get('content-range'), `bytes 1000-1099/${files['video.mp4']!.length}`);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), files['video.mp4']!.subarray(1000, 1100));

      await storage.remove(PLATFORM, 'v1');
      for (const name of Object.keys(files)) assert.equal((await fetch(storage.url(PLATFORM, 'v1', name))).status, 404, `${name} removed`);
      assert.equal((await fetch(storage.url(PLATFORM, 'v2', 'video.mp4'))).status, 200, 'another video keeps its files');
    } finally {
      storage.close();
    }
  });

  describe('a Souk configured with the bucket', { skip: !haveFfmpeg && 'needs ffmpeg' }, () => {
    let started: StartedSouk;
    let env: TestEnv;
    const videoDir = join(dir, 'videos');

    before(async () => {
      started = await startTestSouk('pglite', { media: { ...loadModuleSettings({}).media, videoDir, s3 } });
      env = { engine: 'pglite', souk: started.souk, app: started.souk.app, ownerToken: await loginAsNewOwner(started.souk) };
    });
    after(() => started?.close());

    it('transcodes an upload into the bucket and points the product at it', async () => {
      const shop = await createTestPlatform(env, { slug: 's3-shop', modules: ['catalog', 'live', 'media'] });
      const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
      const product = await admin({
        method: 'POST',
        url: '/admin/platforms/s3-shop/products',
        payload: { handle: 'cup', title: 'Cup', status: 'published', variants: [{ sku: 'CUP-1', prices: [{ currency: 'USD', amount: 900 }] }] },
      });
      assert.equal(product.statusCode, 201, product.body);
      const clip = join(dir, 'clip.mp4');
      const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
      assert.equal(made.status, 0, made.stderr?.toString());
      const form = new FormData();
      form.append('file', new File([readFileSync(clip)], 'clip.mp4', { type: 'video/mp4' }));
      const request = new Request('http://souk.test/', { method: 'POST', body: form });
      const uploaded = await admin({
        method: 'POST',
        url: `/admin/platforms/s3-shop/products/${product.json().id}/videos`,
        headers: { 'content-type': request.headers.get('content-type')! },
        payload: Buffer.from(await request.arrayBuffer()),
      });
      assert.equal(uploaded.statusCode, 202, uploaded.body);
      const done = await waitFor('the transcode', async () => {
        const job = (await admin({ method: 'GET', url: `/admin/platforms/s3-shop/media/videos/${uploaded.json().id}` })).json();
        return job.state === 'ready' || job.state === 'failed' ? job : undefined;
      }, 60_000, 100);
      assert.equal(done.state, 'ready', done.error);

      const { video } = (await env.app.inject({ method: 'GET', url: `/store/products/${product.json().id}`, headers: shop.store })).json();
      const base = `${s3.publicUrl}/videos/${shop.platform.id}/${done.id}/`;
      assert.deepEqual([video.mp4Url, video.hlsUrl, video.posterUrl], [`${base}video.mp4`, `${base}master.m3u8`, `${base}poster.jpg`]);
      const mp4 = await fetch(video.mp4Url, { headers: { range: 'bytes=0-7' } });
      assert.equal(mp4.status, 206);
      assert.equal(Buffer.from(await mp4.arrayBuffer()).subarray(4, 8).toString(), 'ftyp', 'an MP4 from the bucket');
      const master = await (await fetch(video.hlsUrl)).text();
      for (const playlist of master.split('\n').filter((line) => line.endsWith('.m3u8'))) {
        const variant = await fetch(new URL(playlist, video.hlsUrl));
        assert.equal(variant.status, 200, `${playlist} is beside the master playlist`);
        const segment = (await variant.text()).split('\n').find((line) => line.endsWith('.ts'))!;
        assert.equal((await fetch(new URL(segment, video.hlsUrl))).status, 200);
      }
      assert.equal((await fetch(video.posterUrl)).headers.get('content-type'), 'image/jpeg');
      assert.ok(!existsSync(join(videoDir, shop.platform.id)), 'nothing kept on Souk\'s disk');
      assert.deepEqual(existsSync(`${videoDir}.work`) ? readdirSync(`${videoDir}.work`, { recursive: true }).filter((f) => String(f).endsWith('source')) : [], [], 'the work directory is cleaned up');
    });
  });
});
