// The Redis stock gate: one Lua script per operation, so each take is one EVALSHA round trip and atomic on
// the server however many API nodes share the sale. Keys (prefix = config.redisKeyPrefix):
//   {prefix}fs:{<saleId>}:epoch                 string  the loaded epoch
//   {prefix}fs:{<saleId>}:counters              hash    outcome counters (outlive reloads; dropped with the sale)
//   {prefix}fs:{<saleId>}:<epoch>:meta          hash    limit (-1 = none); its presence means "this epoch is loaded"
//   {prefix}fs:{<saleId>}:<epoch>:stock         hash    variantId → units left
//   {prefix}fs:{<saleId>}:<epoch>:bought        hash    customerId → units held
//   {prefix}fs:{<saleId>}:<epoch>:burst:<cust>  string  ticket of the customer's last win, PX burstMs
//   {prefix}fs:{<saleId>}:<epoch>:inflight      hash    ticketId → node that took it, until its ticket's fate is known
// The braces are a Redis Cluster hash tag: every key of a sale lives in one slot, so scripts may touch the
// previous epoch's keys (derived from the key base) as well as those they declare. Redis here keeps nothing
// on disk: after a restart the epoch key is gone and every call answers not_loaded until a rebuild.
import type { RedisClient } from '../../../kernel/redis.ts';
import { closeRedis } from '../../../kernel/redis.ts';
import { badQuantity } from './memory.ts';
import { saleCounters, type CounterField, type GateState, type StockGate, type TakeOutcome } from './types.ts';

// KEYS: epoch, meta, stock, bought (of the new epoch). ARGV: base, epoch, limit, nStock, stock pairs…, bought pairs…
// An older epoch than the one loaded is ignored (a late load from a superseded rebuild); an equal one replaces.
const LOAD_LUA = `
local current = redis.call('GET', KEYS[1])
local epoch = tonumber(ARGV[2])
if current then
  if tonumber(current) > epoch then return 0 end
  redis.call('DEL', ARGV[1] .. current .. ':meta', ARGV[1] .. current .. ':stock', ARGV[1] .. current .. ':bought', ARGV[1] .. current .. ':inflight')
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], ARGV[1] .. ARGV[2] .. ':inflight')
local stockEnd = 4 + 2 * tonumber(ARGV[4])
local i = 5
while i <= stockEnd do
  local last = math.min(i + 999, stockEnd)
  redis.call('HSET', KEYS[3], unpack(ARGV, i, last))
  i = last + 1
end
while i <= #ARGV do
  local last = math.min(i + 999, #ARGV)
  redis.call('HSET', KEYS[4], unpack(ARGV, i, last))
  i = last + 1
end
redis.call('HSET', KEYS[2], 'limit', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

// KEYS: epoch, meta, stock, bought, burst, counters, inflight. ARGV: epoch, variantId, customerId, quantity, ticketId,
// burstMs, nodeId. Returns {code[, value]}: 1 ok + remaining, 2 duplicate + earlier ticket, 3 sold_out + units the
// customer holds, 4 limit_reached,
// 5 stale_epoch, 6 not_loaded. Stale and not-loaded calls are not counted (the caller retries them), so
// attempts is the sum of the four outcomes: counters() adds them up instead of paying a write per take.
const TAKE_LUA = `
local current = redis.call('GET', KEYS[1])
if not current then return {6} end
if current ~= ARGV[1] then return {5} end
local limit = redis.call('HGET', KEYS[2], 'limit')
if not limit then return {6} end
local earlier = redis.call('GET', KEYS[5])
if earlier then
  redis.call('HINCRBY', KEYS[6], 'duplicates', 1)
  return {2, earlier}
end
local quantity = tonumber(ARGV[4])
limit = tonumber(limit)
local held = tonumber(redis.call('HGET', KEYS[4], ARGV[3]) or '0')
if limit >= 0 and held + quantity > limit then
  redis.call('HINCRBY', KEYS[6], 'limitReached', 1)
  return {4}
end
if tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0') < quantity then
  redis.call('HINCRBY', KEYS[6], 'soldOut', 1)
  return {3, held}
end
local after = redis.call('HINCRBY', KEYS[3], ARGV[2], -quantity)
redis.call('HINCRBY', KEYS[4], ARGV[3], quantity)
if tonumber(ARGV[6]) > 0 then redis.call('SET', KEYS[5], ARGV[5], 'PX', ARGV[6]) end
redis.call('HSET', KEYS[7], ARGV[5], ARGV[7])
redis.call('HINCRBY', KEYS[6], 'won', 1)
return {1, after}
`;

// KEYS: epoch, meta, stock, bought, burst, counters, inflight. ARGV: epoch, variantId, customerId, quantity, ticketId
// ('' for a unit that was not in flight). Returns 1 or 0. The burst key goes too: the returned unit's ticket is
// void, so the next click tries afresh.
const GIVE_BACK_LUA = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return 0 end
local quantity = tonumber(ARGV[4])
redis.call('HINCRBY', KEYS[3], ARGV[2], quantity)
if redis.call('HINCRBY', KEYS[4], ARGV[3], -quantity) <= 0 then redis.call('HDEL', KEYS[4], ARGV[3]) end
redis.call('DEL', KEYS[5])
if ARGV[5] ~= '' then redis.call('HDEL', KEYS[7], ARGV[5]) end
redis.call('HINCRBY', KEYS[6], 'returned', quantity)
return 1
`;

// KEYS: epoch. ARGV: base. Returns false when not loaded, else {epoch, limit, stock flat, bought flat}.
const SNAPSHOT_LUA = `
local current = redis.call('GET', KEYS[1])
if not current then return false end
local limit = redis.call('HGET', ARGV[1] .. current .. ':meta', 'limit')
if not limit then return false end
return {current, limit, redis.call('HGETALL', ARGV[1] .. current .. ':stock'), redis.call('HGETALL', ARGV[1] .. current .. ':bought')}
`;

// KEYS: epoch. ARGV: base. The nodes of the takes in flight under the loaded epoch, one per take.
const IN_FLIGHT_LUA = `
local current = redis.call('GET', KEYS[1])
if not current then return {} end
return redis.call('HVALS', ARGV[1] .. current .. ':inflight')
`;

// KEYS: epoch, counters. ARGV: base. Burst keys are left to expire (they live burstMs).
const DROP_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  redis.call('DEL', ARGV[1] .. current .. ':meta', ARGV[1] .. current .. ':stock', ARGV[1] .. current .. ':bought', ARGV[1] .. current .. ':inflight')
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;

// KEYS: epoch, counters. ARGV: field, n, field, n, … Only while the sale is loaded, so answers counted
// just before a drop (the end of the sale) do not bring its counters back.
const TALLY_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
`;

type Arg = string | number;
interface GateCommands {
  soukGateLoad(...args: Arg[]): Promise<number>;
  soukGateTake(...args: Arg[]): Promise<[number, (string | number)?]>;
  soukGateGiveBack(...args: Arg[]): Promise<number>;
  soukGateSnapshot(...args: Arg[]): Promise<[string, string, string[], string[]] | null>;
  soukGateInFlight(...args: Arg[]): Promise<string[]>;
  soukGateDrop(...args: Arg[]): Promise<number>;
  soukGateTally(...args: Arg[]): Promise<number>;
}

const SCRIPTS: Array<[keyof GateCommands, number, string]> = [
  ['soukGateLoad', 4, LOAD_LUA],
  ['soukGateTake', 7, TAKE_LUA],
  ['soukGateGiveBack', 7, GIVE_BACK_LUA],
  ['soukGateSnapshot', 1, SNAPSHOT_LUA],
  ['soukGateInFlight', 1, IN_FLIGHT_LUA],
  ['soukGateDrop', 2, DROP_LUA],
  ['soukGateTally', 2, TALLY_LUA],
];

const NOT_LOADED: TakeOutcome = Object.freeze({ ok: false, reason: 'not_loaded' });
const STALE: TakeOutcome = Object.freeze({ ok: false, reason: 'stale_epoch' });
const LIMIT: TakeOutcome = Object.freeze({ ok: false, reason: 'limit_reached' });

function pairs(flat: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}

function assertEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`gate epoch must be a non-negative integer, got ${epoch}`);
}

export interface RedisGateOptions {
  /** Key prefix (config.redisKeyPrefix); tests use a random one each. */
  prefix: string;
  /** Quit the client on close() (true when the gate opened it itself). */
  ownsClient?: boolean;
}

export function redisGate(redis: RedisClient, options: RedisGateOptions): StockGate {
  // defineCommand: EVALSHA, with the script body sent once per connection when Redis does not know it.
  for (const [name, numberOfKeys, lua] of SCRIPTS) if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  const r = redis as unknown as GateCommands;
  const base = (saleId: string) => `${options.prefix}fs:{${saleId}}:`;

  return {
    kind: 'redis',

    async load(saleId, state) {
      assertEpoch(state.epoch);
      const b = base(saleId);
      const e = `${b}${state.epoch}:`;
      const args: Arg[] = [b, state.epoch, state.perCustomerLimit ?? -1];
      const stock = Object.entries(state.remaining);
      args.push(stock.length);
      for (const [variantId, units] of stock) args.push(variantId, units);
      for (const [customerId, units] of Object.entries(state.bought)) if (units > 0) args.push(customerId, units);
      await r.soukGateLoad(`${b}epoch`, `${e}meta`, `${e}stock`, `${e}bought`, ...args);
    },

    async take(saleId, input) {
      const invalid = badQuantity(input.quantity);
      if (invalid) throw invalid;
      const b = base(saleId);
      const e = `${b}${input.epoch}:`;
      const [code, value] = await r.soukGateTake(
        `${b}epoch`, `${e}meta`, `${e}stock`, `${e}bought`, `${e}burst:${input.customerId}`, `${b}counters`, `${e}inflight`,
        input.epoch, input.variantId, input.customerId, input.quantity, input.ticketId, Math.max(0, Math.round(input.burstMs)), input.nodeId,
      );
      switch (code) {
        case 1: return { ok: true, ticketId: input.ticketId, remaining: Number(value) };
        case 2: return { ok: false, reason: 'duplicate', ticketId: String(value) };
        case 3: return { ok: false, reason: 'sold_out', held: Number(value ?? 0) };
        case 4: return LIMIT;
        case 5: return STALE;
        default: return NOT_LOADED;
      }
    },

    async giveBack(saleId, input) {
      const invalid = badQuantity(input.quantity);
      if (invalid) throw invalid;
      const b = base(saleId);
      const e = `${b}${input.epoch}:`;
      const done = await r.soukGateGiveBack(
        `${b}epoch`, `${e}meta`, `${e}stock`, `${e}bought`, `${e}burst:${input.customerId}`, `${b}counters`, `${e}inflight`,
        input.epoch, input.variantId, input.customerId, input.quantity, input.ticketId ?? '',
      );
      return done === 1;
    },

    async settle(saleId, epoch, ticketIds) {
      // A plain HDEL: under a superseded epoch the hash is gone already and this does nothing.
      if (ticketIds.length > 0) await redis.hdel(`${base(saleId)}${epoch}:inflight`, ...ticketIds);
    },

    async inFlight(saleId) {
      const b = base(saleId);
      const byNode: Record<string, number> = {};
      for (const nodeId of await r.soukGateInFlight(`${b}epoch`, b)) byNode[nodeId] = (byNode[nodeId] ?? 0) + 1;
      return byNode;
    },

    async held(saleId, epoch, customerId) {
      return Number((await redis.hget(`${base(saleId)}${epoch}:bought`, customerId)) ?? 0);
    },

    async snapshot(saleId) {
      const b = base(saleId);
      const reply = await r.soukGateSnapshot(`${b}epoch`, b);
      if (!reply) return undefined;
      const [epoch, limit, stock, bought] = reply;
      const perCustomerLimit = Number(limit);
      return { epoch: Number(epoch), perCustomerLimit: perCustomerLimit < 0 ? null : perCustomerLimit, remaining: pairs(stock), bought: pairs(bought) } satisfies GateState;
    },

    async counters(saleId) {
      const raw = await redis.hgetall(`${base(saleId)}counters`);
      return saleCounters((field: CounterField) => Number(raw[field] ?? 0));
    },

    async tally(saleId, counts) {
      const args = Object.entries(counts).filter(([, n]) => n > 0).flat();
      if (args.length === 0) return;
      const b = base(saleId);
      await r.soukGateTally(`${b}epoch`, `${b}counters`, ...args);
    },

    async drop(saleId) {
      const b = base(saleId);
      await r.soukGateDrop(`${b}epoch`, `${b}counters`, b);
    },

    async close() {
      if (options.ownsClient) await closeRedis(redis);
    },
  };
}
