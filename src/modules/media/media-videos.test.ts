// Product videos with the real ffmpeg: a generated clip uploaded as multipart is transcoded by the job
// (ffprobe checks the MP4's codec, duration and size; the HLS master lists its renditions; a poster
// exists), attached to the product and shown in the storefront's product, and served with range requests
// and caching headers. A corrupt file fails its job with ffmpeg's reason and leaves the product as it
// was; an oversized or wrong-type upload, or one that is not multipart, is refused before anything is
// stored; a retried upload with the same Idempotency-Key queues nothing; another platform sees nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBearer, createTestPlatform, eachDatabase, TEST_METRICS_TOKEN, type TestPlatform } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';

const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!haveFfmpeg && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('ffmpeg is needed (apt-get install ffmpeg); .ci/run installs it.');

const dir = mkdtempSync(join(tmpdir(), 'souk-videos-'));
const MAX_BYTES = 1024 * 1024;
const media = { ...loadModuleSettings({}).media, videoDir: join(dir, 'videos'), videoMaxBytes: MAX_BYTES };

/** A two-second 854x480 clip with a tone, made by ffmpeg. */
function makeClip(): Buffer {
  const file = join(dir, 'clip.mp4');
  const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=854x480:rate=25', '-f', 'lavfi', '-i', 'sine',
    '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
  assert.equal(made.status, 0, made.stderr?.toString());
  return readFileSync(file);
}

function form(file: Buffer, type: string, name = 'clip.mp4'): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----souk${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, file, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

interface Shop extends TestPlatform {
  slug: string;
}

if (haveFfmpeg) {
  after(() => rmSync(dir, { recursive: true, force: true }));
  eachDatabase('media: product videos', (env) => {
    let a: Shop;
    let b: Shop;
    let productId: string;
    let clip: Buffer;
    const admin = (shop: Shop, options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
    const upload = (shop: Shop, product: string, body: ReturnType<typeof form>, extra: Record<string, string> = {}) =>
      admin(shop, { method: 'POST', url: `/admin/platforms/${shop.slug}/products/${product}/videos`, headers: { ...body.headers, ...extra }, payload: body.payload });
    const job = async (shop: Shop, videoId: string) => (await admin(shop, { method: 'GET', url: `/admin/platforms/${shop.slug}/media/videos/${videoId}` })).json();
    const finished = (shop: Shop, videoId: string) =>
      waitFor(`video ${videoId} to finish`, async () => {
        const state = await job(shop, videoId);
        return state.state === 'ready' || state.state === 'failed' ? state : undefined;
      }, 60_000, 100);
    const storeProduct = async (shop: Shop, id: string) => (await env.app.inject({ method: 'GET', url: `/store/products/${id}`, headers: shop.store })).json();
    const rows = async () => (await env.souk.database.query<{ n: number }>('select count(*)::int as n from media_videos'))[0]!.n;
    const workFiles = () => (existsSync(`${media.videoDir}.work`) ? readdirSync(`${media.videoDir}.work`, { recursive: true }).filter((f) => String(f).endsWith('source')) : []);

    before(async () => {
      clip = makeClip();
      assert.ok(clip.length < MAX_BYTES, 'the clip fits the test limit');
      const make = async (slug: string) => ({ ...(await createTestPlatform(env, { slug, modules: ['catalog', 'live', 'media'] })), slug });
      a = await make(`videos-a-${env.engine}`);
      b = await make(`videos-b-${env.engine}`);
      const product = await admin(a, {
        method: 'POST',
        url: `/admin/platforms/${a.slug}/products`,
        payload: { handle: 'tea-pot', title: 'Tea pot', status: 'published', options: [{ name: 'size', values: ['M'] }], variants: [{ sku: 'POT-M', options: { size: 'M' }, prices: [{ currency: 'USD', amount: 2500 }] }] },
      });
      assert.equal(product.statusCode, 201, product.body);
      productId = product.json().id;
    });

    describe('upload and transcode', () => {
      it('transcodes a clip into an H.264 MP4, HLS and a poster, attached to the product and served with ranges', async () => {
        const res = await upload(a, productId, form(clip, 'video/mp4'), { 'idempotency-key': 'first' });
        assert.equal(res.statusCode, 202, res.body);
        const queued = res.json();
        assert.equal(queued.productId, productId);
        assert.ok(['queued', 'processing', 'ready'].includes(queued.state));
        const retried = await upload(a, productId, form(clip, 'video/mp4'), { 'idempotency-key': 'first' });
        assert.equal(retried.statusCode, 200, 'a retried upload answers the first');
        assert.equal(retried.json().id, queued.id);

        const done = await finished(a, queued.id);
        assert.equal(done.state, 'ready', done.error);
        assert.equal(done.progress, 100);
        assert.deepEqual([done.width, done.height], [854, 480]);
        assert.ok(Math.abs(done.durationMs - 2000) < 200, `duration ${done.durationMs}`);

        const product = await storeProduct(a, productId);
        assert.equal(product.video.id, queued.id);
        const path = (url: string) => new URL(url).pathname;
        const mp4 = join(media.videoDir, a.platform.id, queued.id, 'video.mp4');
        const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width,height:format=duration', '-of', 'json', mp4], { encoding: 'utf8' });
        const info = JSON.parse(probe.stdout) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>; format: { duration: string } };
        const video = info.streams.find((s) => s.codec_type === 'video')!;
        assert.deepEqual([video.codec_name, video.width, video.height], ['h264', 854, 480]);
        assert.equal(info.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
        assert.ok(Math.abs(Number(info.format.duration) - 2) < 0.2);

        const master = await env.app.inject({ method: 'GET', url: path(product.video.hlsUrl) });
        assert.equal(master.statusCode, 200);
        assert.match(master.body, /RESOLUTION=640x360\n360p\.m3u8/);
        assert.match(master.body, /RESOLUTION=854x480\n480p\.m3u8/);
        const small = await env.app.inject({ method: 'GET', url: path(product.video.hlsUrl).replace('master.m3u8', '360p.m3u8') });
        assert.match(small.body, /360p_000\.ts/);
        const poster = await env.app.inject({ method: 'GET', url: path(product.video.posterUrl) });
        assert.equal(poster.statusCode, 200);
        assert.deepEqual([...poster.rawPayload.subarray(0, 2)], [0xff, 0xd8]);

        const range = await env.app.inject({ method: 'GET', url: path(product.video.mp4Url), headers: { range: 'bytes=0-99' } });
        assert.equal(range.statusCode, 206);
        assert.equal(range.rawPayload.length, 100);
        assert.match(String(range.headers['content-range']), /^bytes 0-99\/\d+$/);
        assert.match(String(range.headers['cache-control']), /max-age=31536000.*immutable/);
        assert.equal(range.headers['content-type'], 'video/mp4');
        // The whole file: ranges offered, an ETag a player or CDN revalidates with (304, no body).
        const whole = await env.app.inject({ method: 'HEAD', url: path(product.video.mp4Url) });
        assert.equal(whole.statusCode, 200);
        assert.equal(whole.headers['accept-ranges'], 'bytes');
        assert.equal(Number(whole.headers['content-length']), statSync(mp4).size);
        assert.ok(whole.headers.etag && whole.headers['last-modified'], 'ETag and Last-Modified');
        const revalidated = await env.app.inject({ method: 'GET', url: path(product.video.mp4Url), headers: { 'if-none-match': String(whole.headers.etag) } });
        assert.equal(revalidated.statusCode, 304);
        assert.equal(revalidated.rawPayload.length, 0);
        const tail = await env.app.inject({ method: 'GET', url: path(product.video.mp4Url), headers: { range: 'bytes=-100' } });
        assert.equal(tail.statusCode, 206);
        assert.deepEqual(tail.rawPayload, readFileSync(mp4).subarray(-100), 'a suffix range is the file\'s last bytes');
        const beyond = await env.app.inject({ method: 'GET', url: path(product.video.mp4Url), headers: { range: `bytes=${statSync(mp4).size + 10}-` } });
        assert.equal(beyond.statusCode, 416, 'a range past the end is refused');
        // Playlists and segments carry their media types and the same caching (a video's files never change).
        assert.match(String(master.headers['content-type']), /mpegurl/i);
        assert.match(String(master.headers['cache-control']), /immutable/);
        const segment = await env.app.inject({ method: 'GET', url: path(product.video.hlsUrl).replace('master.m3u8', '360p_000.ts'), headers: { range: 'bytes=0-187' } });
        assert.equal(segment.statusCode, 206);
        assert.equal(segment.rawPayload[0], 0x47, 'an MPEG-TS packet');
        assert.equal(poster.headers['content-type'], 'image/jpeg');
        // Nothing outside a video's directory is served.
        const outside = await env.app.inject({ method: 'GET', url: `/media/videos/${a.platform.id}/${queued.id}/..%2f..%2f..%2fvideos.work%2fnothing` });
        assert.ok([403, 404].includes(outside.statusCode), `a path out of the video directory: ${outside.statusCode}`);
        assert.equal(workFiles().length, 0, 'the work directory is cleaned up');
      });

      it('fails a corrupt file\'s job with ffmpeg\'s reason and leaves the product as it was', async () => {
        const before = (await storeProduct(a, productId)).video;
        const res = await upload(a, productId, form(Buffer.from('this is not a video at all '.repeat(200)), 'video/mp4', 'broken.mp4'));
        assert.equal(res.statusCode, 202, res.body);
        const done = await finished(a, res.json().id);
        assert.equal(done.state, 'failed');
        assert.match(done.error, /ffprobe|ffmpeg/);
        assert.deepEqual((await storeProduct(a, productId)).video, before, 'the product keeps its video');
        const list = await admin(a, { method: 'GET', url: `/admin/platforms/${a.slug}/products/${productId}/videos` });
        assert.deepEqual(list.json().items.map((v: { state: string }) => v.state), ['failed', 'ready']);
      });

      it('counts transcode jobs by outcome and their durations in /metrics', async () => {
        const res = await env.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
        assert.equal(res.statusCode, 200);
        const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(res.body)?.[1]);
        assert.equal(value('souk_media_transcode_jobs_total{kind="product_video",outcome="done"}'), 1, 'the clip (its retry queued nothing)');
        assert.equal(value('souk_media_transcode_jobs_total{kind="product_video",outcome="failed"}'), 1, 'the corrupt file');
        assert.equal(value('souk_media_transcode_seconds_count{kind="product_video"}'), 2);
        assert.ok(value('souk_media_transcode_seconds_sum{kind="product_video"}') > 0);
      });

      it('refuses oversized, wrong-type and non-multipart uploads before storing anything', async () => {
        const count = await rows();
        const big = await upload(a, productId, form(Buffer.alloc(MAX_BYTES + 128 * 1024), 'video/mp4'));
        assert.equal(big.statusCode, 413, big.body);
        assert.equal(big.json().code, 'media_video_too_large');
        const text = await upload(a, productId, form(Buffer.from('hello'), 'text/plain', 'notes.txt'));
        assert.equal(text.statusCode, 415);
        assert.equal(text.json().code, 'media_video_type');
        const json = await admin(a, { method: 'POST', url: `/admin/platforms/${a.slug}/products/${productId}/videos`, payload: { file: 'x' } });
        assert.equal(json.statusCode, 415);
        assert.equal(json.json().code, 'media_upload_not_multipart');
        const missing = await upload(a, '00000000-0000-7000-8000-000000000001', form(clip, 'video/mp4'));
        assert.equal(missing.json().code, 'media_product_not_found');
        assert.equal(await rows(), count, 'no row');
        assert.equal(workFiles().length, 0, 'no file');
      });

      it('keeps platforms apart', async () => {
        const [latest] = (await admin(a, { method: 'GET', url: `/admin/platforms/${a.slug}/products/${productId}/videos` })).json().items;
        assert.equal((await admin(b, { method: 'GET', url: `/admin/platforms/${a.slug}/media/videos/${latest.id}` })).statusCode, 404);
        assert.equal((await admin(b, { method: 'GET', url: `/admin/platforms/${b.slug}/media/videos/${latest.id}` })).json().code, 'media_video_not_found');
        assert.equal((await admin(b, { method: 'GET', url: `/admin/platforms/${b.slug}/products/${productId}/videos` })).json().items.length, 0);
        const count = await rows();
        const res = await upload(b, productId, form(clip, 'video/mp4'));
        assert.equal(res.json().code, 'media_product_not_found', 'B cannot upload to A\'s product');
        assert.equal(await rows(), count);
        assert.equal((await asBearer(env.app, a.supportToken, { method: 'POST', url: `/admin/platforms/${a.slug}/products/${productId}/videos`, ...form(clip, 'video/mp4') })).statusCode, 403);
      });
    });
  }, { media });
}
