// One read asked twice in a row, sent once. The storefront's start of a payment reads the order twice:
// the orders module's access check, then the payee's own read of what is due. Both are plain reads of
// the same row, one right after the other on the same PlatformDb; answering the second with the rows of
// the first is what the database would answer had nothing committed between them, which READ COMMITTED
// allows, so the second costs no round trip.
import type { PlatformDb } from '../../kernel/db/scoped.ts';

/** Plain selects only: no locking clause, and no function known to act (a sequence, a notify, a lock). */
const REPEATABLE = /^\s*select\b/i;
const ACTS = /\bfor\s+(?:update|no\s+key\s+update|share|key\s+share)\b|\b(?:nextval|setval|pg_notify|pg_advisory\w*|pg_try_advisory\w*)\s*\(/i;

/**
 * `pdb` (outside a transaction), remembering the rows of its last statement: the very same select with
 * the same parameters, sent next, gets them (a copy, once) instead of going out. Any other statement
 * forgets them, and a transaction runs on `pdb` itself.
 */
export function repeatedReadOnce(pdb: PlatformDb): PlatformDb {
  let last: { key: string; rows: readonly object[] } | undefined;
  const keyOf = (text: string, params: readonly unknown[]): string | undefined => {
    if (!REPEATABLE.test(text) || ACTS.test(text)) return undefined;
    try {
      return `${text}\u0000${JSON.stringify(params)}`;
    } catch {
      return undefined;
    }
  };
  const query = async <T>(text: string, params: readonly unknown[] = []): Promise<T[]> => {
    const key = keyOf(text, params);
    const remembered = last;
    last = undefined;
    if (key !== undefined && remembered?.key === key) return remembered.rows.map((row) => ({ ...row })) as T[];
    const rows = await pdb.query<T>(text, params);
    if (key !== undefined) last = { key, rows: rows as object[] };
    return rows;
  };
  return {
    platformId: pdb.platformId,
    engine: pdb.engine,
    query,
    maybeOne: async <T>(text: string, params?: readonly unknown[]) => (await query<T>(text, params))[0],
    execute(text, params) {
      last = undefined;
      return pdb.execute(text, params);
    },
    transaction(fn) {
      last = undefined;
      return pdb.transaction(fn);
    },
  };
}
