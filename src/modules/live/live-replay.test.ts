// The replay of an ended room (GET /store/live/rooms/:roomId/replay) with real WebSocket clients: refused
// while the room runs, then every message viewers saw (deleted ones left out) in pages, oldest first; from
// JetStream when NATS is configured (a message the table never got is still there), from the table
// otherwise; and nothing of it through another platform.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { eachDatabase } from '../../../test/harness.ts';
import { createShop, expectProblem, registerCustomer, type Shop } from '../../../test/commerce.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { liveModule } from './index.ts';

interface Page {
  items: Array<{ id: string; kind: string; text: string }>;
  nextSince: string | null;
}

eachDatabase('live room replay', (env) => {
  let baseUrl: string;
  let a: Shop;
  let b: Shop;
  const clients: LiveClient[] = [];

  before(async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await createShop(env, `replay-a-${env.engine}`, { live: { postsPerWindow: 100 } }, ['live']);
    b = await createShop(env, `replay-b-${env.engine}`, undefined, ['live']);
  });

  const replay = (shop: Shop, roomId: string, query = '') => shop.store({ method: 'GET', url: `/store/live/rooms/${roomId}/replay${query}` });
  const rooms = (shop: Shop) => `/admin/platforms/${shop.slug}/live/rooms`;

  describe('an ended room', () => {
    it('is refused while live, then replays every shown message in pages, oldest first; other platforms see nothing', async () => {
      const created = await a.admin({ method: 'POST', url: rooms(a), payload: { title: 'Replay me' } });
      const roomId = created.json().id as string;
      await expectProblem(await replay(a, roomId), 409, 'live_room_state');
      assert.equal((await a.admin({ method: 'POST', url: `${rooms(a)}/${roomId}/start` })).statusCode, 200);
      const customer = await registerCustomer(a);
      const chatter = await LiveClient.connect(baseUrl, roomId, { 'x-publishable-key': a.platform.publishableKey, authorization: `Bearer ${customer.token}` });
      clients.push(chatter);
      await chatter.welcome();
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        chatter.send({ type: 'post', text: `chat ${i}`, ref: `r${i}` });
        ids.push((await chatter.next((f) => f.type === 'ack' && f.ref === `r${i}`, `ack ${i}`)).id as string);
      }
      assert.equal((await a.admin({ method: 'POST', url: `${rooms(a)}/${roomId}/messages`, payload: { text: 'thanks all' } })).statusCode, 201);
      assert.equal((await a.admin({ method: 'DELETE', url: `${rooms(a)}/${roomId}/messages/${ids[2]}` })).statusCode, 200);
      await expectProblem(await replay(a, roomId), 409, 'live_room_state');
      assert.equal((await a.admin({ method: 'POST', url: `${rooms(a)}/${roomId}/end` })).statusCode, 200);

      const history = env.souk.runtimeOf(liveModule).history;
      if (history) {
        // A message the table never got (its node died before the batch): JetStream still has it.
        await env.souk.ctx.platformDb(a.platform.platform.id).execute('delete from live_messages where platform_id = $1 and id = $2', [ids[4]]);
      }
      const seen: Page['items'] = [];
      let since: string | null = null;
      let pages = 0;
      do {
        const res = await replay(a, roomId, `?limit=3${since ? `&since=${since}` : ''}`);
        assert.equal(res.statusCode, 200, res.body);
        const page = res.json() as Page;
        assert.ok(page.items.length <= 3);
        seen.push(...page.items);
        since = page.nextSince;
        pages += 1;
      } while (since && pages < 20);
      // chat 4 is in the table without NATS, and only in the stream with it.
      const expected = ['The room is live.', 'chat 0', 'chat 1', 'chat 3', 'chat 4', 'chat 5', 'chat 6', 'thanks all'];
      assert.deepEqual(seen.map((m) => m.text).slice(0, expected.length), expected);
      assert.equal(seen.length, expected.length + 1, 'and the end notice');
      assert.equal(seen.at(-1)!.kind, 'system');
      assert.deepEqual([...seen.map((m) => m.id)].sort(), seen.map((m) => m.id), 'oldest first');
      assert.equal(JSON.stringify(seen).includes(customer.id), false, 'no customer ids');
      const whole = (await replay(a, roomId)).json() as Page;
      assert.deepEqual(whole.items.map((m) => m.id), seen.map((m) => m.id));
      assert.equal(whole.nextSince, null);
      assert.deepEqual((await replay(a, roomId, `?since=${seen.at(-1)!.id}`)).json(), { items: [], nextSince: null });

      // Another platform's key sees no such room; bad input is a 400.
      await expectProblem(await replay(b, roomId), 404, 'live_room_not_found');
      await expectProblem(await replay(a, '00000000-0000-7000-8000-000000000000'), 404, 'live_room_not_found');
      for (const query of ['?limit=0', '?limit=501', '?since=yesterday', '?other=1']) assert.equal((await replay(a, roomId, query)).statusCode, 400, query);
      assert.equal((await replay(a, 'not-a-room')).statusCode, 400);
    });
  });

  it('closes every socket', () => {
    for (const client of clients) client.close();
  });
});
