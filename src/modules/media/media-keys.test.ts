// Stream keys and the media server's callbacks, driven with the form posts nginx-rtmp sends (the real
// nginx and ffmpeg are in media-nginx.test.ts): keys shown once, rotated, revoked, scoped to the room's
// schedule and to its hosts; publish authorisation (allowed → the room goes live with its playback URL;
// wrong, revoked, ended, early, forged or another platform's key → refused and recorded, nothing changed);
// retried and late callbacks change nothing twice; a stopped stream ends the room; isolation.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { asBearer, createTestPlatform, eachDatabase, login, TEST_METRICS_TOKEN, type TestPlatform } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { createAdminUser } from '../accounts/admin-service.ts';

const SECRET = 'media-test-secret-0123456789';
const media = { ...loadModuleSettings({}).media, callbackSecret: SECRET, endGraceSeconds: 0, playbackBaseUrl: 'http://media.test:8080' };
const TABLES = ['media_stream_keys', 'media_sessions', 'live_rooms', 'live_messages'];

interface Shop extends TestPlatform {
  slug: string;
}

eachDatabase('media: stream keys and publish callbacks', (env) => {
  let a: Shop;
  let b: Shop;
  let plain: Shop;
  const admin = (shop: Shop, options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const rooms = (shop: Shop) => `/admin/platforms/${shop.slug}/live/rooms`;
  const keyUrl = (shop: Shop, roomId: string) => `${rooms(shop)}/${roomId}/stream-key`;
  let client = 0;

  const callback = (path: 'publish' | 'publish-done', fields: Record<string, string>, secret = SECRET) =>
    env.app.inject({
      method: 'POST',
      url: `/media/rtmp/${path}?secret=${encodeURIComponent(secret)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ app: 'live', call: path.replace('-', '_'), addr: '203.0.113.9', ...fields }).toString(),
    });
  /** Publishes with a stream key as OBS would: the name before `?`, the secret after it as the key field. */
  const publish = (streamKey: string, clientid = String((client += 1))) => {
    const [name, query = ''] = streamKey.split('?');
    return callback('publish', { name: name!, clientid, ...Object.fromEntries(new URLSearchParams(query)) });
  };
  const secretOf = (streamKey: string) => new URLSearchParams(streamKey.split('?')[1]).get('key')!;

  async function makeShop(slug: string, modules = ['live', 'media']): Promise<Shop> {
    return { ...(await createTestPlatform(env, { slug, modules })), slug };
  }
  async function room(shop: Shop, input: Record<string, unknown> = {}): Promise<string> {
    const res = await admin(shop, { method: 'POST', url: rooms(shop), payload: { title: 'Tea tasting', ...input } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  }
  async function keyFor(shop: Shop, roomId: string): Promise<string> {
    const res = await admin(shop, { method: 'POST', url: keyUrl(shop, roomId) });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().key as string;
  }
  const roomOf = async (shop: Shop, roomId: string) => (await admin(shop, { method: 'GET', url: `${rooms(shop)}/${roomId}` })).json();
  const fingerprint = () => tablesFingerprint(env.souk.database, TABLES);

  before(async () => {
    a = await makeShop('media-a');
    b = await makeShop('media-b');
    plain = await makeShop('media-off', ['live']);
  });

  describe('stream keys', () => {
    it('shows a key once, keeps only its hash, rotates and revokes it', async () => {
      const roomId = await room(a, { scheduledAt: new Date(Date.now() + 30 * 60_000).toISOString() });
      const made = await admin(a, { method: 'POST', url: keyUrl(a, roomId) });
      assert.equal(made.statusCode, 201, made.body);
      const first = made.json();
      assert.equal(first.key.split('?')[0], `${a.platform.id}_${roomId}`);
      assert.match(secretOf(first.key), /^[A-Za-z0-9_-]{32}$/);
      assert.equal(first.server, media.ingestUrl);
      assert.equal(first.publishUrl, `${media.ingestUrl}/${first.key}`);
      assert.equal(first.hint, first.key.slice(-4));
      assert.ok(first.opensAt && first.closesAt, 'a scheduled room\'s key has a window');
      const stored = await env.souk.ctx.platformDb(a.platform.id).query<Record<string, unknown>>('select * from media_stream_keys where platform_id = $1 and id = $2', [first.id]);
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(secretOf(first.key)), 'the secret itself is not stored');
      assert.equal(stored[0]!.key_hash, createHash('sha256').update(secretOf(first.key)).digest('hex'));

      const shown = await admin(a, { method: 'GET', url: keyUrl(a, roomId) });
      assert.equal(shown.statusCode, 200);
      assert.equal(shown.json().id, first.id);
      assert.equal(shown.json().key, undefined, 'never shown again');

      const second = (await admin(a, { method: 'POST', url: keyUrl(a, roomId) })).json();
      assert.notEqual(second.key, first.key);
      assert.equal((await publish(first.key)).statusCode, 403, 'the rotated-out key is refused');

      const revoked = await admin(a, { method: 'DELETE', url: keyUrl(a, roomId) });
      assert.equal(revoked.statusCode, 200);
      assert.ok(revoked.json().revokedAt);
      assert.equal((await publish(second.key)).statusCode, 403, 'a revoked key is refused');
      assert.equal((await admin(a, { method: 'GET', url: keyUrl(a, roomId) })).statusCode, 404);
      assert.equal((await admin(a, { method: 'DELETE', url: keyUrl(a, roomId) })).json().code, 'media_no_stream_key');
      assert.equal((await roomOf(a, roomId)).state, 'scheduled', 'refusals changed nothing');
    });

    it('refuses support writes, other platforms\' admins, hosts of other rooms and platforms without the module', async () => {
      const roomId = await room(a);
      await keyFor(a, roomId);
      const before = await fingerprint();
      assert.equal((await asBearer(env.app, a.supportToken, { method: 'POST', url: keyUrl(a, roomId) })).statusCode, 403);
      assert.equal((await asBearer(env.app, a.supportToken, { method: 'GET', url: keyUrl(a, roomId) })).statusCode, 200, 'support reads');
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const res = await admin(b, { method, url: keyUrl(a, roomId) });
        assert.equal(res.statusCode, 404, `${method} by another platform's admin`);
        const wrongRoom = await admin(b, { method, url: keyUrl(b, roomId) });
        assert.equal(wrongRoom.statusCode, 404, `${method} of A's room through B`);
        assert.equal(wrongRoom.json().code, 'live_room_not_found');
      }
      assert.equal((await admin(b, { method: 'GET', url: `${rooms(a)}/${roomId}/publishes` })).statusCode, 404);
      assert.equal(await fingerprint(), before, 'refused requests changed nothing');
      const off = await room(plain);
      assert.equal((await admin(plain, { method: 'POST', url: keyUrl(plain, off) })).json().code, 'module_disabled');

      // A host user of A: its own room yes, another room of A no.
      const email = `host-${Date.now()}@media-a.test`;
      await createAdminUser(env.souk.ctx.db, env.souk.ctx.platforms, { email, password: 'host-password', role: 'host', platformIds: [a.platform.id] });
      const hostToken = await login(env.app, email, 'host-password');
      const own = await asBearer(env.app, hostToken, { method: 'POST', url: rooms(a), payload: { title: 'My show' } });
      assert.equal(own.statusCode, 201, own.body);
      assert.equal((await asBearer(env.app, hostToken, { method: 'POST', url: keyUrl(a, own.json().id) })).statusCode, 201);
      const other = await asBearer(env.app, hostToken, { method: 'GET', url: keyUrl(a, roomId) });
      assert.equal(other.statusCode, 403);
      assert.equal(other.json().code, 'media_not_room_host');
      assert.equal((await asBearer(env.app, hostToken, { method: 'DELETE', url: keyUrl(a, roomId) })).statusCode, 403);
      assert.equal((await admin(a, { method: 'GET', url: keyUrl(a, roomId) })).statusCode, 200, 'the other room keeps its key');
    });

    it('answers 409 for an ended room and 400 for a malformed room id', async () => {
      const roomId = await room(a);
      assert.equal((await admin(a, { method: 'POST', url: `${rooms(a)}/${roomId}/start` })).statusCode, 200);
      assert.equal((await admin(a, { method: 'POST', url: `${rooms(a)}/${roomId}/end` })).statusCode, 200);
      const res = await admin(a, { method: 'POST', url: keyUrl(a, roomId) });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().code, 'media_room_ended');
      assert.equal((await admin(a, { method: 'POST', url: keyUrl(a, 'not-a-uuid') })).statusCode, 400);
    });
  });

  describe('publish callbacks', () => {
    it('allows a valid key: the room goes live with its playback URL (no secret in it); a retry changes nothing', async () => {
      const roomId = await room(a, { scheduledAt: new Date(Date.now() + 10 * 60_000).toISOString() });
      const key = await keyFor(a, roomId);
      const res = await publish(key, 'c-1');
      assert.equal(res.statusCode, 200, res.body);
      const streamName = `${a.platform.id}_${roomId}`;
      const live = await roomOf(a, roomId);
      assert.equal(live.state, 'live');
      assert.equal(live.playbackUrl, `http://media.test:8080/hls/${streamName}.m3u8`);
      assert.ok(!live.playbackUrl.includes(secretOf(key)));
      const store = await env.app.inject({ method: 'GET', url: `/store/live/rooms/${roomId}`, headers: a.store });
      assert.equal(store.json().playbackUrl, live.playbackUrl, 'viewers see the URL');

      const before = await fingerprint();
      const again = await publish(key, 'c-1');
      assert.equal(again.statusCode, 200, 'the retried callback gets the same answer');
      assert.equal(await fingerprint(), before, 'and changes nothing');
      const second = await publish(key, 'c-2');
      assert.equal(second.statusCode, 403, 'a second publisher is refused');
      assert.match(second.body, /already_publishing/);

      // The stream stops: the room ends (no grace period here); a repeated or late callback changes nothing.
      assert.equal((await callback('publish-done', { name: streamName, clientid: 'c-2' })).statusCode, 200);
      assert.equal((await roomOf(a, roomId)).state, 'live', 'a done for another connection is not this stream');
      assert.equal((await callback('publish-done', { name: streamName, clientid: 'c-1' })).statusCode, 200);
      const ended = await roomOf(a, roomId);
      assert.equal(ended.state, 'ended');
      assert.equal(ended.playbackUrl, null);
      const afterEnd = await fingerprint();
      assert.equal((await callback('publish-done', { name: streamName, clientid: 'c-1' })).statusCode, 200);
      assert.equal(await fingerprint(), afterEnd);

      const refused = await publish(key);
      assert.equal(refused.statusCode, 403, 'an ended room\'s key is refused');
      assert.match(refused.body, /room_ended/);
      const log = (await admin(a, { method: 'GET', url: `${rooms(a)}/${roomId}/publishes` })).json();
      assert.equal(log.sessions.length, 1);
      assert.equal(log.sessions[0].endReason, 'publish_done');
      assert.deepEqual(log.refusals.map((r: { reason: string }) => r.reason).sort(), ['already_publishing', 'room_ended']);
    });

    it('refuses wrong, forged, early and other platforms\' keys and unauthenticated callbacks, changing nothing', async () => {
      const early = await room(a, { scheduledAt: new Date(Date.now() + 3 * 3600_000).toISOString() });
      const earlyKey = await keyFor(a, early);
      const roomB = await room(b);
      const keyB = await keyFor(b, roomB);
      const before = await fingerprint();
      const reasons: Array<[string, string, string?]> = [
        [earlyKey, 'too_early'],
        [`not-a-stream?key=${secretOf(keyB)}`, 'malformed_name'],
        [`${earlyKey.split('?')[0]}?key=${'A'.repeat(32)}`, 'invalid_key'],
        [earlyKey.split('?')[0]!, 'invalid_key'],
        // B's secret for A's room, and A's room under B's platform: a key works for its own room only.
        [`${a.platform.id}_${early}?key=${secretOf(keyB)}`, 'invalid_key'],
        [`${b.platform.id}_${early}?key=${secretOf(earlyKey)}`, 'unknown_room'],
        [`${plain.platform.id}_${roomB}?key=${secretOf(keyB)}`, 'unknown_platform'],
        [keyB, 'callback_secret', 'wrong-secret-0123456789'],
      ];
      for (const [streamKey, reason, secret] of reasons) {
        const [name, query = ''] = streamKey.split('?');
        const res = await callback('publish', { name: name!, clientid: 'x', ...Object.fromEntries(new URLSearchParams(query)) }, secret);
        assert.equal(res.statusCode, 403, `${reason}: ${res.body}`);
        assert.match(res.body, new RegExp(reason));
      }
      assert.equal((await roomOf(a, early)).state, 'scheduled');
      assert.equal((await roomOf(b, roomB)).state, 'scheduled');
      assert.equal((await callback('publish-done', { name: `${b.platform.id}_${roomB}`, clientid: 'x' }, 'wrong-secret-0123456789')).statusCode, 403);
      assert.equal(await fingerprint(), before);
      const metrics = await env.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
      assert.match(metrics.body, /souk_media_publishes_total\{outcome="refused",reason="too_early"\} [1-9]/);
      assert.match(metrics.body, /souk_media_publishes_total\{outcome="allowed",reason="ok"\} [1-9]/);
      // B's key still takes B's room live.
      assert.equal((await publish(keyB)).statusCode, 200);
      assert.equal((await roomOf(b, roomB)).state, 'live');
    });
  });
}, { media });
