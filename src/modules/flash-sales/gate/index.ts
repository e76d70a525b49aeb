// Picks the stock gate: Redis when REDIS_URL is set (several API nodes share one truth), in-process otherwise.
import type { Config } from '../../../kernel/config.ts';
import { createRedis, type RedisClient } from '../../../kernel/redis.ts';
import { memoryGate } from './memory.ts';
import { redisGate } from './redis.ts';
import type { StockGate } from './types.ts';

export type { EarlyOutcome, GateState, SaleCounters, StockGate, TakeOutcome } from './types.ts';
export { memoryGate } from './memory.ts';
export { redisGate } from './redis.ts';

/**
 * The gate for this configuration. Pass the process's shared Redis client when there is one (the caller
 * keeps owning it); without it and with redisUrl set, the gate opens its own client and quits it on close().
 */
export function gateFor(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>, redis?: RedisClient): StockGate {
  if (redis) return redisGate(redis, { prefix: config.redisKeyPrefix });
  if (config.redisUrl) return redisGate(createRedis(config), { prefix: config.redisKeyPrefix, ownsClient: true });
  return memoryGate();
}
