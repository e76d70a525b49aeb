// Two Souk processes on one database and NATS, and a third in this process for the admin API: a viewer on
// node B sees a post made on node A, viewer counts add up across nodes, and after a SIGKILL of node A its
// viewers reconnect to B with `since` and get every acknowledged message after it, without a gap.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createSouk, type Souk } from '../../server.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { asBearer, createTempPostgres, createTestPlatform, loginAsNewOwner, testConfig } from '../../../test/harness.ts';
import { LiveClient, type LiveFrame } from '../../../test/live-client.ts';
import { waitFor } from '../../../test/wait.ts';

const natsUrl = process.env.NATS_URL;
const skip = natsUrl && process.env.DATABASE_URL ? false : 'needs NATS_URL and DATABASE_URL';
const messageOf = (f: LiveFrame) => f.message as { id: string; text: string };

describe('live rooms when a node dies [postgres, nats, processes]', { skip }, () => {
  let temp: Awaited<ReturnType<typeof createTempPostgres>>;
  let admin: Souk;
  const children: ChildProcess[] = [];
  const clients: LiveClient[] = [];
  const prefix = `souk_f${randomBytes(4).toString('hex')}`;

  const startNode = async (): Promise<{ child: ChildProcess; url: string }> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/live-node-process.ts'], {
      env: { ...process.env, DATABASE_URL: temp.url, SOUK_LIVE_SUBJECT_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`node exited ${code}`)));
    });
    return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
  };

  before(async () => {
    temp = await createTempPostgres();
    const live = { ...loadModuleSettings(process.env).live, fanout: 'nats' as const, subjectPrefix: prefix };
    admin = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, natsUrl, live } });
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const child of children) child.kill('SIGKILL');
    await admin.close();
    await temp.drop();
  });

  it('carries a room across processes and resumes A\'s viewers on B after A is killed', { timeout: 120_000 }, async () => {
    const env = { engine: 'postgres' as const, souk: admin, app: admin.app, ownerToken: await loginAsNewOwner(admin) };
    const shop = await createTestPlatform(env, { slug: 'failover', hosts: ['failover.test'], modules: ['live'] });
    const rooms = '/admin/platforms/failover/live/rooms';
    const roomId = (await asBearer(admin.app, shop.adminToken, { method: 'POST', url: rooms, payload: { title: 'Failover' } })).json().id as string;
    assert.equal((await asBearer(admin.app, shop.adminToken, { method: 'POST', url: `${rooms}/${roomId}/start` })).statusCode, 200);
    const customer = await admin.app.inject({ method: 'POST', url: '/store/customers', headers: shop.store, payload: { email: 'poster@failover.test', password: 'customer-password', name: 'Poster' } });
    const token = customer.json().token as string;

    const [a, b] = [await startNode(), await startNode()];
    const join = async (url: string, headers: Record<string, string> = {}, query = '') => {
      const client = await LiveClient.connect(url, roomId, { host: 'failover.test', ...headers }, query);
      clients.push(client);
      await client.welcome();
      return client;
    };
    const watcherA = await join(a.url);
    const posterA = await join(a.url, { authorization: `Bearer ${token}` });
    const watcherB = await join(b.url);

    posterA.send({ type: 'post', text: 'hello from A', ref: 'h' });
    const first = await posterA.next((f) => f.type === 'ack' && f.ref === 'h', 'ack');
    await watcherB.next((f) => f.type === 'message' && messageOf(f).id === first.id, 'A\'s post on B', 15_000);
    await watcherB.next((f) => f.type === 'counts' && f.viewers === 3, 'viewers of both nodes', 15_000);

    await watcherA.next((f) => f.type === 'message' && messageOf(f).id === first.id, 'seen on A');
    const seenUpTo = first.id as string;
    const acked: string[] = [];
    // Four: with the first post, five in the default window of postsPerWindow.
    for (let i = 0; i < 4; i += 1) {
      posterA.send({ type: 'post', text: `burst ${i}`, ref: `b${i}` });
      acked.push((await posterA.next((f) => f.type === 'ack' && f.ref === `b${i}`, `ack ${i}`)).id as string);
    }
    a.child.kill('SIGKILL');
    await waitFor('A\'s sockets to drop', () => watcherA.closed);

    const resumed = await join(b.url, {}, `?since=${seenUpTo}`);
    const welcome = resumed.ofType('welcome')[0]!;
    assert.equal(welcome.resumed, true);
    const ids = (welcome.messages as Array<{ id: string }>).map((m) => m.id);
    assert.deepEqual(ids.filter((id) => acked.includes(id)), acked, 'every acknowledged message after `since`, in order');
    await waitFor('the dead node\'s viewers leave the count', async () => {
      const frames = watcherB.ofType('counts');
      return frames.length > 0 && frames.at(-1)!.viewers === 2;
    }, 20_000);
  });
});
