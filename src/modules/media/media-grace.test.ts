// The grace period (SOUK_MEDIA_END_GRACE_SECONDS) of a live room whose stream stops: driven with the
// callbacks nginx-rtmp posts (no media server, no ffmpeg), with a two-second grace. A stream that comes
// back within it keeps the room live; one that stays away ends the room by itself (the durable timer
// media.stream_gone on the event backbone), never before the grace is over; a stream that comes back
// and drops again gets a whole grace period from its last drop. Every wait is bounded, and nothing of
// the module runs in-process timers, so the server closes and the process exits.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase, TEST_METRICS_TOKEN, type TestPlatform } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { mediaModule } from './index.ts';

const SECRET = 'media-grace-secret-0123456789';
const GRACE_SECONDS = 2;
const media = { ...loadModuleSettings({}).media, callbackSecret: SECRET, endGraceSeconds: GRACE_SECONDS, playbackBaseUrl: 'http://media.test:8080' };
/** How long a test waits for a timer to fire and be handled: the grace, the timer loop's idle back-off (≤ 1 s), slack. */
const FIRE_WITHIN_MS = GRACE_SECONDS * 1000 + 15_000;

eachDatabase('media: the grace period of a stopped stream', (env) => {
  let shop: TestPlatform & { slug: string };
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
  const rooms = () => `/admin/platforms/${shop.slug}/live/rooms`;
  const roomOf = async (roomId: string) => (await admin({ method: 'GET', url: `${rooms()}/${roomId}` })).json();

  const callback = (path: 'publish' | 'publish-done', fields: Record<string, string>) =>
    env.app.inject({
      method: 'POST',
      url: `/media/rtmp/${path}?secret=${SECRET}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ app: 'live', call: path.replace('-', '_'), addr: '203.0.113.7', ...fields }).toString(),
    });

  /** A live room with a stream key; `push(clientId)` and `drop(clientId)` post what nginx-rtmp would. */
  async function liveRoom() {
    const created = await admin({ method: 'POST', url: rooms(), payload: { title: 'Grace show' } });
    assert.equal(created.statusCode, 201, created.body);
    const roomId = created.json().id as string;
    const made = await admin({ method: 'POST', url: `${rooms()}/${roomId}/stream-key` });
    assert.equal(made.statusCode, 201, made.body);
    const [name, query] = (made.json().key as string).split('?') as [string, string];
    const key = new URLSearchParams(query).get('key')!;
    const push = async (clientid: string) => {
      const res = await callback('publish', { name, key, clientid });
      assert.equal(res.statusCode, 200, res.body);
    };
    const drop = async (clientid: string) => {
      assert.equal((await callback('publish-done', { name, key, clientid })).statusCode, 200);
      return Date.now();
    };
    return { roomId, name, key, push, drop };
  }

  const sessions = async (roomId: string) => (await admin({ method: 'GET', url: `${rooms()}/${roomId}/publishes` })).json().sessions as Array<{ id: string; endedAt: string | null; endReason: string | null }>;
  /** Whether the media.stream_gone timer of this session has fired and its handler run. */
  const graceHandled = async (sessionId: string) => {
    const [row] = await env.souk.database.query<{ n: number }>(
      `select count(*)::int as n from event_log l join event_inbox i on i.event_id = l.id and i.consumer = 'media.end-after-grace'
       where l.type = 'media.stream_gone' and l.payload->>'sessionId' = $1`,
      [sessionId],
    );
    return row!.n === 1;
  };
  const liveStreams = async () => {
    const res = await env.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    return Number(/^souk_media_live_streams (\d+)$/m.exec(res.body)?.[1]);
  };

  before(async () => {
    shop = { ...(await createTestPlatform(env, { slug: `grace-${env.engine}`, modules: ['live', 'media'] })), slug: `grace-${env.engine}` };
  });

  describe('a stopped stream', () => {
    it('keeps the room live when the stream comes back within the grace, and ends it by itself when it stays away', async () => {
      const { roomId, name, key, push, drop } = await liveRoom();
      await push('c-1');
      const live = await roomOf(roomId);
      assert.equal(live.state, 'live');
      assert.equal(await liveStreams(), 1);

      // The stream drops: the room stays live (with its playback URL) for now.
      const firstDrop = await drop('c-1');
      const during = await roomOf(roomId);
      if (Date.now() - firstDrop < GRACE_SECONDS * 1000) {
        assert.equal(during.state, 'live', 'live during the grace period');
        assert.equal(during.playbackUrl, live.playbackUrl);
      }
      assert.equal(await liveStreams(), 0, 'no stream while it is gone');

      // It comes back (a new connection with the same key) within the grace: resumed, not a new start.
      await push('c-2');
      assert.equal(await liveStreams(), 1);
      const [resumed, dropped] = await sessions(roomId);
      assert.equal(dropped!.endReason, 'publish_done');
      assert.equal(resumed!.endedAt, null);
      await waitFor('the first drop\'s timer to fire and be handled', () => graceHandled(dropped!.id), FIRE_WITHIN_MS, 100);
      const kept = await roomOf(roomId);
      assert.equal(kept.state, 'live', 'the stream came back: the room is still live after the grace is over');
      assert.equal(kept.playbackUrl, live.playbackUrl);
      assert.equal(kept.startedAt, live.startedAt, 'one start');

      // It drops again and stays away: the room ends by itself, not before the grace is over.
      const lastDrop = await drop('c-2');
      const ended = await waitFor('the room to end after the grace', async () => {
        const room = await roomOf(roomId);
        return room.state === 'ended' ? room : undefined;
      }, FIRE_WITHIN_MS, 100);
      assert.ok(Date.parse(ended.endedAt) >= lastDrop - 1000 + GRACE_SECONDS * 1000, `ended ${Date.parse(ended.endedAt) - lastDrop} ms after the drop`);
      assert.equal(ended.playbackUrl, null);
      assert.equal(await liveStreams(), 0);

      // The ended room's key is refused now; a late done for either connection changes nothing.
      const refused = await callback('publish', { name, key, clientid: 'c-3' });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /room_ended/);
      assert.equal((await callback('publish-done', { name, key, clientid: 'c-1' })).statusCode, 200);
      assert.equal((await roomOf(roomId)).endedAt, ended.endedAt);
      assert.deepEqual((await sessions(roomId)).map((s) => s.endReason), ['publish_done', 'publish_done']);
    });

    it('gives a stream that came back and dropped again a whole grace period from its last drop', async () => {
      const { roomId, push, drop } = await liveRoom();
      await push('d-1');
      await drop('d-1');
      await push('d-2');
      const lastDrop = await drop('d-2');
      const [second, first] = await sessions(roomId);
      // The first drop's timer, run now: a later session stopped after it, so that one's timer decides.
      const { ingest } = env.souk.runtimeOf(mediaModule);
      await ingest.endIfNoStream(env.souk.ctx.platformDb(shop.platform.id), roomId, first!.id);
      if (Date.now() - lastDrop < GRACE_SECONDS * 1000) assert.equal((await roomOf(roomId)).state, 'live', 'an earlier drop\'s timer does not cut the grace short');
      await waitFor('both timers to fire and be handled', async () => (await graceHandled(first!.id)) && graceHandled(second!.id), FIRE_WITHIN_MS, 100);
      const ended = await roomOf(roomId);
      assert.equal(ended.state, 'ended', 'the last drop\'s timer ends the room');
      assert.ok(Date.parse(ended.endedAt) >= lastDrop - 1000 + GRACE_SECONDS * 1000);
    });

    it('leaves a room an admin ended during the grace as the admin ended it', async () => {
      const { roomId, push, drop } = await liveRoom();
      await push('e-1');
      await drop('e-1');
      assert.equal((await admin({ method: 'POST', url: `${rooms()}/${roomId}/end` })).statusCode, 200);
      const endedAt = (await roomOf(roomId)).endedAt;
      const [only] = await sessions(roomId);
      await waitFor('the timer to fire and be handled', () => graceHandled(only!.id), FIRE_WITHIN_MS, 100);
      const room = await roomOf(roomId);
      assert.equal(room.state, 'ended');
      assert.equal(room.endedAt, endedAt, 'ended once, by the admin');
    });
  });
}, { media });
