// Fixed-window rate limiting shared by every node through Redis: the same contract as
// memoryRateLimiter, so a limit holds across the cluster instead of per process. One script call per hit
// (INCR, PEXPIRE on the window's first hit, PTTL for Retry-After), so a hit costs one round trip.
import type { RateLimiter } from './rate-limit.ts';
import type { RedisClient } from './redis.ts';

// KEYS[1] the window's counter; ARGV[1] limit, ARGV[2] window in ms. Returns seconds to wait, 0 if allowed.
// A counter found without a TTL (a key restored from elsewhere) gets one, so no key blocks forever.
const HIT_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
end
if count <= tonumber(ARGV[1]) then return 0 end
return math.max(1, math.ceil(ttl / 1000))
`;

const COMMAND = 'soukRateLimitHit';

interface WithHit {
  [COMMAND](key: string, limit: number, windowMs: number): Promise<number>;
}

/** Keys are `${prefix}rl:${key}`; the prefix separates installations (and test runs) sharing one Redis. */
export function redisRateLimiter(redis: RedisClient, prefix: string): RateLimiter {
  // defineCommand: EVALSHA, with the script sent once per connection when Redis does not know it (restart).
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: HIT_LUA });
  const client = redis as unknown as WithHit;
  return {
    async hit(key, limit, windowSeconds) {
      const wait = await client[COMMAND](`${prefix}rl:${key}`, limit, Math.max(1, Math.round(windowSeconds * 1000)));
      return Number(wait);
    },
  };
}
