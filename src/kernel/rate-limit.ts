// Fixed-window rate limiting in this process. The embedded default; a shared store (Redis) plugs in
// behind the same interface when several nodes must agree.
import { tooManyAttempts } from './http/problems.ts';

export interface RateLimiter {
  /** Counts one hit on key; returns the seconds to wait when the limit is exceeded, else 0. */
  hit(key: string, limit: number, windowSeconds: number): Promise<number>;
  /** Sends counts held back for a shared store (the synced Redis limiter), e.g. when the node stops. */
  flush?(): Promise<void>;
}

export function memoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { resetAt: number; count: number }>();
  let lastSweep = now();
  return {
    async hit(key, limit, windowSeconds) {
      const t = now();
      if (t - lastSweep > 60_000) {
        // Drop expired windows now and then, so memory follows active keys, not every key ever seen.
        for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
        lastSweep = t;
      }
      let window = windows.get(key);
      if (!window || window.resetAt <= t) {
        window = { resetAt: t + windowSeconds * 1000, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      return window.count > limit ? Math.max(1, Math.ceil((window.resetAt - t) / 1000)) : 0;
    },
  };
}

/** Throws 429 with Retry-After when any of the keys is over its limit. */
export async function enforceLimits(limiter: RateLimiter, checks: Array<{ key: string; limit: number; windowSeconds: number }>): Promise<void> {
  // In order, stopping at the first refusal: a client over its IP limit must not create a window for
  // every device id or account name it cares to send.
  for (const check of checks) {
    const wait = await limiter.hit(check.key, check.limit, check.windowSeconds);
    if (wait > 0) throw tooManyAttempts(wait);
  }
}
