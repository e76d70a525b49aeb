// Chat limits that hold across nodes: the posts a customer may make per window in a room and slow mode's
// wait between two posts. With REDIS_URL both are kept in Redis, so a customer with sockets on two nodes
// (or one that reconnects to another node) has one count and one wait; without Redis they are kept in
// this process (hub/guard.ts's slow mode, kernel/rate-limit.ts's window), as on one node.
import type { RateLimiter } from '../../kernel/rate-limit.ts';
import { memoryRateLimiter } from '../../kernel/rate-limit.ts';
import { redisRateLimiter } from '../../kernel/rate-limit-redis.ts';
import type { RedisClient } from '../../kernel/redis.ts';
import type { RoomChannel } from './hub/room-channel.ts';

export interface ChatLimits {
  /** Posts per window (kernel RateLimiter contract: seconds to wait, 0 when allowed and counted). */
  posts: RateLimiter;
  /** Seconds the customer still has to wait under the room's slow mode (0: may post now, and the post is counted). */
  slowModeWait(channel: RoomChannel, customerId: string): Promise<number>;
}

export function memoryChatLimits(): ChatLimits {
  return {
    posts: memoryRateLimiter(),
    slowModeWait: async (channel, customerId) => channel.guard.slowModeWait(customerId),
  };
}

/** Keys are `<prefix>live:…`: the prefix separates installations sharing one Redis. */
export function redisChatLimits(redis: RedisClient, prefix: string): ChatLimits {
  return {
    posts: redisRateLimiter(redis, `${prefix}live:`),
    async slowModeWait(channel, customerId) {
      const seconds = channel.guard.state.slowModeSeconds;
      if (seconds === 0 || channel.guard.isModerator(customerId)) return 0;
      const key = `${prefix}live:slow:${channel.room.platformId}:${channel.room.id}:${customerId}`;
      // The first post of a window sets the key; a later one finds it and waits out its time to live.
      if ((await redis.set(key, '1', 'PX', seconds * 1000, 'NX')) === 'OK') return 0;
      const ttl = await redis.pttl(key);
      return ttl > 0 ? Math.ceil(ttl / 1000) : 1;
    },
  };
}
