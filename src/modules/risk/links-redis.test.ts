// Account links shared through Redis: two nodes that each saw some of the accounts on one device report
// the same cluster size once both have synced, and a node that saw none of a key's accounts learns them
// on its first touch's sync. Real Redis, keys under a random prefix, deleted after.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeRedis, deleteKeysWithPrefix, openRedis, type RedisClient } from '../../kernel/redis.ts';
import { AccountLinks } from './signals/links.ts';
import { LinkSync } from './signals/links-redis.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the shared links suite cannot run.');

describe('account links shared through Redis', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  const prefix = `souk-test:${randomBytes(6).toString('hex')}:`;
  const clients: RedisClient[] = [];
  after(async () => {
    if (clients[0]) await deleteKeysWithPrefix(clients[0], prefix);
    await Promise.all(clients.map((c) => closeRedis(c)));
  });

  async function node() {
    const redis = await openRedis({ redisUrl });
    clients.push(redis);
    const links = new AccountLinks();
    const sync = new LinkSync(links, redis, { prefix });
    const out = [0, 0, 0, 0];
    /** Links the account on (device, ip, address, card fingerprint) and returns the counts. */
    const link = (account: string, device?: string, ip?: string, address?: string, card?: string) => (links.link('platform-1', account, [device, ip, address, card], out), [...out]);
    return { sync, link };
  }

  it('reports the same cluster size on two nodes after a sync', async () => {
    const [a, b] = [await node(), await node()];
    a.link('acct-1', 'dev-shared', '203.0.113.1', undefined, 'sbxfp_card');
    a.link('acct-2', 'dev-shared', '203.0.113.1', undefined, 'sbxfp_card');
    a.link('acct-3', 'dev-shared', '203.0.113.2');
    assert.deepEqual(b.link('acct-4', 'dev-shared', '203.0.113.1', undefined, 'sbxfp_card'), [1, 1, 0, 1], 'before a sync B sees its own');
    await a.sync.sync();
    await b.sync.sync();
    const onB = b.link('acct-4', 'dev-shared', '203.0.113.1', undefined, 'sbxfp_card');
    await a.sync.sync(true);
    const onA = a.link('acct-1', 'dev-shared', '203.0.113.1', undefined, 'sbxfp_card');
    assert.deepEqual(onB, [4, 3, 0, 3], 'B: four accounts on the device, three on the IP and on the card');
    assert.deepEqual(onA, onB, 'A agrees: it reads back the keys it touched in the last minute');
    assert.deepEqual(a.link('acct-9', 'dev-own'), [1, 0, 0, 0], 'another device stands apart');
    // A node that never saw the device learns it on its first touch's sync.
    const c = await node();
    assert.deepEqual(c.link('acct-1', 'dev-shared'), [1, 0, 0, 0]);
    await c.sync.sync();
    assert.deepEqual(c.link('acct-1', 'dev-shared'), [4, 0, 0, 0]);
    await Promise.all([a.sync.stop(), b.sync.stop(), c.sync.stop()]);
  });
});
