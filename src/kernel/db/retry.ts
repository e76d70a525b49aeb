// Deadlocks and serialization failures are contention, not bugs in the request: PostgreSQL aborts one
// of the transactions involved, and running it again from the start usually succeeds. Only wrap work
// that is nothing but database statements (no calls out, no in-memory effects that survive a retry).
import { PgErrorCode, pgErrorCode } from './types.ts';

export function isTransientConflict(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code === PgErrorCode.deadlockDetected || code === PgErrorCode.serializationFailure;
}

/** Runs `attempt` again (up to `tries` times in all, with a short random pause) when it hit a deadlock. */
export async function retryTransientConflicts<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= tries || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * n));
    }
  }
}
