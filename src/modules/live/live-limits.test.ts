// Chat limits across two Souks sharing PostgreSQL, NATS and Redis: a customer with a socket on each node
// has one posts-per-window count and one slow-mode wait (limits.ts keeps them in Redis), so posting
// through the other node does not double the allowance.
import { after, before, it, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createSouk, type Souk } from '../../server.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { asBearer, createTempPostgres, createTestPlatform, loginAsNewOwner, testConfig, type TestEnv } from '../../../test/harness.ts';
import { LiveClient, type LiveFrame } from '../../../test/live-client.ts';

const natsUrl = process.env.NATS_URL;
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if ((!natsUrl || !databaseUrl || !redisUrl) && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but NATS_URL, DATABASE_URL or REDIS_URL is not set: the two-node limits suite cannot run.');
}
const skip = natsUrl && databaseUrl && redisUrl ? false : 'needs NATS_URL, DATABASE_URL and REDIS_URL';

describe('live chat limits across two nodes [postgres, nats, redis]', { skip }, () => {
  let temp: Awaited<ReturnType<typeof createTempPostgres>>;
  const nodes: Souk[] = [];
  const urls: string[] = [];
  const clients: LiveClient[] = [];
  let env: TestEnv;
  let roomId: string;
  let adminToken: string;
  const host = 'live-limits.test';

  before(async () => {
    temp = await createTempPostgres();
    const tag = randomBytes(4).toString('hex');
    const live = { ...loadModuleSettings(process.env).live, fanout: 'nats' as const, subjectPrefix: `souk_t.limits${tag}` };
    for (let i = 0; i < 2; i += 1) {
      const souk = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, natsUrl, redisUrl, redisKeyPrefix: `souk_t:${tag}:`, live } });
      await souk.app.listen({ port: 0, host: '127.0.0.1' });
      nodes.push(souk);
      urls.push(`http://127.0.0.1:${(souk.app.server.address() as AddressInfo).port}`);
    }
    env = { engine: 'postgres', souk: nodes[0]!, app: nodes[0]!.app, ownerToken: await loginAsNewOwner(nodes[0]!) };
    const shop = await createTestPlatform(env, { slug: 'live-limits', hosts: [host], modules: ['live'] });
    const settings = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: '/admin/platforms/live-limits', payload: { settings: { live: { postsPerWindow: 3, postWindowSeconds: 60 } } } });
    assert.equal(settings.statusCode, 200, settings.body);
    await nodes[1]!.ctx.platforms.reload();
    adminToken = shop.adminToken;
    const created = await asBearer(env.app, adminToken, { method: 'POST', url: '/admin/platforms/live-limits/live/rooms', payload: { title: 'Limits' } });
    roomId = created.json().id;
    assert.equal((await asBearer(env.app, adminToken, { method: 'POST', url: `/admin/platforms/live-limits/live/rooms/${roomId}/start` })).statusCode, 200);
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const souk of nodes) await souk.close();
    await temp.drop();
  });

  const customer = async (name: string) => {
    const res = await env.app.inject({ method: 'POST', url: '/store/customers', headers: { host }, payload: { email: `${name}-${randomBytes(3).toString('hex')}@limits.test`, password: 'customer-password', name } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().token as string;
  };
  const join = async (node: number, token: string) => {
    const client = await LiveClient.connect(urls[node]!, roomId, { host, authorization: `Bearer ${token}` });
    clients.push(client);
    await client.welcome();
    return client;
  };
  /** Posts and waits for its answer: the ack, or the error frame with its code. */
  const post = async (client: LiveClient, ref: string): Promise<LiveFrame> => {
    client.send({ type: 'post', text: `post ${ref}`, ref });
    return client.next((f) => (f.type === 'ack' || f.type === 'error') && f.ref === ref, `answer to ${ref}`);
  };

  it('counts a customer\'s posts once over both nodes', async () => {
    const token = await customer('Two-sockets');
    const onA = await join(0, token);
    const onB = await join(1, token);
    assert.equal((await post(onA, 'a1')).type, 'ack');
    assert.equal((await post(onB, 'b1')).type, 'ack');
    assert.equal((await post(onA, 'a2')).type, 'ack');
    const fourth = await post(onB, 'b2');
    assert.equal(fourth.code, 'rate_limited', 'the fourth post in the window is refused on the other node too');
    assert.equal((await post(onA, 'a3')).code, 'rate_limited');
  });

  it('keeps one slow-mode wait over both nodes', async () => {
    const slow = await asBearer(nodes[0]!.app, adminToken, { method: 'PUT', url: `/admin/platforms/live-limits/live/rooms/${roomId}/slow-mode`, payload: { seconds: 30 } });
    assert.equal(slow.statusCode, 200, slow.body);
    const token = await customer('Slow');
    const onA = await join(0, token);
    const onB = await join(1, token);
    // Node B has heard of slow mode (through NATS) once one of B's posts is refused by it.
    assert.equal((await post(onA, 's1')).type, 'ack');
    const onOther = await post(onB, 's2');
    assert.equal(onOther.code, 'slow_mode', 'the post through B waits out the wait A started');
    assert.match(String(onOther.message), /wait (29|30) s/);
  });
});
