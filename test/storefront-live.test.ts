// The storefront's live room page in chromium (storefront-browser.ts), on souk-cn:
// - the video: a scheduled room shows its schedule; when the media server authorises the host's publish
//   (the callback nginx-rtmp sends, driven here as media-keys.test.ts does) the room goes live and the
//   page plays its HLS playlist, served by a small HTTP server from segments ffmpeg made (no RTMP
//   server needed: the real nginx-rtmp path is media-nginx.test.ts);
// - system messages in the shopper's language, from their key and params, English after a switch;
// - coins: a top-up paid in the sandbox, then a gift the other viewer sees, the balance going down;
// - the socket dropped by the server: the page reconnects by itself and misses nothing said meanwhile;
// - two shoppers: chat, likes and the pinned product in both, a purchase from the card noticed by the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import type { Page } from 'playwright-core';
import { loadModuleSettings } from '../src/kernel/module-settings.ts';
import { waitFor } from './wait.ts';
import { DESKTOP, NO_BROWSER, PHONE, startBrowserShop, type BrowserShop } from './storefront-browser.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '..', 'docs');
const SECRET = 'storefront-media-secret-0123';
const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

/** Four seconds of test pattern as a finished HLS playlist of one-second segments (ffmpeg, H.264). */
function makeHls(dir: string): void {
  // prettier-ignore
  const made = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25',
    '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(dir, 'seg%d.ts'), join(dir, 'stream.m3u8'),
  ], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
}

/**
 * The media server's HTTP side as nginx-rtmp's config serves it (CORS open): every /hls/<stream>.m3u8
 * is the one playlist made above; what was asked for is kept.
 */
function hlsServer(dir: string | undefined, asked: string[]): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    asked.push(path);
    const file = dir && (path.endsWith('.m3u8') ? 'stream.m3u8' : /^\/hls\/(seg\d+\.ts)$/.exec(path)?.[1]);
    if (!file) {
      response.writeHead(404, { 'access-control-allow-origin': '*' }).end();
      return;
    }
    const type = file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
    response.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*', 'cache-control': 'no-cache' }).end(readFileSync(join(dir, file)));
  });
}

describe('storefront live room in chromium', { skip: NO_BROWSER }, () => {
  let shop: BrowserShop;
  let media: Server;
  let hlsDir: string | undefined;
  const asked: string[] = [];
  let adminToken: string;

  before(async () => {
    if (HAVE_FFMPEG) {
      hlsDir = mkdtempSync(join(tmpdir(), 'souk-hls-'));
      makeHls(hlsDir);
    }
    media = hlsServer(hlsDir, asked);
    await new Promise<void>((done) => media.listen(0, '127.0.0.1', done));
    const playbackBaseUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    shop = await startBrowserShop({ media: { ...loadModuleSettings({}).media, callbackSecret: SECRET, endGraceSeconds: 0, playbackBaseUrl } });
    adminToken = await shop.adminToken();
  });

  after(async () => {
    await shop?.close();
    await new Promise((done) => media?.close(done));
    if (hlsDir) rmSync(hlsDir, { recursive: true, force: true });
  });

  const roomPage = (roomId: string) => `http://cn.localhost:${shop.port}/live/${roomId}`;

  async function newRoom(input: Record<string, unknown> = {}): Promise<string> {
    const created = await shop.admin(adminToken, 'POST', '/live/rooms', { title: '夏日穿搭直播', hosts: ['主播小美'], ...input });
    assert.equal(created.statusCode, 201, created.body);
    return created.json().id as string;
  }

  async function liveRoom(input: Record<string, unknown> = {}): Promise<string> {
    const roomId = await newRoom(input);
    const started = await shop.admin(adminToken, 'POST', `/live/rooms/${roomId}/start`);
    assert.equal(started.statusCode, 200, started.body);
    return roomId;
  }

  async function openRoom(page: Page, roomId: string, title = '夏日穿搭直播'): Promise<void> {
    await page.goto(roomPage(roomId));
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  const hostSays = async (roomId: string, text: string) => {
    const res = await shop.admin(adminToken, 'POST', `/live/rooms/${roomId}/messages`, { text });
    assert.equal(res.statusCode, 201, res.body);
  };

  it('shows the schedule, then plays the room\'s HLS stream once the media server authorises the host', async () => {
    const roomId = await newRoom({ title: '新品试穿直播', scheduledAt: new Date(Date.now() + 10 * 60_000).toISOString() });
    const page = await shop.newPage(PHONE);
    await openRoom(page, roomId, '新品试穿直播');
    await page.locator('.stage-text').filter({ hasText: /开播$/ }).waitFor();
    assert.equal(await page.getByTestId('live-video').count(), 0, 'no video before the stream');

    // The host's encoder connects: nginx-rtmp asks Souk, which makes the room live with its playlist.
    const key = await shop.admin(adminToken, 'POST', `/live/rooms/${roomId}/stream-key`);
    assert.equal(key.statusCode, 201, key.body);
    const [name, query = ''] = (key.json().key as string).split('?');
    const published = await shop.started.souk.app.inject({
      method: 'POST',
      url: `/media/rtmp/publish?secret=${SECRET}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ app: 'live', call: 'publish', addr: '203.0.113.9', clientid: '1', name: name!, ...Object.fromEntries(new URLSearchParams(query)) }).toString(),
    });
    assert.equal(published.statusCode, 200, published.body);
    const playbackUrl = (await shop.cn('GET', `/store/live/rooms/${roomId}`)).json().playbackUrl as string;
    assert.match(playbackUrl, /\/hls\/[0-9a-f-]+_[0-9a-f-]+\.m3u8$/);

    // The state frame makes the page read the room again and start the player on its URL.
    const video = page.getByTestId('live-video');
    await video.waitFor();
    assert.equal(await video.getAttribute('data-playback-url'), playbackUrl);
    const playlist = new URL(playbackUrl).pathname;
    await waitFor('the page to ask the media server for the playlist', () => asked.includes(playlist));
    const source = await video.evaluate((v: HTMLVideoElement) => v.currentSrc);
    assert.ok(source === playbackUrl || source.startsWith('blob:'), `the video plays the playlist natively or through hls.js (src ${source})`);
    // Debian's chromium decodes H.264: the stream really plays (when ffmpeg could make one).
    const h264 = await page.evaluate(() => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'));
    if (hlsDir && h264) {
      await page.waitForFunction(() => ((document.querySelector('[data-testid="live-video"]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5, undefined, { timeout: 20_000 });
      assert.ok(asked.some((p) => p.endsWith('.ts')), 'segments were fetched');
    } else {
      console.log(`storefront live: playback not checked (ffmpeg ${HAVE_FFMPEG}, H.264 in MSE ${h264})`);
    }
    if (process.env.SOUK_STOREFRONT_SCREENSHOTS === '1') await page.screenshot({ path: join(SCREENSHOTS, 'storefront-live-video.png') });
    await page.context().close();
  });

  it('shows system messages in the shopper\'s language from their key, and in English after a switch', async () => {
    const roomId = await liveRoom();
    const page = await shop.newPage(DESKTOP);
    await openRoom(page, roomId);
    const log = page.getByTestId('chat-log');
    await log.getByText('直播开始了。').waitFor();
    const slow = await shop.admin(adminToken, 'PUT', `/live/rooms/${roomId}/slow-mode`, { seconds: 30 });
    assert.equal(slow.statusCode, 200, slow.body);
    await log.getByText('慢速模式已开启：每 30 秒可发一条消息。').waitFor();
    assert.equal(await log.getByText('The room is live.').count(), 0, 'not the server\'s English on the zh platform');

    await page.getByLabel('语言').selectOption('en');
    await log.getByText('The room is live.').waitFor();
    await log.getByText('Slow mode is on: one message every 30 s.').waitFor();
    await page.context().close();
  });

  it('tops up coins in the sandbox and sends a gift the other viewer sees', async () => {
    const gift = await shop.admin(adminToken, 'POST', '/live/gifts', { name: '小心心', priceCoins: 100 });
    assert.equal(gift.statusCode, 201, gift.body);
    const roomId = await liveRoom();
    const sender = await shop.newCustomer();
    const watcher = await shop.newCustomer();
    const a = await shop.signedInPage(sender.token);
    const b = await shop.signedInPage(watcher.token, DESKTOP);
    for (const page of [a, b]) await openRoom(page, roomId);

    await a.getByTestId('coin-balance').filter({ hasText: '金币：0' }).waitFor();
    const send = a.getByRole('button', { name: '送出小心心（100 金币）' });
    assert.equal(await send.isDisabled(), true, 'no gift without coins');
    await a.getByRole('link', { name: '充值' }).click();
    await a.getByRole('heading', { level: 1, name: '金币' }).waitFor();
    await a.getByTestId('coins-balance').filter({ hasText: '余额：0 金币' }).waitFor();
    await a.getByRole('button', { name: '300 金币' }).click();
    await a.waitForURL(/\/pay\/sandbox\//);
    await a.getByRole('button', { name: 'Approve' }).click();
    await a.waitForURL(/\/coins\?/);
    await a.getByText('已到账 300 金币。').waitFor();
    await a.getByTestId('coins-balance').filter({ hasText: '余额：300 金币' }).waitFor();

    await a.getByRole('link', { name: '返回直播间' }).click();
    await a.getByTestId('coin-balance').filter({ hasText: '金币：300' }).waitFor();
    await send.click();
    await b.getByTestId('notice-gift').filter({ hasText: '送出 小心心 × 1' }).waitFor();
    await a.getByTestId('coin-balance').filter({ hasText: '金币：200' }).waitFor();
    assert.equal((await shop.cn('GET', '/store/live/coins', undefined, sender.token)).json().balance, 200);
    await a.context().close();
    await b.context().close();
  });

  it('reconnects by itself when the server drops the socket, and misses nothing said meanwhile', async (t) => {
    const roomId = await liveRoom();
    const viewer = await shop.newCustomer();
    const page = await shop.signedInPage(viewer.token);
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    // The server's side of each of the room's sockets, as its HTTP server hands them over for the upgrade.
    const connections: Socket[] = [];
    const upgrade = (request: IncomingMessage, socket: Socket) => {
      if (request.url?.includes(roomId)) connections.push(socket);
    };
    shop.started.souk.app.server.on('upgrade', upgrade);
    t.after(() => shop.started.souk.app.server.off('upgrade', upgrade));
    await openRoom(page, roomId);
    const log = page.getByTestId('chat-log');
    await hostSays(roomId, '欢迎来到直播间');
    await log.getByText('欢迎来到直播间').waitFor();
    assert.equal(sockets.length, 1);

    // The connection is cut without a close frame, as a crashed proxy or a lost network does.
    assert.equal(connections.length, 1);
    connections[0]!.destroy();
    await hostSays(roomId, '断线期间的消息');
    await waitFor('the page to open a new socket', () => sockets.length === 2);
    assert.match(sockets[1]!, /\?since=[0-9a-f-]{36}$/, 'it resumes after the last message it saw');
    await log.getByText('断线期间的消息').waitFor();
    assert.equal(await log.getByText('断线期间的消息').count(), 1, 'shown once');

    // The new socket carries the room both ways.
    await page.getByLabel('说点什么').fill('我回来了');
    await page.getByRole('button', { name: '发送' }).click();
    await log.getByText('我回来了').waitFor();
    await hostSays(roomId, '欢迎回来');
    await log.getByText('欢迎回来').waitFor();
    assert.equal(await log.getByText('欢迎来到直播间').count(), 1, 'nothing shown twice');
    await page.context().close();
  });

  it('two shoppers in one live room see chat, likes and the pinned product, and a purchase notice from the card', async () => {
    const roomId = await liveRoom();
    const viewer = await shop.newCustomer();
    const buyer = await shop.newCustomer();
    const a = await shop.signedInPage(viewer.token);
    const b = await shop.signedInPage(buyer.token, DESKTOP);
    for (const page of [a, b]) {
      await openRoom(page, roomId);
      await page.getByText('直播中').first().waitFor();
    }

    await a.getByLabel('说点什么').fill('这件裙子有 M 码吗？');
    await a.getByRole('button', { name: '发送' }).click();
    await b.getByTestId('chat-log').getByText('这件裙子有 M 码吗？').waitFor();

    for (let i = 0; i < 3; i += 1) await b.getByRole('button', { name: '点赞' }).click();
    await a.getByTestId('like-count').filter({ hasText: /^3 赞$/ }).waitFor();

    const dress = (await shop.cn('GET', '/store/products/floral-summer-dress')).json() as { id: string; title: string };
    const pinned = await shop.admin(adminToken, 'PUT', `/live/rooms/${roomId}/card`, { productId: dress.id });
    assert.equal(pinned.statusCode, 200, pinned.body);
    for (const page of [a, b]) await page.getByRole('region', { name: '正在讲解' }).getByText(dress.title).waitFor();
    if (process.env.SOUK_STOREFRONT_SCREENSHOTS === '1') await a.screenshot({ path: join(SCREENSHOTS, 'storefront-live.png') });

    await b.getByRole('region', { name: '正在讲解' }).getByRole('button', { name: '购买' }).click();
    await b.getByRole('heading', { level: 1, name: '购物车' }).waitFor();
    await b.getByRole('radio', { name: /标准快递/ }).click();
    await b.locator('input[name="shipping-method"]:checked').waitFor({ state: 'attached' });
    await b.getByRole('link', { name: '去结算' }).click();
    await shop.payAtCheckout(b);
    await a.getByTestId('notice-purchase').filter({ hasText: '刚刚购买了' }).waitFor();
    await a.context().close();
    await b.context().close();
  });
});
