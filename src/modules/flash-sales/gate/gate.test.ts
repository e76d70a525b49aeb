// The stock gate's contract, on both implementations: the in-process one always, the Redis one when
// REDIS_URL is set (required with SOUK_REQUIRE_SERVICES=1). Each Redis test works under its own random key
// prefix and deletes only its own keys: other suites may share the server, so no FLUSHALL/FLUSHDB — a
// "restart" (Redis keeps nothing on disk) is simulated by deleting the prefix's keys.
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeRedis, deleteKeysWithPrefix, openRedis, type RedisClient } from '../../../kernel/redis.ts';
import { prng } from '../../../../test/prng.ts';
import { gateFor, memoryGate, redisGate } from './index.ts';
import type { GateState, StockGate } from './types.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the Redis gate suites cannot run.');
}

interface Harness {
  /** The gate under test and, for Redis, a second one on its own connection (another API node). */
  gate: StockGate;
  peer: StockGate;
  /** Everything the gate held is lost, as when the process (memory) or the Redis server restarts. */
  restart(): Promise<StockGate>;
  cleanup(): Promise<void>;
}

interface Impl {
  name: 'memory' | 'redis';
  skip: string | false;
  make(): Promise<Harness>;
}

const clients: RedisClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => closeRedis(c)));
});

async function client(): Promise<RedisClient> {
  const c = await openRedis({ redisUrl });
  clients.push(c);
  return c;
}

const impls: Impl[] = [
  {
    name: 'memory',
    skip: false,
    async make() {
      let gate = memoryGate();
      return {
        gate,
        peer: gate,
        async restart() {
          await gate.close();
          gate = memoryGate();
          return gate;
        },
        async cleanup() {
          await gate.close();
        },
      };
    },
  },
  {
    name: 'redis',
    skip: redisUrl ? false : 'REDIS_URL is not set',
    async make() {
      const prefix = `souk-test:${randomBytes(6).toString('hex')}:`;
      const [a, b] = await Promise.all([client(), client()]);
      const gate = redisGate(a, { prefix });
      const peer = redisGate(b, { prefix });
      return {
        gate,
        peer,
        async restart() {
          await deleteKeysWithPrefix(a, prefix);
          return gate;
        },
        async cleanup() {
          await deleteKeysWithPrefix(a, prefix);
          assert.equal((await a.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000))[1].length, 0);
        },
      };
    },
  },
];

function saleId(): string {
  return `sale_${randomBytes(5).toString('hex')}`;
}

const take = (gate: StockGate, sale: string, epoch: number, customerId: string, ticketId: string, extra: { variantId?: string; quantity?: number; burstMs?: number; nodeId?: string } = {}) =>
  gate.take(sale, { epoch, variantId: extra.variantId ?? 'v1', customerId, quantity: extra.quantity ?? 1, ticketId, burstMs: extra.burstMs ?? 0, nodeId: extra.nodeId ?? 'n1' });

const state = (epoch: number, remaining: Record<string, number>, perCustomerLimit: number | null = null, bought: Record<string, number> = {}): GateState =>
  ({ epoch, perCustomerLimit, remaining, bought });

for (const impl of impls) {
  describe(`stock gate [${impl.name}]`, { skip: impl.skip }, () => {
    async function withGate(fn: (h: Harness) => Promise<void>): Promise<void> {
      const h = await impl.make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    }

    it('10,000 concurrent takes from 5,000 customers on 1,000 units (2 variants), limit 2: exactly 1,000 taken, nobody over 2', (t: TestContext) => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { va: 600, vb: 400 }, 2));
      const random = prng(5);
      const requests = Array.from({ length: 10_000 }, (_, i) => ({
        customerId: `c${i % 5000}`,
        variantId: random() < 0.5 ? 'va' : 'vb',
        quantity: random() < 0.1 ? 2 : 1,
        ticketId: `t${i}`,
      }));
      for (let i = requests.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [requests[i], requests[j]] = [requests[j]!, requests[i]!];
      }
      const started = performance.now();
      // Two gates on two connections for Redis: two API nodes hitting one truth at once.
      const outcomes = await Promise.all(requests.map((r, i) => (i % 2 ? peer : gate).take(sale, { epoch: 1, burstMs: 0, nodeId: i % 2 ? 'n2' : 'n1', ...r })));
      const ms = performance.now() - started;
      t.diagnostic(`${impl.name}: 10,000 concurrent takes in ${ms.toFixed(1)} ms = ${Math.round(10_000 / (ms / 1000))} takes/s`);

      const held = new Map<string, number>();
      const taken = { va: 0, vb: 0 };
      const byReason: Record<string, number> = {};
      outcomes.forEach((o, i) => {
        const r = requests[i]!;
        if (o.ok) {
          assert.equal(o.ticketId, r.ticketId);
          assert.ok(o.remaining >= 0);
          held.set(r.customerId, (held.get(r.customerId) ?? 0) + r.quantity);
          taken[r.variantId as 'va' | 'vb'] += r.quantity;
        } else {
          byReason[o.reason] = (byReason[o.reason] ?? 0) + 1;
        }
      });
      assert.equal(taken.va, 600);
      assert.equal(taken.vb, 400);
      for (const [customer, units] of held) assert.ok(units <= 2, `${customer} holds ${units}`);
      assert.deepEqual(Object.keys(byReason).sort().filter((k) => k !== 'sold_out' && k !== 'limit_reached'), []);

      const snap = await gate.snapshot(sale);
      assert.deepEqual(snap?.remaining, { va: 0, vb: 0 });
      assert.deepEqual(snap?.bought, Object.fromEntries(held));
      assert.equal(snap?.perCustomerLimit, 2);
      assert.equal(snap?.epoch, 1);

      const won = outcomes.filter((o) => o.ok).length;
      const c = await gate.counters(sale);
      assert.deepEqual(c, { attempts: 10_000, admitted: 10_000, won, soldOut: byReason.sold_out ?? 0, limitReached: byReason.limit_reached ?? 0, duplicates: 0, refused: 0, returned: 0 });
      assert.equal(c.won + c.soldOut + c.limitReached + c.duplicates, c.admitted);
    }));

    it('sequential take throughput (one await per take)', (t: TestContext) => withGate(async ({ gate }) => {
      const sale = saleId();
      const n = impl.name === 'memory' ? 200_000 : 5_000;
      await gate.load(sale, state(1, { v1: n }, null));
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        const o = await take(gate, sale, 1, `c${i}`, `t${i}`, { burstMs: 1000 });
        if (!o.ok) assert.fail(`take ${i}: ${o.reason}`);
      }
      const ms = performance.now() - started;
      t.diagnostic(`${impl.name}: ${n} sequential takes in ${ms.toFixed(1)} ms = ${Math.round(n / (ms / 1000))} takes/s`);
      assert.deepEqual((await gate.snapshot(sale))?.remaining, { v1: 0 });
    }));

    it('a second take by the same customer within burstMs returns the first ticket; after it, a fresh take', () => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 10 }, 3));
      // A double click lands on two nodes at once: one wins, the other is told the winner's ticket.
      const [a, b] = await Promise.all([take(gate, sale, 1, 'alice', 'ta', { burstMs: 150 }), take(peer, sale, 1, 'alice', 'tb', { burstMs: 150 })]);
      const winner = a.ok ? 'ta' : 'tb';
      assert.deepEqual([a, b].filter((o) => o.ok), [{ ok: true, ticketId: winner, remaining: 9 }]);
      assert.deepEqual([a, b].filter((o) => !o.ok), [{ ok: false, reason: 'duplicate', ticketId: winner }]);
      // Another variant, another customer: not a duplicate.
      assert.equal((await take(gate, sale, 1, 'bob', 'tc', { burstMs: 150 })).ok, true);
      assert.deepEqual(await take(gate, sale, 1, 'alice', 'td', { variantId: 'v1', burstMs: 150 }), { ok: false, reason: 'duplicate', ticketId: winner });
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual(await take(gate, sale, 1, 'alice', 'te', { burstMs: 150 }), { ok: true, ticketId: 'te', remaining: 7 });
      assert.deepEqual((await gate.snapshot(sale))?.bought, { alice: 2, bob: 1 });
      const c = await gate.counters(sale);
      assert.deepEqual(c, { attempts: 5, admitted: 5, won: 3, soldOut: 0, limitReached: 0, duplicates: 2, refused: 0, returned: 0 });
    }));

    it('limit is checked before stock, and counts units across variants', () => withGate(async ({ gate }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 5, v2: 0 }, 2, { carol: 1 }));
      assert.deepEqual(await take(gate, sale, 1, 'carol', 't1', { quantity: 2 }), { ok: false, reason: 'limit_reached' });
      assert.deepEqual(await take(gate, sale, 1, 'carol', 't2', { variantId: 'v2' }), { ok: false, reason: 'sold_out', held: 1 });
      assert.deepEqual(await take(gate, sale, 1, 'carol', 't3'), { ok: true, ticketId: 't3', remaining: 4 });
      assert.deepEqual(await take(gate, sale, 1, 'carol', 't4', { variantId: 'v2' }), { ok: false, reason: 'limit_reached' });
      assert.deepEqual(await take(gate, sale, 1, 'dave', 't5', { variantId: 'unknown' }), { ok: false, reason: 'sold_out', held: 0 });
      assert.deepEqual(await take(gate, sale, 1, 'dave', 't6', { quantity: 5 }), { ok: false, reason: 'limit_reached' });
      await assert.rejects(take(gate, sale, 1, 'dave', 't7', { quantity: 0 }), RangeError);
      // No limit at all.
      const open = saleId();
      await gate.load(open, state(1, { v1: 5 }, null));
      assert.deepEqual(await take(gate, open, 1, 'erin', 't8', { quantity: 5 }), { ok: true, ticketId: 't8', remaining: 0 });
      await gate.drop(open);
    }));

    it('giveBack makes a unit takeable again', () => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 1 }, 1));
      assert.deepEqual(await take(gate, sale, 1, 'alice', 'ta', { burstMs: 60_000 }), { ok: true, ticketId: 'ta', remaining: 0 });
      assert.deepEqual(await take(gate, sale, 1, 'bob', 'tb'), { ok: false, reason: 'sold_out', held: 0 });
      assert.equal(await gate.giveBack(sale, { epoch: 2, variantId: 'v1', customerId: 'alice', quantity: 1 }), false);
      assert.equal(await gate.giveBack(sale, { epoch: 1, variantId: 'nope', customerId: 'alice', quantity: 1 }), false);
      assert.equal(await peer.giveBack(sale, { epoch: 1, variantId: 'v1', customerId: 'alice', quantity: 1 }), true);
      assert.deepEqual(await gate.snapshot(sale), state(1, { v1: 1 }, 1, {}));
      assert.deepEqual(await take(gate, sale, 1, 'bob', 'tb2'), { ok: true, ticketId: 'tb2', remaining: 0 });
      // Alice's burst went with her unit: her next click is a real attempt (sold out now), not "duplicate".
      assert.deepEqual(await take(gate, sale, 1, 'alice', 'ta2', { burstMs: 60_000 }), { ok: false, reason: 'sold_out', held: 0 });
      assert.equal(await gate.giveBack(sale, { epoch: 1, variantId: 'v1', customerId: 'bob', quantity: 1 }), true);
      assert.deepEqual(await take(gate, sale, 1, 'alice', 'ta3'), { ok: true, ticketId: 'ta3', remaining: 0 });
      assert.deepEqual(await gate.counters(sale), { attempts: 5, admitted: 5, won: 3, soldOut: 2, limitReached: 0, duplicates: 0, refused: 0, returned: 2 });
    }));

    it('winning takes are in flight under their node until settled or given back; a reload forgets them', () => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 10 }, 3));
      await take(gate, sale, 1, 'alice', 'ta', { nodeId: 'n1' });
      await take(peer, sale, 1, 'bob', 'tb', { nodeId: 'n2' });
      await take(peer, sale, 1, 'carol', 'tc', { nodeId: 'n2' });
      await take(gate, sale, 1, 'dave', 'td', { nodeId: 'n2', quantity: 2 });
      assert.equal((await take(gate, sale, 1, 'erin', 'te', { nodeId: 'n1', quantity: 4 })).ok, false, 'a refused take is not in flight');
      assert.deepEqual(await gate.inFlight(sale), { n1: 1, n2: 3 });
      assert.equal(await gate.held(sale, 1, 'dave'), 2);
      assert.equal(await gate.held(sale, 1, 'erin'), 0);
      assert.equal(await gate.held(sale, 1, 'bob'), 1);
      assert.equal(await gate.held(sale, 2, 'bob'), 0, 'another epoch holds nothing');
      await peer.settle(sale, 1, ['tb', 'ta', 'td']);
      await gate.settle(sale, 2, ['tc']);
      assert.deepEqual(await gate.inFlight(sale), { n2: 1 }, 'a settle under another epoch clears nothing');
      assert.equal(await gate.giveBack(sale, { epoch: 1, variantId: 'v1', customerId: 'carol', quantity: 1, ticketId: 'tc' }), true);
      assert.deepEqual(await gate.inFlight(sale), {});
      await take(gate, sale, 1, 'frank', 'tf', { nodeId: 'n2' });
      await peer.load(sale, state(2, { v1: 8 }, 3, { alice: 1, bob: 1 }));
      assert.deepEqual(await gate.inFlight(sale), {}, 'a rebuild counted the tickets; old takes are void');
      assert.deepEqual(await gate.inFlight(saleId()), {}, 'not loaded: nothing in flight');
    }));

    it('a load under a new epoch makes the older epoch stale; a late older load is ignored', () => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 10 }, 2));
      assert.equal((await take(gate, sale, 1, 'alice', 't1', { burstMs: 60_000 })).ok, true);
      await peer.load(sale, state(2, { v1: 9 }, 2, { alice: 1 }));
      assert.deepEqual(await take(gate, sale, 1, 'bob', 't2'), { ok: false, reason: 'stale_epoch' });
      assert.deepEqual(await take(gate, sale, 3, 'bob', 't3'), { ok: false, reason: 'stale_epoch' });
      assert.equal(await gate.giveBack(sale, { epoch: 1, variantId: 'v1', customerId: 'alice', quantity: 1 }), false);
      assert.deepEqual(await take(gate, sale, 2, 'bob', 't4'), { ok: true, ticketId: 't4', remaining: 8 });
      // The bought map survives the reload: alice has one left of her two.
      assert.deepEqual(await take(gate, sale, 2, 'alice', 't5', { quantity: 2 }), { ok: false, reason: 'limit_reached' });
      await gate.load(sale, state(1, { v1: 10 }, 2));
      assert.deepEqual(await gate.snapshot(sale), state(2, { v1: 8 }, 2, { alice: 1, bob: 1 }));
      // Counters outlive reloads; stale calls are not counted (the caller retries them).
      assert.deepEqual(await gate.counters(sale), { attempts: 3, admitted: 3, won: 2, soldOut: 0, limitReached: 1, duplicates: 0, refused: 0, returned: 0 });
    }));

    it('after a restart (state lost) every call answers not_loaded until a load', () => withGate(async (h) => {
      const sale = saleId();
      await h.gate.load(sale, state(4, { v1: 3 }, 1));
      assert.equal((await take(h.gate, sale, 4, 'alice', 't1')).ok, true);
      const gate = await h.restart();
      assert.deepEqual(await take(gate, sale, 4, 'bob', 't2'), { ok: false, reason: 'not_loaded' });
      assert.equal(await gate.giveBack(sale, { epoch: 4, variantId: 'v1', customerId: 'alice', quantity: 1 }), false);
      assert.equal(await gate.snapshot(sale), undefined);
      assert.deepEqual(await gate.counters(sale), { attempts: 0, admitted: 0, won: 0, soldOut: 0, limitReached: 0, duplicates: 0, refused: 0, returned: 0 });
      await gate.load(sale, state(5, { v1: 2 }, 1, { alice: 1 }));
      assert.deepEqual(await take(gate, sale, 5, 'alice', 't3'), { ok: false, reason: 'limit_reached' });
      assert.deepEqual(await take(gate, sale, 5, 'bob', 't4'), { ok: true, ticketId: 't4', remaining: 1 });
    }));

    it('drop forgets the sale and its counters; other sales are untouched', () => withGate(async ({ gate }) => {
      const [one, two] = [saleId(), saleId()];
      await gate.load(one, state(1, { v1: 2 }, null));
      await gate.load(two, state(1, { v1: 2 }, null));
      await take(gate, one, 1, 'a', 't1');
      await take(gate, two, 1, 'a', 't2');
      await gate.drop(one);
      assert.equal(await gate.snapshot(one), undefined);
      assert.deepEqual(await take(gate, one, 1, 'b', 't3'), { ok: false, reason: 'not_loaded' });
      assert.equal((await gate.counters(one)).attempts, 0);
      assert.deepEqual((await gate.snapshot(two))?.remaining, { v1: 1 });
      assert.equal((await gate.counters(two)).won, 1);
    }));

    it('answers given before the gate are tallied into the same counters, from any node', () => withGate(async ({ gate, peer }) => {
      const sale = saleId();
      await gate.load(sale, state(1, { v1: 1 }, 1));
      await take(gate, sale, 1, 'alice', 't1');
      await take(peer, sale, 1, 'bob', 't2');
      await gate.tally(sale, { earlySoldOut: 5, refused: 1 });
      await peer.tally(sale, { earlySoldOut: 2, earlyLimitReached: 3 });
      assert.deepEqual(await gate.counters(sale), { attempts: 13, admitted: 2, won: 1, soldOut: 8, limitReached: 3, duplicates: 0, refused: 1, returned: 0 });
      await gate.drop(sale);
      await peer.tally(sale, { earlySoldOut: 4 });
      assert.equal((await gate.counters(sale)).attempts, 0, 'a late tally does not bring a dropped sale back');
    }));

    it('a load carries thousands of customers (a rebuild mid-sale)', () => withGate(async ({ gate }) => {
      const sale = saleId();
      const bought = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${i}`, 1 + (i % 2)]));
      const remaining = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`v${i}`, i % 3]));
      await gate.load(sale, state(7, remaining, 2, bought));
      assert.deepEqual(await gate.snapshot(sale), state(7, remaining, 2, bought));
      assert.deepEqual(await take(gate, sale, 7, 'c1', 't1', { variantId: 'v1' }), { ok: false, reason: 'limit_reached' });
      assert.deepEqual(await take(gate, sale, 7, 'c0', 't2', { variantId: 'v1' }), { ok: true, ticketId: 't2', remaining: 0 });
    }));
  });
}

describe('gateFor', () => {
  it('picks the in-process gate without REDIS_URL', () => {
    assert.equal(gateFor({ redisUrl: undefined, redisKeyPrefix: 'souk:' }).kind, 'memory');
  });

  it('picks the Redis gate with a client (left open on close) or a URL (its own client)', { skip: redisUrl ? false : 'REDIS_URL is not set' }, async () => {
    const shared = await client();
    const withClient = gateFor({ redisUrl: undefined, redisKeyPrefix: 'souk-test:' }, shared);
    assert.equal(withClient.kind, 'redis');
    await withClient.close();
    assert.equal(shared.status, 'ready', 'a client passed in stays open');
    const own = gateFor({ redisUrl, redisKeyPrefix: `souk-test:${randomBytes(6).toString('hex')}:` });
    assert.equal(own.kind, 'redis');
    assert.equal(await own.snapshot('none'), undefined);
    await own.close();
  });
});

