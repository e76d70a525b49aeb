// Live rooms end to end with real WebSocket clients against a listening Souk: the admin API and the
// storefront list, join with history, posting, resume with since, like aggregation, guests, mutes, kicks,
// deletion for everyone, bad frames and floods (only the offending socket hears of it), a slow reader
// during a chat flood (it loses chat, counted, never a host message), and isolation between platforms.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { asBearer, createTestPlatform, eachDatabase, type TestPlatform } from '../../../test/harness.ts';
import { chatTexts, LiveClient, type LiveFrame } from '../../../test/live-client.ts';
import { waitFor } from '../../../test/wait.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';

interface Shop extends TestPlatform {
  slug: string;
  host: string;
}

const messageOf = (f: LiveFrame) => f.message as { id: string; kind: string; text: string; author: string };

eachDatabase('live rooms', (env) => {
  let baseUrl: string;
  let a: Shop;
  let b: Shop;
  const clients: LiveClient[] = [];

  const connect = async (roomId: string, headers: Record<string, string>, query = '') => {
    const client = await LiveClient.connect(baseUrl, roomId, headers, query);
    clients.push(client);
    return client;
  };
  const admin = (shop: Shop, options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const rooms = (shop: Shop) => `/admin/platforms/${shop.slug}/live/rooms`;

  async function makeShop(slug: string, settings: Record<string, unknown> = {}): Promise<Shop> {
    const shop = await createTestPlatform(env, { slug, hosts: [`${slug}.test`], modules: ['live'] });
    if (Object.keys(settings).length > 0) {
      const res = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: `/admin/platforms/${slug}`, payload: { settings: { live: settings } } });
      assert.equal(res.statusCode, 200, res.body);
    }
    return { ...shop, slug, host: `${slug}.test` };
  }

  async function customer(shop: Shop, name: string): Promise<{ id: string; token: string }> {
    const res = await env.app.inject({ method: 'POST', url: '/store/customers', headers: shop.store, payload: { email: `${name}-${Math.random().toString(36).slice(2)}@live.test`, password: 'customer-password', name } });
    assert.equal(res.statusCode, 201, res.body);
    return { id: res.json().customer.id, token: res.json().token };
  }

  async function liveRoom(shop: Shop, title = 'Spring sale'): Promise<string> {
    const created = await admin(shop, { method: 'POST', url: rooms(shop), payload: { title, hosts: ['Mei'] } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    const started = await admin(shop, { method: 'POST', url: `${rooms(shop)}/${id}/start` });
    assert.equal(started.statusCode, 200, started.body);
    return id;
  }

  const hostSays = async (shop: Shop, roomId: string, text: string) => {
    const res = await admin(shop, { method: 'POST', url: `${rooms(shop)}/${roomId}/messages`, payload: { text } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };

  before(async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await makeShop('live-a');
    b = await makeShop('live-b');
  });

  describe('rooms through the admin API and the storefront', () => {
    it('creates, lists, starts and ends rooms; the storefront lists live and upcoming ones', async () => {
      const created = await admin(a, { method: 'POST', url: rooms(a), payload: { title: 'Autumn tea', coverUrl: 'https://img.test/c.jpg', scheduledAt: '2030-01-01T10:00:00Z', hosts: ['Li'] } });
      assert.equal(created.statusCode, 201, created.body);
      const room = created.json();
      assert.equal(room.state, 'scheduled');
      assert.equal(room.scheduledAt, '2030-01-01T10:00:00.000Z');
      const support = await asBearer(env.app, a.supportToken, { method: 'POST', url: rooms(a), payload: { title: 'x' } });
      assert.equal(support.statusCode, 403);
      assert.equal((await admin(a, { method: 'POST', url: `${rooms(a)}/${room.id}/end` })).statusCode, 409);
      const live = await liveRoom(a, 'On now');
      const store = await env.app.inject({ url: '/store/live/rooms', headers: a.store });
      const listed = store.json().items as Array<{ id: string; state: string }>;
      assert.equal(listed[0]!.id, live, 'live rooms come first');
      assert.ok(listed.some((r) => r.id === room.id && r.state === 'scheduled'));
      const ended = await admin(a, { method: 'POST', url: `${rooms(a)}/${live}/end` });
      assert.equal(ended.json().state, 'ended');
      const after = (await env.app.inject({ url: '/store/live/rooms', headers: a.store })).json().items as Array<{ id: string }>;
      assert.ok(!after.some((r) => r.id === live), 'ended rooms leave the storefront list');
      const page = await admin(a, { url: `${rooms(a)}?limit=1` });
      assert.equal(page.json().items.length, 1);
      assert.ok(page.json().nextCursor);
    });
  });

  describe('the socket', () => {
    it('welcomes a joiner with the room and its last messages; a customer posts and everyone sees it', async () => {
      const roomId = await liveRoom(a);
      await hostSays(a, roomId, 'Welcome, everyone');
      const guest = await connect(roomId, { host: a.host });
      const welcome = await guest.welcome();
      assert.equal((welcome.room as { state: string }).state, 'live');
      assert.deepEqual((welcome.messages as Array<{ text: string }>).map((m) => m.text), ['The room is live.', 'Welcome, everyone']);
      // A system message also carries its key (for clients that translate); others carry none.
      assert.deepEqual((welcome.messages as Array<{ key?: string }>).map((m) => m.key), ['room_live', undefined]);
      assert.deepEqual(welcome.you, { customerId: null, name: null, canPost: false });

      const poster = await customer(a, 'Wang');
      const chatter = await connect(roomId, { 'x-publishable-key': a.publishableKey, authorization: `Bearer ${poster.token}` });
      assert.equal(((await chatter.welcome()).you as { canPost: boolean }).canPost, true);
      chatter.send({ type: 'post', text: '  hello room  ', ref: 'r1' });
      const ack = await chatter.next((f) => f.type === 'ack', 'ack');
      assert.equal(ack.ref, 'r1');
      const seen = await guest.next((f) => f.type === 'message' && messageOf(f).text === 'hello room', 'chat at the guest');
      assert.equal(messageOf(seen).id, ack.id);
      assert.equal(messageOf(seen).author, 'Wang');

      guest.send({ type: 'post', text: 'let me talk' });
      assert.equal((await guest.next((f) => f.type === 'error', 'guest error')).code, 'login_required');
      guest.send({ type: 'ping', ref: 'p' });
      assert.equal((await guest.next((f) => f.type === 'pong', 'pong')).ref, 'p');
      // A guest becomes a customer with an auth frame (what a browser does).
      guest.send({ type: 'auth', token: poster.token });
      await guest.next((f) => f.type === 'auth', 'auth answer');
      guest.send({ type: 'post', text: 'now I can' });
      await guest.next((f) => f.type === 'ack', 'ack after auth');
    });

    it('resumes after `since` with exactly the messages that came after it', async () => {
      const roomId = await liveRoom(a);
      const first = await connect(roomId, { host: a.host });
      await first.welcome();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await hostSays(a, roomId, `step ${i}`));
      await first.next((f) => f.type === 'message' && messageOf(f).text === 'step 4', 'step 4');
      first.close();
      const again = await connect(roomId, { host: a.host }, `?since=${ids[1]}`);
      const welcome = await again.welcome();
      assert.equal(welcome.resumed, true);
      assert.deepEqual((welcome.messages as Array<{ text: string }>).map((m) => m.text), ['step 2', 'step 3', 'step 4']);
      const unknown = await connect(roomId, { host: a.host }, '?since=00000000-0000-7000-8000-000000000000');
      assert.equal((await unknown.welcome()).resumed, false, 'an unknown position gets the latest messages and says so');
    });

    it('aggregates 1,000 taps into a handful of counts frames with the right total', async () => {
      const roomId = await liveRoom(a);
      const watcher = await connect(roomId, { host: a.host });
      await watcher.welcome();
      const tappers = await Promise.all(Array.from({ length: 10 }, () => connect(roomId, { host: a.host })));
      await Promise.all(tappers.map((t) => t.welcome()));
      for (const tapper of tappers) for (let i = 0; i < 100; i += 1) tapper.send({ type: 'like' });
      await watcher.next((f) => f.type === 'counts' && f.likes === 1000, 'likes total 1000', 15_000);
      const counts = watcher.ofType('counts');
      assert.ok(counts.length <= 6, `${counts.length} counts frames for 1,000 taps`);
      await waitFor('likes stored', async () => (await admin(a, { url: `${rooms(a)}/${roomId}` })).json().likes === 1000);
    });

    it('refuses a muted customer, removes a deleted message for everyone and keeps a kicked customer out', async () => {
      const roomId = await liveRoom(a);
      const talker = await customer(a, 'Zhao');
      const socket = await connect(roomId, { host: a.host, authorization: `Bearer ${talker.token}` });
      const other = await connect(roomId, { host: a.host });
      await Promise.all([socket.welcome(), other.welcome()]);
      socket.send({ type: 'post', text: 'buy cheap watches at spam.test' });
      const ack = await socket.next((f) => f.type === 'ack', 'ack');
      await other.next((f) => f.type === 'message' && messageOf(f).id === ack.id, 'spam seen');

      const deleted = await admin(a, { method: 'DELETE', url: `${rooms(a)}/${roomId}/messages/${ack.id as string}` });
      assert.equal(deleted.statusCode, 200, deleted.body);
      await other.next((f) => f.type === 'deleted' && f.messageId === ack.id, 'deleted frame');
      await socket.next((f) => f.type === 'deleted' && f.messageId === ack.id, 'deleted frame at the author');
      const late = await connect(roomId, { host: a.host });
      assert.ok(!((await late.welcome()).messages as Array<{ id: string }>).some((m) => m.id === ack.id), 'a joiner never sees it');
      assert.equal((await admin(a, { method: 'DELETE', url: `${rooms(a)}/${roomId}/messages/${ack.id as string}` })).statusCode, 404);

      const muted = await admin(a, { method: 'POST', url: `${rooms(a)}/${roomId}/mutes`, payload: { customerId: talker.id, minutes: 5, reason: 'spam' } });
      assert.equal(muted.statusCode, 201, muted.body);
      await socket.next((f) => f.type === 'moderation' && f.action === 'mute', 'mute notice');
      socket.send({ type: 'post', text: 'still here', ref: 'm' });
      assert.equal((await socket.next((f) => f.type === 'error' && f.ref === 'm', 'muted error')).code, 'muted');
      assert.equal((await admin(a, { method: 'DELETE', url: `${rooms(a)}/${roomId}/mutes/${talker.id}` })).statusCode, 200);
      socket.send({ type: 'post', text: 'sorry', ref: 'u' });
      await socket.next((f) => f.type === 'ack' && f.ref === 'u', 'ack after unmute');

      const kicked = await admin(a, { method: 'POST', url: `${rooms(a)}/${roomId}/kicks`, payload: { customerId: talker.id } });
      assert.equal(kicked.statusCode, 201, kicked.body);
      assert.equal((await socket.closedBy()).code, 4403);
      const back = await connect(roomId, { host: a.host, authorization: `Bearer ${talker.token}` });
      assert.equal((await back.closedBy()).code, 4403, 'a kicked customer cannot come back as that customer');
      assert.equal(other.closed, undefined, 'the other viewer stays');

      const log = (await admin(a, { url: `${rooms(a)}/${roomId}/moderation` })).json().items as Array<{ action: string }>;
      assert.deepEqual(log.map((e) => e.action), ['kick', 'unmute', 'mute', 'delete_message']);
    });

    it('answers bad frames with an error on that socket only, and closes a flooding or oversized one', async () => {
      const roomId = await liveRoom(a);
      const bystander = await connect(roomId, { host: a.host });
      const bad = await connect(roomId, { host: a.host });
      await Promise.all([bystander.welcome(), bad.welcome()]);
      bad.send('not json');
      bad.send(Buffer.from([1, 2, 3]));
      bad.send({ type: 'teleport' });
      bad.send({ type: 'post' });
      bad.send([1, 2]);
      bad.send({ type: 'like', count: 10_000 });
      await waitFor('six errors', () => bad.ofType('error').length >= 6);
      assert.deepEqual(bad.ofType('error').map((f) => f.code), ['bad_json', 'bad_frame', 'unknown_type', 'bad_frame', 'bad_frame', 'bad_frame']);

      const flooder = await connect(roomId, { host: a.host });
      await flooder.welcome();
      for (let i = 0; i < 1000; i += 1) flooder.send({ type: 'ping' });
      assert.equal((await flooder.closedBy()).code, 1008);
      const oversized = await connect(roomId, { host: a.host });
      await oversized.welcome();
      oversized.send({ type: 'post', text: 'x'.repeat(20_000) });
      assert.equal((await oversized.closedBy()).code, 1009);

      await hostSays(a, roomId, 'all fine here');
      await bystander.next((f) => f.type === 'message' && messageOf(f).text === 'all fine here', 'bystander still served');
      assert.equal(bystander.ofType('error').length, 0);
      assert.equal(bystander.closed, undefined);
      assert.equal(bad.closed, undefined, 'bad frames alone do not close the socket');
    });

    it('keeps platforms apart: another platform\'s host, key, token or admin cannot reach a room', async () => {
      const roomId = await liveRoom(a);
      for (const headers of [{ host: b.host }, { 'x-publishable-key': b.publishableKey }] as Record<string, string>[]) {
        const stranger = await connect(roomId, headers);
        assert.equal((await stranger.closedBy()).code, 4404);
        assert.equal(stranger.ofType('error')[0]!.code, 'room_not_found');
      }
      const bCustomer = await customer(b, 'Other');
      const withForeignToken = await connect(roomId, { host: a.host, authorization: `Bearer ${bCustomer.token}` });
      assert.equal((await withForeignToken.closedBy()).code, 4401, "B's session token is not valid on A");
      assert.equal((await env.app.inject({ url: `/store/live/rooms/${roomId}`, headers: b.store })).statusCode, 404);
      for (const path of ['', '/start', '/end', '/messages', '/moderation']) {
        const method = path === '' || path === '/moderation' ? 'GET' : 'POST';
        const viaB = await admin(b, { method, url: `${rooms(b)}/${roomId}${path}`, ...(path === '/messages' ? { payload: { text: 'hijack' } } : {}) });
        assert.equal(viaB.statusCode, 404, `${method} ${path} through B's admin`);
        const aAsB = await admin(b, { method, url: `${rooms(a)}/${roomId}${path}`, ...(path === '/messages' ? { payload: { text: 'hijack' } } : {}) });
        assert.equal(aAsB.statusCode, 404, `${method} ${path} of A by B's admin`);
      }
    });
  });

  describe('souk live watch', () => {
    it('prints the room as a viewer sees it and posts the lines typed on stdin', async () => {
      const roomId = await liveRoom(a, 'CLI room');
      const viewer = await customer(a, 'Terminal');
      const cli = spawn(process.execPath, ['bin/souk.js', 'live', 'watch', roomId, '--url', baseUrl, '--host', a.host, '--token', viewer.token], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      cli.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      try {
        await waitFor('the welcome line', () => out.includes('== CLI room (live)'), 60_000);
        await hostSays(a, roomId, 'hello terminal');
        await waitFor('the host line', () => /\[host\] .*: hello terminal/.test(out));
        const watcher = await connect(roomId, { host: a.host });
        await watcher.welcome();
        cli.stdin.write('typed in a terminal\n');
        await watcher.next((f) => f.type === 'message' && messageOf(f).text === 'typed in a terminal', 'chat from the CLI');
        await waitFor('its own message', () => out.includes('Terminal: typed in a terminal'));
      } finally {
        cli.kill();
      }
    });
  });

  describe('a slow reader during a chat flood', () => {
    it('still gets every host message in order, loses chat (counted, and told), and the room goes on', async () => {
      const shop = await makeShop('live-flood', { deliveryCapPerSecond: 1000, maxMessageLength: 2000, postsPerWindow: 10_000, postWindowSeconds: 60 });
      const roomId = await liveRoom(shop);
      const slow = await connect(roomId, { host: shop.host });
      const fast = await connect(roomId, { host: shop.host });
      await Promise.all([slow.welcome(), fast.welcome()]);
      slow.socket.pause(); // reads nothing: the server's writes pile up behind it
      const posters = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const who = await customer(shop, `Poster${i}`);
          const client = await connect(roomId, { host: shop.host, authorization: `Bearer ${who.token}` });
          await client.welcome();
          return client;
        }),
      );
      const dropped = async () => {
        const text = await (await env.app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-metrics-token' } })).body;
        return Number(/souk_live_frames_total\{outcome="dropped"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const hostTexts: string[] = [];
      const body = 'z'.repeat(1900);
      let round = 0;
      while (round < 80 && (round < 5 || (await dropped()) === 0)) {
        for (const poster of posters) for (let i = 0; i < 40; i += 1) poster.send({ type: 'post', text: `${round}-${i} ${body}` });
        hostTexts.push(`host ${round}`);
        await hostSays(shop, roomId, `host ${round}`);
        await new Promise((resolve) => setTimeout(resolve, 450));
        round += 1;
      }
      assert.ok((await dropped()) > 0, 'the flood left the slow reader behind');
      // The fast viewer got every host message promptly.
      await fast.next((f) => f.type === 'message' && messageOf(f).text === hostTexts.at(-1), 'last host message at the fast viewer', 20_000);
      slow.socket.resume();
      await slow.next((f) => f.type === 'message' && messageOf(f).text === hostTexts.at(-1), 'last host message at the slow reader', 60_000);
      const hostsSeen = slow.ofType('message').filter((f) => messageOf(f).kind === 'host').map((f) => messageOf(f).text);
      assert.deepEqual(hostsSeen, hostTexts, 'every host message, in order');
      assert.ok(slow.ofType('missed').length > 0, 'the slow reader was told it missed chat');
      assert.ok(chatTexts(slow).length < chatTexts(fast).length, 'the slow reader lost chat, the fast one did not');
      assert.equal(slow.closed, undefined);
    });
  });

  it('closes every socket', () => {
    for (const client of clients) client.close();
  });
}, { live: { ...loadModuleSettings(process.env).live, sendQueue: 64, highWaterBytes: 64 * 1024 } });
