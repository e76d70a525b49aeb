// A step inside a transaction that may be refused without undoing the rest: a savepoint, released when
// the step succeeds, rolled back to when it is refused. Any other error is rethrown as it is and takes
// the whole transaction with it.
import type { Queryable } from './types.ts';

export type SavepointOutcome<T, E> = { ok: true; value: T } | { ok: false; error: E };

/**
 * Runs `step` under savepoint `name` on `db` (the transaction's plain connection: a PlatformDb binds the
 * platform id to every statement, which SAVEPOINT cannot take). A refusal (`isRefusal`) rolls the step
 * back and is returned, not thrown, so the caller can record it and go on.
 */
export async function trySavepoint<T, E>(
  db: Queryable,
  name: string,
  step: () => Promise<T>,
  isRefusal: (error: unknown) => error is E,
): Promise<SavepointOutcome<T, E>> {
  await db.execute(`savepoint ${name}`);
  let value: T;
  try {
    value = await step();
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await db.execute(`rollback to savepoint ${name}`);
    return { ok: false, error };
  }
  await db.execute(`release savepoint ${name}`);
  return { ok: true, value };
}
