// The Redis fixed-window limiter keeps memoryRateLimiter's contract, across clients (nodes). Runs when
// REDIS_URL is set (required with SOUK_REQUIRE_SERVICES=1); its keys live under a random prefix, deleted after.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeRedis, openRedis, type RedisClient } from './redis.ts';
import { redisRateLimiter } from './rate-limit-redis.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the Redis rate-limit suite cannot run.');
}

describe('redis rate limiter', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  const prefix = `souk-test:${randomBytes(6).toString('hex')}:`;
  const clients: RedisClient[] = [];

  after(async () => {
    const [first] = clients;
    if (first) {
      let cursor = '0';
      do {
        const [next, keys] = await first.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await first.del(...keys);
      } while (cursor !== '0');
    }
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
});
