// The Redis fixed-window limiter keeps memoryRateLimiter's contract, across clients (nodes). Runs when
// REDIS_URL is set (required with SOUK_REQUIRE_SERVICES=1); its keys live under a random prefix, deleted after.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis, deleteKeysWithPrefix, openRedis, type RedisClient } from './redis.ts';
import { redisRateLimiter, syncedRedisRateLimiter } from './rate-limit-redis.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the Redis rate-limit suite cannot run.');
}

describe('redis rate limiter', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  const prefix = `souk-test:${randomBytes(6).toString('hex')}:`;
  const clients: RedisClient[] = [];

  after(async () => {
    const [first] = clients;
    if (first) await deleteKeysWithPrefix(first, prefix);
    await Promise.all(clients.map((c) => closeRedis(c)));
  });

  it('allows `limit` hits per window across nodes, then answers the seconds to wait; the window resets', async () => {
    clients.push(await openRedis({ redisUrl }), await openRedis({ redisUrl }));
    const [a, b] = clients.map((c) => redisRateLimiter(c, prefix));
    // 50 concurrent hits from two nodes on one key with limit 10: exactly 10 pass.
    const waits = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a! : b!).hit('ip:1.2.3.4', 10, 1)));
    assert.equal(waits.filter((w) => w === 0).length, 10);
    assert.ok(waits.filter((w) => w > 0).every((w) => w === 1), `waits: ${waits.join(',')}`);
    // Another key has its own window.
    assert.equal(await a!.hit('ip:5.6.7.8', 10, 1), 0);
    // A longer window answers a longer wait.
    for (let i = 0; i < 2; i++) assert.equal(await a!.hit('device:x', 2, 30), 0);
    const wait = await b!.hit('device:x', 2, 30);
    assert.ok(wait >= 29 && wait <= 30, `wait ${wait}`);
    assert.ok((await clients[0]!.pttl(`${prefix}rl:device:x`)) > 0, 'the window key expires');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await b!.hit('ip:1.2.3.4', 10, 1), 0);
  });

  it('synced: decides in memory, and after a sync each node counts the others’ hits too', async () => {
    clients.push(await openRedis({ redisUrl }), await openRedis({ redisUrl }));
    const [ca, cb] = clients.slice(-2);
    const windowStart = 60_000 * 16_666_667; // a multiple of 60 s: a window starts here
    let t = windowStart;
    const clock = () => t;
    const a = syncedRedisRateLimiter(ca!, prefix, { syncMs: 10_000, now: clock });
    const b = syncedRedisRateLimiter(cb!, prefix, { syncMs: 10_000, now: clock });
    for (let i = 0; i < 6; i++) assert.equal(await a.hit('ip:9.9.9.9', 10, 60), 0);
    await a.flush();
    // B has not synced yet, so it sees only its own hit; its sync brings back the cluster's 7.
    assert.equal(await b.hit('ip:9.9.9.9', 10, 60), 0);
    await b.flush();
    assert.equal(await b.hit('ip:9.9.9.9', 10, 60), 0);
    assert.equal(await b.hit('ip:9.9.9.9', 10, 60), 0);
    assert.equal(await b.hit('ip:9.9.9.9', 10, 60), 0);
    // 6 (A) + 4 (B) = 10: B's next is refused with the rest of the window to wait.
    assert.equal(await b.hit('ip:9.9.9.9', 10, 60), 60);
    await b.flush();
    await a.hit('ip:9.9.9.9', 10, 60);
    await a.flush();
    // A's sync taught it the cluster's count: now A refuses too.
    t += 30_000;
    assert.equal(await a.hit('ip:9.9.9.9', 10, 60), 30);
    assert.equal(Number(await ca!.get(`${prefix}rls:ip:9.9.9.9:${windowStart}`)), 12);
    assert.ok((await ca!.pttl(`${prefix}rls:ip:9.9.9.9:${windowStart}`)) > 0, 'the window key expires');
    // The next window starts empty, but the previous one still weighs what the sliding window covers of
    // it: 13 hits × 0.9 at 6 s in is over the limit, × 0.25 at 45 s in leaves room.
    t = windowStart + 66_000;
    assert.ok((await a.hit('ip:9.9.9.9', 10, 60)) > 0);
    t = windowStart + 105_000;
    assert.equal(await a.hit('ip:9.9.9.9', 10, 60), 0);
    await a.flush();
    // A node that saw none of the previous window learns its total from Redis with its first sync.
    const c = syncedRedisRateLimiter(cb!, prefix, { syncMs: 10_000, now: clock });
    t = windowStart + 61_000;
    assert.equal(await c.hit('ip:9.9.9.9', 10, 60), 0);
    await c.flush();
    t = windowStart + 62_000;
    assert.ok((await c.hit('ip:9.9.9.9', 10, 60)) > 0, 'the previous window (13 hits) still weighs 29/30');
  });

  it('synced: without Redis the node still holds the limit on its own hits', async () => {
    const dead = createRedis({ redisUrl: 'redis://127.0.0.1:1' }, { connectTimeoutMs: 200 });
    try {
      const limiter = syncedRedisRateLimiter(dead, prefix, { syncMs: 5 });
      const waits: number[] = [];
      for (let i = 0; i < 12; i++) waits.push(await limiter.hit('device:lonely', 10, 60));
      assert.equal(waits.filter((w) => w === 0).length, 10);
      assert.ok(waits.slice(10).every((w) => w >= 1));
    } finally {
      dead.disconnect();
    }
  });
});
