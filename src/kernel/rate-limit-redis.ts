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

// ---------------------------------------------------------------------------------------------------
// The synced limiter, for hot paths (the flash-sale purchase): a Redis call per hit costs a node more
// than the rest of a refused request, so hits are counted in memory and sent to Redis together every
// syncMs (one pipelined INCRBY per key that changed). Each node decides from the cluster's total as of its
// last sync plus its own hits since. Windows are aligned to the clock, so every node counts the same
// window under the same key, and the previous window still weighs in proportion to how much of it the
// sliding window still covers (so a burst at the end of one window and the start of the next is not
// twice the limit). The price: within one sync interval, other nodes' hits are not yet seen, so a limit
// can be exceeded by what they admit in that interval. While Redis is away the node keeps counting its
// own hits, so a limit still holds per node.

interface SyncedWindow {
  key: string;
  start: number;
  windowMs: number;
  /** The cluster's count as of the last sync, this node's synced hits included. */
  cluster: number;
  /** This node's hits not yet sent. */
  pending: number;
  /** This node's hits sent, not yet answered (counted, so a sync in flight does not open a gap). */
  sending: number;
  /** The previous window's total: what this node knew at rollover, then the cluster's from Redis. */
  previous: number;
  /** The cluster's previous-window total is still to be read (with the window's first sync). */
  previousUnread: boolean;
}

export interface SyncedRateLimiter extends RateLimiter {
  flush(): Promise<void>;
}

/** Windows one node keeps; past this, expired ones go, then the oldest (their limits start afresh). */
const MAX_SYNCED_WINDOWS = 100_000;

export function syncedRedisRateLimiter(redis: RedisClient, prefix: string, options: { syncMs?: number; now?: () => number } = {}): SyncedRateLimiter {
  const syncMs = options.syncMs ?? 100;
  const now = options.now ?? Date.now;
  const windows = new Map<string, SyncedWindow>();
  // Windows, not keys: a window that rolled over with hits not yet sent is still sent to its own key.
  const dirty = new Set<SyncedWindow>();
  let timer: NodeJS.Timeout | undefined;
  let lastSweep = now();

  const redisKey = (key: string, start: number) => `${prefix}rls:${key}:${start}`;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (dirty.size === 0) return;
    const batch = [...dirty].map((w) => ({ w, sent: w.pending, readPrevious: w.previousUnread }));
    dirty.clear();
    const pipeline = redis.pipeline();
    for (const { w, sent, readPrevious } of batch) {
      w.pending -= sent;
      w.sending += sent;
      pipeline.incrby(redisKey(w.key, w.start), sent);
      // The key outlives its window by one more window: the next one reads it as its previous.
      pipeline.pexpire(redisKey(w.key, w.start), 2 * w.windowMs + 5000);
      if (readPrevious) pipeline.get(redisKey(w.key, w.start - w.windowMs));
    }
    const replies = await pipeline.exec().catch(() => null);
    let at = 0;
    for (const { w, sent, readPrevious } of batch) {
      const [error, total] = replies?.[at] ?? [new Error('no reply'), null];
      const previousReply = readPrevious ? replies?.[at + 2] : undefined;
      at += readPrevious ? 3 : 2;
      w.sending -= sent;
      if (error || typeof total !== 'number') {
        // Not counted in Redis: keep the hits pending for the next sync.
        w.pending += sent;
        markDirty(w);
        continue;
      }
      w.cluster = Math.max(w.cluster, total);
      if (previousReply && !previousReply[0]) {
        w.previous = Math.max(w.previous, Number(previousReply[1] ?? 0));
        w.previousUnread = false;
      }
    }
  }

  function markDirty(w: SyncedWindow): void {
    dirty.add(w);
    if (!timer) {
      timer = setTimeout(() => void flush(), syncMs);
      timer.unref();
    }
  }

  function sweep(t: number, force = false): void {
    if (!force && t - lastSweep < 60_000) return;
    lastSweep = t;
    for (const [key, w] of windows) if (w.start + 2 * w.windowMs <= t) windows.delete(key);
    if (windows.size < MAX_SYNCED_WINDOWS) return;
    let drop = Math.floor(MAX_SYNCED_WINDOWS / 2);
    for (const key of windows.keys()) {
      if (drop-- <= 0) break;
      windows.delete(key);
    }
  }

  return {
    async hit(key, limit, windowSeconds) {
      const t = now();
      sweep(t);
      const windowMs = Math.max(1, Math.round(windowSeconds * 1000));
      const start = Math.floor(t / windowMs) * windowMs;
      let w = windows.get(key);
      if (!w || w.start !== start || w.windowMs !== windowMs) {
        const previous = w && w.windowMs === windowMs && w.start === start - windowMs ? w.cluster + w.sending + w.pending : 0;
        if (!w && windows.size >= MAX_SYNCED_WINDOWS) sweep(t, true);
        w = { key, start, windowMs, cluster: 0, pending: 0, sending: 0, previous, previousUnread: true };
        windows.set(key, w);
      }
      // Every hit counts, refused or not, as with the other limiters.
      w.pending += 1;
      markDirty(w);
      const stillCovered = 1 - (t - start) / windowMs;
      if (w.previous * stillCovered + w.cluster + w.sending + w.pending <= limit) return 0;
      return Math.max(1, Math.ceil((start + windowMs - t) / 1000));
    },
    flush,
  };
}
