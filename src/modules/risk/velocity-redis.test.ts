// Velocity counters shared through Redis: two nodes' counts add up once each has synced, a window that
// ends with hits unsent still gets them, the previous window's cluster total weighs in, and Redis being
// away loses nothing. Then two Souks with REDIS_URL on one PostgreSQL: a device seen on both nodes counts
// the decisions of both. Keys live under a random prefix, deleted after.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis, deleteKeysWithPrefix, openRedis, type RedisClient } from '../../kernel/redis.ts';
import { openPostgres } from '../../kernel/db/postgres.ts';
import { createSouk } from '../../server.ts';
import { asBearer, createTestPlatform, engines, loginAsNewOwner, startTestSouk, testConfig, type TestEnv } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { riskModule, riskService } from './index.ts';
import { SlidingCounters } from './signals/velocity.ts';
import { CounterSync } from './signals/velocity-redis.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the shared velocity suite cannot run.');

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('velocity counters shared through Redis', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  const prefix = `souk-test:${randomBytes(6).toString('hex')}:`;
  const clients: RedisClient[] = [];
  after(async () => {
    if (clients[0]) await deleteKeysWithPrefix(clients[0], prefix);
    await Promise.all(clients.map((c) => closeRedis(c)));
  });

  /** A node: its own counters and sync (no timer: the test syncs by hand). */
  async function node() {
    const redis = await openRedis({ redisUrl });
    clients.push(redis);
    const counters = new SlidingCounters();
    const sync = new CounterSync(counters, redis, { prefix });
    const [map] = counters.scope('platform|coupon', 1);
    const out = [0, 0, 0];
    return { sync, hit: (key: string, now: number) => (counters.hit(map!, key, now, out), [...out]) };
  }

  it('adds up what two nodes counted, from the first decision after a sync', async () => {
    const [a, b] = [await node(), await node()];
    const t = 1_800_000_000_000 - (1_800_000_000_000 % 86_400_000) + 1000; // early in a day, minute and hour
    for (let i = 0; i < 5; i++) a.hit('dev-1', t + i);
    for (let i = 0; i < 3; i++) b.hit('dev-1', t + i);
    assert.deepEqual(a.hit('dev-1', t + 10), [6, 6, 6], 'before a sync each node sees its own');
    await a.sync.sync();
    await b.sync.sync();
    assert.deepEqual(b.hit('dev-1', t + 20), [10, 10, 10], 'B sees A’s six and its own four');
    await b.sync.sync();
    await a.sync.sync(true);
    assert.deepEqual(a.hit('dev-1', t + 30), [11, 11, 11], 'A had no new hit, but reads back the key it sent');
    assert.deepEqual(a.hit('dev-2', t + 30), [1, 1, 1], 'another key counts apart');
  });

  it('sends hits of a window that ended unsent, and reads the previous window’s cluster total', async () => {
    const [a, b] = [await node(), await node()];
    const minute = 60_000;
    const t = 1_800_000_000_000 - (1_800_000_000_000 % 86_400_000) + 10 * minute; // a minute boundary
    for (let i = 0; i < 4; i++) a.hit('dev-9', t + i); // never synced inside its minute
    for (let i = 0; i < 6; i++) b.hit('dev-9', t + i);
    await b.sync.sync();
    // Half into the next minute: A's four are sent late, to the minute they belong to.
    assert.deepEqual(a.hit('dev-9', t + 1.5 * minute), [1 + Math.round(4 * 0.5), 5, 5], 'A alone, before syncing');
    await a.sync.sync();
    await a.sync.sync();
    assert.deepEqual(a.hit('dev-9', t + 1.5 * minute + 1), [2 + Math.round(10 * 0.5), 12, 12], 'the last minute is the cluster’s ten, half-weighted');
  });

  it('keeps counting while Redis is away, and sends what it counted when it is back', async () => {
    const redis = createRedis({ redisUrl: 'redis://127.0.0.1:1' }, { connectTimeoutMs: 100 });
    const counters = new SlidingCounters();
    const errors: unknown[] = [];
    const away = new CounterSync(counters, redis, { prefix, onError: (e) => errors.push(e) });
    const [map] = counters.scope('platform|login', 1);
    const out = [0, 0, 0];
    for (let i = 0; i < 3; i++) counters.hit(map!, 'ip-1', Date.now(), out);
    await away.sync();
    assert.ok(errors.length > 0);
    assert.deepEqual(out, [3, 3, 3]);
    redis.disconnect();
    // The same counters behind a working client: the three unsent hits go out with the next one.
    const working = await openRedis({ redisUrl });
    clients.push(working);
    const back = new CounterSync(counters, working, { prefix });
    counters.hit(map!, 'ip-1', Date.now(), out);
    await back.sync();
    const [key] = await working.keys(`${prefix}rv:platform|login|0:60000:*`);
    assert.equal(await working.get(key!), '4');
  });
});

describe('two Souks with REDIS_URL count each other’s decisions', { skip: redisUrl && engines().includes('postgres') ? false : 'REDIS_URL or DATABASE_URL is not set' }, () => {
  it('a device seen on both nodes counts the decisions of both', async () => {
    const redisKeyPrefix = `souk-test:${randomBytes(6).toString('hex')}:`;
    const a = await startTestSouk('postgres', { redisUrl, redisKeyPrefix });
    const url = a.souk.config.databaseUrl!;
    const bDatabase = await openPostgres(url, 2);
    const b = await createSouk({ database: bDatabase, logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: url, redisUrl, redisKeyPrefix } });
    try {
      const env = { engine: 'postgres', souk: a.souk, app: a.souk.app, ownerToken: await loginAsNewOwner(a.souk) } as TestEnv;
      const shop = await createTestPlatform(env, { slug: 'risk-shared-velocity', modules: ['catalog', 'risk'] });
      await waitFor('node B to know the platform', () => b.ctx.platforms.bySlug('risk-shared-velocity') !== undefined, 3000);
      const runtimes = [a.souk.runtimeOf(riskModule), b.runtimeOf(riskModule)];
      const [onA, onB] = runtimes.map((runtime) => riskService({ runtime, events: a.souk.ctx.events }));
      const pdbA = a.souk.ctx.platformDb(shop.platform.id);
      const pdbB = b.ctx.platformDb(shop.platform.id);
      const input = { deviceId: 'dev-both', userAgent: CHROME, ip: '192.0.2.50' };
      for (let i = 0; i < 4; i++) await onA!.decide(pdbA, 'signup', input);
      for (let i = 0; i < 3; i++) await onB!.decide(pdbB, 'signup', input);
      // The timers sync every 100 ms; the test does not wait on them.
      for (const runtime of runtimes) await runtime.counterSync!.sync();
      for (const runtime of runtimes) await runtime.counterSync!.sync();
      const seen = await onB!.decide(pdbB, 'signup', input);
      assert.equal(seen.signals.velocity_device_24h, 8, 'four on A, three and this one on B');
      await runtimes[1]!.counterSync!.sync();
      await runtimes[0]!.counterSync!.sync(true);
      const onAgain = await onA!.decide(pdbA, 'signup', input);
      assert.equal(onAgain.signals.velocity_device_24h, 9);
      // And the admin API on A explains a decision with the shared counts.
      const tried = await asBearer(a.souk.app, shop.adminToken, { url: `/admin/platforms/risk-shared-velocity/risk/decisions?deviceId=dev-both&limit=1` });
      assert.equal(tried.statusCode, 200, tried.body);
    } finally {
      await b.close();
      await bDatabase.close();
      await a.close();
      const cleaner = await openRedis({ redisUrl });
      await deleteKeysWithPrefix(cleaner, redisKeyPrefix);
      await closeRedis(cleaner);
    }
  });
});
