// Roles and moderation of live rooms with real WebSocket clients: the host role (its rooms only, no other
// admin route), co-host invitation and hand-over, customer moderators acting from the socket, bans (room,
// platform, expiry), slow mode, the keyword filter in Chinese and English, the moderation log, and the
// isolation of rooms and platforms (a moderator of X cannot moderate Y; a host of A cannot reach B).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { asBearer, createTestPlatform, eachDatabase, login, type TestPlatform } from '../../../test/harness.ts';
import { LiveClient, type LiveFrame } from '../../../test/live-client.ts';
import { createAdminUser } from '../accounts/admin-service.ts';

interface Shop extends TestPlatform {
  slug: string;
  host: string;
}

const messageOf = (f: LiveFrame) => f.message as { id: string; kind: string; text: string; author: string; key?: string; params?: Record<string, unknown> };

eachDatabase('live roles and moderation', (env) => {
  let baseUrl: string;
  let a: Shop;
  let b: Shop;
  const clients: LiveClient[] = [];

  const connect = async (roomId: string, headers: Record<string, string>) => {
    const client = await LiveClient.connect(baseUrl, roomId, headers);
    clients.push(client);
    return client;
  };
  const as = (token: string, options: Parameters<typeof asBearer>[2]) => asBearer(env.app, token, options);
  const rooms = (shop: Shop) => `/admin/platforms/${shop.slug}/live/rooms`;

  async function makeShop(slug: string): Promise<Shop> {
    const shop = await createTestPlatform(env, { slug, hosts: [`${slug}.test`], modules: ['live', 'catalog'] });
    return { ...shop, slug, host: `${slug}.test` };
  }

  async function hostUser(shop: Shop, name: string): Promise<{ id: string; token: string }> {
    const email = `${name}-${Math.random().toString(36).slice(2)}@${shop.slug}.test`;
    const user = await createAdminUser(env.souk.ctx.db, env.souk.ctx.platforms, { email, password: 'host-password', role: 'host', platformIds: [shop.platform.id] });
    return { id: (user as { id: string }).id, token: await login(env.app, email, 'host-password') };
  }

  async function customer(shop: Shop, name: string): Promise<{ id: string; token: string }> {
    const res = await env.app.inject({ method: 'POST', url: '/store/customers', headers: shop.store, payload: { email: `${name.replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}@live.test`, password: 'customer-password', name } });
    assert.equal(res.statusCode, 201, res.body);
    return { id: res.json().customer.id, token: res.json().token };
  }

  async function liveRoom(shop: Shop, token = shop.adminToken): Promise<string> {
    const created = await as(token, { method: 'POST', url: rooms(shop), payload: { title: 'Moderated' } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    const started = await as(token, { method: 'POST', url: `${rooms(shop)}/${id}/start` });
    assert.equal(started.statusCode, 200, started.body);
    return id;
  }

  const viewer = async (shop: Shop, roomId: string, token?: string) => {
    const client = await connect(roomId, { host: shop.host, ...(token ? { authorization: `Bearer ${token}` } : {}) });
    await client.welcome();
    return client;
  };

  const post = async (client: LiveClient, text: string, ref: string) => {
    client.send({ type: 'post', text, ref });
    return client.next((f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref, `answer to ${ref}`);
  };

  before(async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await makeShop('mod-a');
    b = await makeShop('mod-b');
  });

  describe('the host role', () => {
    it('runs its own rooms and nothing else: no catalog writes, no other host\'s room, no other platform', async () => {
      const mei = await hostUser(a, 'mei');
      const catalog = await as(mei.token, { method: 'POST', url: `/admin/platforms/${a.slug}/products`, payload: { title: 'Tea', handle: 'tea' } });
      assert.equal(catalog.statusCode, 403, catalog.body);
      assert.equal(catalog.json().code, 'host_role_scope');
      assert.equal((await as(mei.token, { url: `/admin/platforms/${a.slug}/products` })).json().code, 'host_role_scope', 'not even catalog reads');
      assert.equal((await as(mei.token, { url: '/admin/auth/me' })).statusCode, 200);

      const own = await liveRoom(a, mei.token);
      const staff = (await as(mei.token, { url: `${rooms(a)}/${own}/staff` })).json().items as Array<{ member: string; role: string }>;
      assert.deepEqual(staff.map((s) => [s.member, s.role]), [[`admin_user:${mei.id}`, 'host']]);
      const said = await as(mei.token, { method: 'POST', url: `${rooms(a)}/${own}/messages`, payload: { text: 'hi from Mei' } });
      assert.equal(said.statusCode, 201, said.body);

      const someoneElses = (await as(a.adminToken, { method: 'POST', url: rooms(a), payload: { title: 'Not Mei\'s' } })).json().id as string;
      const start = await as(mei.token, { method: 'POST', url: `${rooms(a)}/${someoneElses}/start` });
      assert.equal(start.statusCode, 403);
      assert.equal(start.json().code, 'live_not_room_staff');
      assert.equal((await as(mei.token, { url: `${rooms(a)}/${someoneElses}/moderation` })).statusCode, 403);
      const keywords = await as(mei.token, { method: 'PUT', url: `/admin/platforms/${a.slug}/live/keywords`, payload: { keywords: [] } });
      assert.equal(keywords.json().code, 'live_platform_admin_only');

      // Platform B: invisible to a host of A, whatever the room.
      const bRoom = await liveRoom(b);
      for (const url of [`${rooms(b)}/${bRoom}/start`, `${rooms(a)}/${bRoom}/end`]) {
        assert.equal((await as(mei.token, { method: 'POST', url })).statusCode, url.includes(b.slug) ? 404 : 403, url);
      }
      const talker = await customer(b, 'B talker');
      const viaB = await as(mei.token, { method: 'POST', url: `${rooms(b)}/${bRoom}/mutes`, payload: { customerId: talker.id } });
      assert.equal(viaB.statusCode, 404, 'a host of A cannot moderate B');
    });

    it('invites a co-host, who accepts; the main host hands over; the room hears of each', async () => {
      const mei = await hostUser(a, 'mei2');
      const lin = await hostUser(a, 'lin');
      const roomId = await liveRoom(a, mei.token);
      const watcher = await viewer(a, roomId);
      const system = () => watcher.ofType('message').filter((f) => messageOf(f).kind === 'system').map((f) => messageOf(f).text);

      assert.equal((await as(lin.token, { method: 'POST', url: `${rooms(a)}/${roomId}/end` })).statusCode, 403, 'not a co-host yet');
      const notHost = await as(mei.token, { method: 'POST', url: `${rooms(a)}/${roomId}/cohosts`, payload: { adminUserId: '00000000-0000-7000-8000-000000000001' } });
      assert.equal(notHost.json().code, 'live_not_host_user');
      const invited = await as(mei.token, { method: 'POST', url: `${rooms(a)}/${roomId}/cohosts`, payload: { adminUserId: lin.id } });
      assert.equal(invited.statusCode, 201, invited.body);
      assert.equal(invited.json().state, 'invited');
      assert.equal((await as(lin.token, { method: 'POST', url: `${rooms(a)}/${roomId}/handover`, payload: { adminUserId: lin.id } })).statusCode, 403);
      const accepted = await as(lin.token, { method: 'POST', url: `${rooms(a)}/${roomId}/cohosts/accept` });
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(accepted.json().state, 'active');
      assert.equal((await as(lin.token, { method: 'POST', url: `${rooms(a)}/${roomId}/messages`, payload: { text: 'co-host here' } })).statusCode, 201);
      assert.equal((await as(lin.token, { method: 'POST', url: `${rooms(a)}/${roomId}/handover`, payload: { adminUserId: lin.id } })).statusCode, 403, 'only the main host hands over');

      const handed = await as(mei.token, { method: 'POST', url: `${rooms(a)}/${roomId}/handover`, payload: { adminUserId: lin.id } });
      assert.equal(handed.statusCode, 200, handed.body);
      const roles = Object.fromEntries((handed.json().items as Array<{ member: string; role: string }>).map((s) => [s.member, s.role]));
      assert.deepEqual(roles, { [`admin_user:${lin.id}`]: 'host', [`admin_user:${mei.id}`]: 'cohost' });
      await watcher.next((f) => f.type === 'message' && messageOf(f).text.includes('handed the room over'), 'hand-over notice');
      assert.deepEqual(system().slice(-3), ['The host invited a co-host.', 'A co-host joined the room.', 'The host handed the room over to a co-host.']);
      const keys = watcher.ofType('message').filter((f) => messageOf(f).kind === 'system').map((f) => messageOf(f).key);
      assert.deepEqual(keys.slice(-3), ['cohost_invited', 'cohost_joined', 'handed_over']);
      const log = (await as(lin.token, { url: `${rooms(a)}/${roomId}/moderation` })).json().items as Array<{ action: string }>;
      assert.deepEqual(log.map((e) => e.action), ['handover', 'accept_cohost', 'invite_cohost']);
    });
  });

  describe('moderators', () => {
    it('a customer moderator mutes, deletes and bans from its socket, in its own room only', async () => {
      const roomX = await liveRoom(a);
      const roomY = await liveRoom(a);
      const mod = await customer(a, 'Moderator');
      const talker = await customer(a, 'Talker');
      const added = await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomX}/moderators`, payload: { customerId: mod.id } });
      assert.equal(added.statusCode, 201, added.body);
      assert.equal((await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomX}/moderators`, payload: { customerId: mod.id } })).statusCode, 409);

      const modX = await viewer(a, roomX, mod.token);
      const talkerX = await viewer(a, roomX, talker.token);
      const bystander = await viewer(a, roomX);
      const ack = await post(talkerX, 'rude words', 't1');
      assert.equal(ack.type, 'ack');
      await bystander.next((f) => f.type === 'message' && messageOf(f).id === ack.id, 'rude message seen');

      modX.send({ type: 'moderate', action: 'delete', messageId: ack.id, ref: 'd' });
      assert.equal((await modX.next((f) => f.ref === 'd', 'delete answer')).type, 'moderated');
      await bystander.next((f) => f.type === 'deleted' && f.messageId === ack.id, 'deleted for everyone');
      await talkerX.next((f) => f.type === 'deleted' && f.messageId === ack.id, 'deleted at the author too');

      modX.send({ type: 'moderate', action: 'mute', customerId: talker.id, minutes: 5, ref: 'm' });
      assert.equal((await modX.next((f) => f.ref === 'm', 'mute answer')).type, 'moderated');
      assert.equal((await post(talkerX, 'again', 't2')).code, 'muted');

      // Room Y: the same customer is nobody there.
      const modY = await viewer(a, roomY, mod.token);
      modY.send({ type: 'moderate', action: 'kick', customerId: talker.id, ref: 'k' });
      assert.equal((await modY.next((f) => f.ref === 'k', 'kick answer in Y')).code, 'not_moderator');
      const plain = await viewer(a, roomX, talker.token);
      plain.send({ type: 'moderate', action: 'slow_mode', seconds: 5, ref: 's' });
      assert.equal((await plain.next((f) => f.ref === 's', 'slow mode by a non-moderator')).code, 'not_moderator');
      modX.send({ type: 'moderate', action: 'ban', customerId: 'nope', ref: 'bad' });
      assert.equal((await modX.next((f) => f.ref === 'bad', 'bad moderate frame')).code, 'bad_frame');

      modX.send({ type: 'moderate', action: 'ban', customerId: talker.id, reason: 'spam', ref: 'b' });
      assert.equal((await modX.next((f) => f.ref === 'b', 'ban answer')).type, 'moderated');
      assert.equal((await talkerX.closedBy()).code, 4403);
      const back = await connect(roomX, { host: a.host, authorization: `Bearer ${talker.token}` });
      assert.equal((await back.closedBy()).code, 4403, 'a banned customer cannot join as a customer');
      assert.equal(back.ofType('error')[0]!.code, 'banned');
      assert.ok((await viewer(a, roomY, talker.token)).closed === undefined, 'a room ban is of that room only');

      const log = (await as(a.adminToken, { url: `${rooms(a)}/${roomX}/moderation` })).json().items as Array<{ action: string; actor: string }>;
      assert.deepEqual(log.slice(0, 3).map((e) => [e.action, e.actor]), [['ban', `customer:${mod.id}`], ['mute', `customer:${mod.id}`], ['delete_message', `customer:${mod.id}`]]);
      assert.equal(bystander.closed, undefined);
    });

    it('a host user moderating room X cannot moderate room Y', async () => {
      const helper = await hostUser(a, 'helper');
      const roomX = await liveRoom(a);
      const roomY = await liveRoom(a);
      const talker = await customer(a, 'T');
      assert.equal((await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomX}/moderators`, payload: { adminUserId: helper.id } })).statusCode, 201);
      assert.equal((await as(helper.token, { method: 'POST', url: `${rooms(a)}/${roomX}/mutes`, payload: { customerId: talker.id } })).statusCode, 201);
      assert.equal((await as(helper.token, { method: 'POST', url: `${rooms(a)}/${roomX}/end` })).statusCode, 403, 'a moderator does not run the room');
      const inY = await as(helper.token, { method: 'POST', url: `${rooms(a)}/${roomY}/mutes`, payload: { customerId: talker.id } });
      assert.equal(inY.statusCode, 403);
      assert.equal(inY.json().code, 'live_not_room_staff');
      const removed = await as(a.adminToken, { method: 'DELETE', url: `${rooms(a)}/${roomX}/moderators/${helper.id}` });
      assert.equal(removed.statusCode, 200, removed.body);
      assert.equal((await as(helper.token, { method: 'POST', url: `${rooms(a)}/${roomX}/kicks`, payload: { customerId: talker.id } })).statusCode, 403);
    });
  });

  describe('bans, slow mode and the keyword filter', () => {
    it('a platform ban closes the customer in every room and expires; hosts cannot ban platform-wide', async () => {
      const host = await hostUser(a, 'banhost');
      const room1 = await liveRoom(a, host.token);
      const room2 = await liveRoom(a);
      const target = await customer(a, 'Target');
      const s1 = await viewer(a, room1, target.token);
      const s2 = await viewer(a, room2, target.token);
      const byHost = await as(host.token, { method: 'POST', url: `${rooms(a)}/${room1}/bans`, payload: { customerId: target.id, scope: 'platform' } });
      assert.equal(byHost.json().code, 'live_platform_admin_only');
      assert.equal((await as(host.token, { method: 'POST', url: `/admin/platforms/${a.slug}/live/bans`, payload: { customerId: target.id } })).statusCode, 403);

      const banned = await as(a.adminToken, { method: 'POST', url: `/admin/platforms/${a.slug}/live/bans`, payload: { customerId: target.id, minutes: 1, reason: 'fraud' } });
      assert.equal(banned.statusCode, 201, banned.body);
      assert.equal(banned.json().roomId, null);
      assert.ok(banned.json().until);
      assert.equal((await s1.closedBy()).code, 4403);
      assert.equal((await s2.closedBy()).code, 4403);
      const list = (await as(a.adminToken, { url: `/admin/platforms/${a.slug}/live/bans` })).json().items as Array<{ customerId: string }>;
      assert.ok(list.some((x) => x.customerId === target.id));
      assert.equal((await as(a.adminToken, { method: 'DELETE', url: `/admin/platforms/${a.slug}/live/bans/${target.id}` })).statusCode, 200);
      assert.equal((await as(a.adminToken, { method: 'DELETE', url: `/admin/platforms/${a.slug}/live/bans/${target.id}` })).json().code, 'live_ban_not_found');
      const again = await viewer(a, room2, target.token);
      assert.equal(again.closed, undefined, 'lifted: the customer is back');
      const platformLog = (await as(a.adminToken, { url: `/admin/platforms/${a.slug}/live/moderation?action=ban` })).json().items as Array<{ action: string; roomId: string | null; details: { scope: string } }>;
      assert.ok(platformLog.some((e) => e.roomId === null && e.details.scope === 'platform'));
    });

    it('slow mode refuses a second post within the window, set at runtime, not for moderators', async () => {
      const roomId = await liveRoom(a);
      const poster = await customer(a, 'Quick');
      const mod = await customer(a, 'Mod');
      await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomId}/moderators`, payload: { customerId: mod.id } });
      const socket = await viewer(a, roomId, poster.token);
      const modSocket = await viewer(a, roomId, mod.token);
      const set = await as(a.adminToken, { method: 'PUT', url: `${rooms(a)}/${roomId}/slow-mode`, payload: { seconds: 30 } });
      assert.equal(set.statusCode, 200, set.body);
      const notice = await socket.next((f) => f.type === 'message' && messageOf(f).text === 'Slow mode is on: one message every 30 s.', 'slow mode notice');
      // The key and its params, for clients that show system messages in their own language.
      assert.deepEqual([messageOf(notice).key, messageOf(notice).params], ['slow_mode_on', { seconds: 30 }]);
      assert.equal((await post(socket, 'one', 's1')).type, 'ack');
      const second = await post(socket, 'two', 's2');
      assert.equal(second.code, 'slow_mode');
      assert.match(second.message as string, /wait \d+ s/);
      assert.equal((await post(modSocket, 'mod one', 'm1')).type, 'ack');
      assert.equal((await post(modSocket, 'mod two', 'm2')).type, 'ack', 'moderators are not slowed');
      modSocket.send({ type: 'moderate', action: 'slow_mode', seconds: 0, ref: 'off' });
      assert.equal((await modSocket.next((f) => f.ref === 'off', 'slow mode off')).type, 'moderated');
      assert.equal((await post(socket, 'three', 's3')).type, 'ack');
      assert.equal((await as(a.adminToken, { method: 'PUT', url: `${rooms(a)}/${roomId}/slow-mode`, payload: { seconds: 3601 } })).statusCode, 400);
    });

    it('filters keywords in Chinese and English: blocks, masks whole Latin words, ignores case', async () => {
      const roomId = await liveRoom(b);
      const set = await as(b.adminToken, {
        method: 'PUT',
        url: `/admin/platforms/${b.slug}/live/keywords`,
        payload: { keywords: [{ word: '代购', action: 'block' }, { word: 'Scam', action: 'block' }, { word: 'spam', action: 'mask' }, { word: '傻瓜', action: 'mask' }] },
      });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal(set.json().keywords.length, 4);
      const poster = await customer(b, 'Poster');
      const socket = await viewer(b, roomId, poster.token);
      const watcher = await viewer(b, roomId);
      assert.equal((await post(socket, '我做代购，便宜', 'zh')).code, 'blocked');
      assert.equal((await post(socket, 'total SCAM!', 'en')).code, 'blocked');
      assert.equal((await post(socket, 'ＳＣＡＭ in full width', 'fw')).code, 'blocked');
      assert.equal((await post(socket, 'scammer is a longer word', 'word')).type, 'ack', 'Latin words match whole words only');
      const masked = await post(socket, 'no Spam please, 你这个傻瓜', 'mask');
      assert.equal(masked.type, 'ack');
      const seen = await watcher.next((f) => f.type === 'message' && messageOf(f).id === masked.id, 'masked message');
      assert.equal(messageOf(seen).text, 'no **** please, 你这个**');
      const log = (await as(b.adminToken, { url: `/admin/platforms/${b.slug}/live/moderation` })).json().items as Array<{ action: string }>;
      assert.equal(log[0]!.action, 'keywords');
      assert.equal((await as(b.adminToken, { url: `/admin/platforms/${b.slug}/live/keywords` })).json().keywords.length, 4);
      const bad = await as(b.adminToken, { method: 'PUT', url: `/admin/platforms/${b.slug}/live/keywords`, payload: { keywords: [{ word: '', action: 'block' }] } });
      assert.equal(bad.statusCode, 400);
      // A's filter is A's: the same words pass on platform A.
      const aRoom = await liveRoom(a);
      const aPoster = await customer(a, 'APoster');
      assert.equal((await post(await viewer(a, aRoom, aPoster.token), '代购 scam', 'a')).type, 'ack');
    });
  });

  describe('export and metrics', () => {
    it('exports an ended room\'s chat as JSON lines, deleted messages marked; not while it is live', async () => {
      const roomId = await liveRoom(a);
      const poster = await customer(a, 'Exporter');
      const socket = await viewer(a, roomId, poster.token);
      const kept = await post(socket, 'keep me', 'k');
      const gone = await post(socket, 'delete me', 'g');
      assert.equal((await as(a.adminToken, { method: 'DELETE', url: `${rooms(a)}/${roomId}/messages/${gone.id as string}` })).statusCode, 200);
      const early = await as(a.adminToken, { url: `${rooms(a)}/${roomId}/export` });
      assert.equal(early.statusCode, 409);
      assert.equal(early.json().code, 'live_room_state');
      assert.equal((await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomId}/end` })).statusCode, 200);
      const res = await as(a.adminToken, { url: `${rooms(a)}/${roomId}/export` });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
      const lines = res.body.trim().split('\n').map((line) => JSON.parse(line) as { id: string; kind: string; text: string; customerId: string | null; deletedAt: string | null });
      assert.deepEqual(lines.map((l) => l.text), ['The room is live.', 'keep me', 'delete me', 'The room has ended. Thank you for watching!']);
      assert.equal(lines[1]!.id, kept.id);
      assert.equal(lines[1]!.customerId, poster.id);
      assert.ok(lines[2]!.deletedAt, 'a deleted message is marked');
      assert.equal((await as(b.adminToken, { url: `${rooms(b)}/${roomId}/export` })).statusCode, 404, 'another platform\'s room');
    });

    it('exposes connections, deliveries, drops, queue depth and fan-out latency', async () => {
      const roomId = await liveRoom(a);
      await viewer(a, roomId);
      await as(a.adminToken, { method: 'POST', url: `${rooms(a)}/${roomId}/messages`, payload: { text: 'measure me' } });
      const text = (await env.app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-metrics-token' } })).body;
      for (const name of ['souk_live_connections', 'souk_live_frames_total{outcome="delivered"}', 'souk_live_queue_depth', 'souk_live_queue_depth_max', 'souk_live_fanout_seconds_count{path="local"}']) {
        assert.ok(text.includes(name), `${name} in /metrics`);
      }
      assert.ok(Number(/souk_live_fanout_seconds_count\{path="local"\} (\d+)/.exec(text)?.[1]) > 0);
    });
  });

  it('closes every socket', () => {
    for (const client of clients) client.close();
  });
});
