// A database that `souk db move` copied elsewhere says so: a one-row table naming where it went (the
// URL without its password) and when. Souk refuses to start on it, so no node keeps selling from the
// old copy after the switch; the rows themselves are left as they were (the move never deletes).
import type { Queryable } from './types.ts';

export interface MovedTo {
  url: string;
  movedAt: string;
}

export async function movedTo(db: Queryable): Promise<MovedTo | undefined> {
  const [present] = await db.query<{ present: boolean }>(`select to_regclass('souk_moved_to') is not null as present`);
  if (!present?.present) return undefined;
  const [row] = await db.query<{ url: string; moved_at: string }>(
    `select url, to_char(moved_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as moved_at from souk_moved_to order by moved_at desc limit 1`,
  );
  return row ? { url: row.url, movedAt: row.moved_at } : undefined;
}

/**
 * Records the move in the source (in a transaction allowed to write even on a read-only database).
 * shownUrl is the target as people may see it: without its password.
 */
export async function markMoved(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, shownUrl: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('set transaction read write');
    await tx.query('create table if not exists souk_moved_to (url text not null, moved_at timestamptz not null default now())');
    await tx.query('insert into souk_moved_to (url) values ($1)', [shownUrl]);
  });
}

export function movedMessage(moved: MovedTo): string {
  return `This database was moved to ${moved.url} at ${moved.movedAt} (souk db move) and takes no more writes: start Souk with DATABASE_URL set to the new database.`;
}
