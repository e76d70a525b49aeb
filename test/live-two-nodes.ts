// Two Souks in one process sharing a scratch PostgreSQL database and NATS (and Redis when asked), with a
// platform and a live room started on it: the set-up of every "one room over two nodes" suite.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createSouk, type Souk } from '../src/server.ts';
import { loadModuleSettings } from '../src/kernel/module-settings.ts';
import { asBearer, createTempPostgres, createTestPlatform, loginAsNewOwner, testConfig, type TestEnv, type TestPlatform } from './harness.ts';
import { LiveClient } from './live-client.ts';

const SERVICES = { nats: 'NATS_URL', postgres: 'DATABASE_URL', redis: 'REDIS_URL' } as const;
type Service = keyof typeof SERVICES;

/**
 * The describe() skip reason when a service is missing (false: run). With SOUK_REQUIRE_SERVICES=1 a
 * missing service throws instead, so CI cannot pass by skipping.
 */
export function twoNodeSkip(suite: string, services: Service[]): string | false {
  const missing = services.map((s) => SERVICES[s]).filter((name) => !process.env[name]);
  if (missing.length === 0) return false;
  if (process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error(`SOUK_REQUIRE_SERVICES=1 but ${missing.join(', ')} is not set: the ${suite} suite cannot run.`);
  return `needs ${missing.join(', ')}`;
}

export interface TwoLiveNodes {
  nodes: [Souk, Souk];
  urls: [string, string];
  /** Node 0 as a test environment (its app, an owner token). */
  env: TestEnv;
  slug: string;
  host: string;
  platform: TestPlatform;
  adminToken: string;
  /** A room created and started through node 0. */
  roomId: string;
  /** A socket on one node's room (headers: the host is added), welcomed. */
  join(node: 0 | 1, headers?: Record<string, string>): Promise<LiveClient>;
  /** Closes one node as a deploy would (its viewers are told to go elsewhere); close() skips it after. */
  stop(node: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

export async function startTwoLiveNodes(options: { slug: string; redis?: boolean; settings?: Record<string, unknown>; title?: string; modules?: string[] }): Promise<TwoLiveNodes> {
  const temp = await createTempPostgres();
  const tag = randomBytes(4).toString('hex');
  const live = { ...loadModuleSettings(process.env).live, fanout: 'nats' as const, subjectPrefix: `souk_t.${options.slug.replace(/\W/g, '')}${tag}` };
  const redis = options.redis ? { redisUrl: process.env.REDIS_URL, redisKeyPrefix: `souk_t:${tag}:` } : {};
  const nodes: Souk[] = [];
  const urls: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const souk = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, natsUrl: process.env.NATS_URL, ...redis, live } });
    await souk.app.listen({ port: 0, host: '127.0.0.1' });
    nodes.push(souk);
    urls.push(`http://127.0.0.1:${(souk.app.server.address() as AddressInfo).port}`);
  }
  const env: TestEnv = { engine: 'postgres', souk: nodes[0]!, app: nodes[0]!.app, ownerToken: await loginAsNewOwner(nodes[0]!) };
  const host = `${options.slug}.test`;
  const shop = await createTestPlatform(env, { slug: options.slug, hosts: [host], modules: options.modules ?? ['live'] });
  if (options.settings) {
    const set = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: `/admin/platforms/${options.slug}`, payload: { settings: options.settings } });
    assert.equal(set.statusCode, 200, set.body);
  }
  await nodes[1]!.ctx.platforms.reload();
  const created = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `/admin/platforms/${options.slug}/live/rooms`, payload: { title: options.title ?? 'Two nodes' } });
  assert.equal(created.statusCode, 201, created.body);
  const roomId = created.json().id as string;
  const started = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `/admin/platforms/${options.slug}/live/rooms/${roomId}/start` });
  assert.equal(started.statusCode, 200, started.body);

  const clients: LiveClient[] = [];
  const stopped = new Set<Souk>();
  return {
    nodes: [nodes[0]!, nodes[1]!],
    urls: [urls[0]!, urls[1]!],
    env,
    slug: options.slug,
    host,
    platform: shop,
    adminToken: shop.adminToken,
    roomId,
    async join(node, headers = {}) {
      const client = await LiveClient.connect(urls[node]!, roomId, { host, ...headers });
      clients.push(client);
      await client.welcome();
      return client;
    },
    async stop(node) {
      stopped.add(nodes[node]!);
      await nodes[node]!.close();
    },
    async close() {
      for (const client of clients) client.close();
      for (const souk of nodes) if (!stopped.has(souk)) await souk.close();
      await temp.drop();
    },
  };
}
