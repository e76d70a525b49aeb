// Two Souks sharing one PostgreSQL database and NATS, in one process: a room served by both nodes is
// one room. A viewer on node B sees what is posted on node A and what A's admin does; viewer counts and
// likes are summed across the nodes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createSouk, type Souk } from '../../server.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { asBearer, createTempPostgres, createTestPlatform, loginAsNewOwner, testConfig, type TestEnv } from '../../../test/harness.ts';
import { LiveClient, type LiveFrame } from '../../../test/live-client.ts';

const natsUrl = process.env.NATS_URL;
const databaseUrl = process.env.DATABASE_URL;
if ((!natsUrl || !databaseUrl) && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but NATS_URL or DATABASE_URL is not set: the two-node live suite cannot run.');
}
const skip = natsUrl && databaseUrl ? false : 'needs NATS_URL and DATABASE_URL';

const textOf = (f: LiveFrame) => (f.message as { text: string }).text;

describe('live rooms across two nodes [postgres, nats]', { skip }, () => {
  let temp: Awaited<ReturnType<typeof createTempPostgres>>;
  const nodes: Souk[] = [];
  const urls: string[] = [];
  const clients: LiveClient[] = [];
  let env: TestEnv;
  let roomId: string;
  let adminToken: string;
  let host: string;

  before(async () => {
    temp = await createTempPostgres();
    const live = { ...loadModuleSettings(process.env).live, fanout: 'nats' as const, subjectPrefix: `souk_t.live${randomBytes(4).toString('hex')}` };
    for (let i = 0; i < 2; i += 1) {
      const souk = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, natsUrl, live } });
      await souk.app.listen({ port: 0, host: '127.0.0.1' });
      nodes.push(souk);
      urls.push(`http://127.0.0.1:${(souk.app.server.address() as AddressInfo).port}`);
    }
    env = { engine: 'postgres', souk: nodes[0]!, app: nodes[0]!.app, ownerToken: await loginAsNewOwner(nodes[0]!) };
    const shop = await createTestPlatform(env, { slug: 'live-nodes', hosts: ['live-nodes.test'], modules: ['live'] });
    await nodes[1]!.ctx.platforms.reload();
    adminToken = shop.adminToken;
    host = 'live-nodes.test';
    const created = await asBearer(env.app, adminToken, { method: 'POST', url: '/admin/platforms/live-nodes/live/rooms', payload: { title: 'Two nodes' } });
    roomId = created.json().id;
    assert.equal((await asBearer(env.app, adminToken, { method: 'POST', url: `/admin/platforms/live-nodes/live/rooms/${roomId}/start` })).statusCode, 200);
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const souk of nodes) await souk.close();
    await temp.drop();
  });

  const join = async (node: number, headers: Record<string, string> = {}) => {
    const client = await LiveClient.connect(urls[node]!, roomId, { host, ...headers });
    clients.push(client);
    await client.welcome();
    return client;
  };

  it('a viewer on B sees chat posted on A and host messages sent through A; counts add up', async () => {
    const signup = await env.app.inject({ method: 'POST', url: '/store/customers', headers: { host }, payload: { email: 'poster@nodes.test', password: 'customer-password', name: 'Poster' } });
    const onA = await join(0, { authorization: `Bearer ${signup.json().token}` });
    const onB = await join(1);
    await onB.next((f) => f.type === 'counts' && f.viewers === 2, 'two viewers counted on B', 10_000);
    await onA.next((f) => f.type === 'counts' && f.viewers === 2, 'two viewers counted on A', 10_000);

    onA.send({ type: 'post', text: 'hello from A' });
    await onB.next((f) => f.type === 'message' && textOf(f) === 'hello from A', 'chat from A at B');
    const said = await asBearer(env.app, adminToken, { method: 'POST', url: `/admin/platforms/live-nodes/live/rooms/${roomId}/messages`, payload: { text: 'host via A' } });
    assert.equal(said.statusCode, 201);
    await onB.next((f) => f.type === 'message' && textOf(f) === 'host via A', 'host message at B');

    for (let i = 0; i < 30; i += 1) onA.send({ type: 'like' });
    for (let i = 0; i < 20; i += 1) onB.send({ type: 'like' });
    await onA.next((f) => f.type === 'counts' && f.likes === 50, 'likes summed at A', 10_000);
    await onB.next((f) => f.type === 'counts' && f.likes === 50, 'likes summed at B', 10_000);
  });

  it('a message deleted through B disappears at A; a late joiner on B resumes from the shared history', async () => {
    const onA = await join(0);
    const ack = await asBearer(nodes[1]!.app, adminToken, { method: 'POST', url: `/admin/platforms/live-nodes/live/rooms/${roomId}/messages`, payload: { text: 'oops' } });
    const id = ack.json().id as string;
    await onA.next((f) => f.type === 'message' && textOf(f) === 'oops', 'message from B at A');
    const deleted = await asBearer(nodes[1]!.app, adminToken, { method: 'DELETE', url: `/admin/platforms/live-nodes/live/rooms/${roomId}/messages/${id}` });
    assert.equal(deleted.statusCode, 200, deleted.body);
    await onA.next((f) => f.type === 'deleted' && f.messageId === id, 'deleted at A');
  });
});
