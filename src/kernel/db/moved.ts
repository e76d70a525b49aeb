// A database that `souk db move` copied elsewhere says so: a one-row table naming where it went (the
// URL without its password) and when. Souk refuses to start on it, so no node keeps selling from the
// old copy after the switch; the rows themselves are left as they were (the move never deletes).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * An embedded shop moved by its own server leaves a note in its data directory pointing at the new
 * database (with its password, so the file is the owner's only, like secret.key beside it): the next
 * `souk start` on that directory uses the new database instead of refusing to start.
 */
export const MOVED_MARKER_FILE = 'moved-to.json';

export function writeMovedMarker(dataDir: string, url: string): void {
  const file = join(dataDir, MOVED_MARKER_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ url, movedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** The database an embedded data directory was moved to, if its server moved it. */
export function movedMarker(dataDir: string): { url: string; movedAt: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, MOVED_MARKER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const note = JSON.parse(text) as { url?: unknown; movedAt?: unknown };
  if (typeof note.url !== 'string' || !/^postgres(ql)?:\/\//.test(note.url)) throw new Error(`${join(dataDir, MOVED_MARKER_FILE)} does not name a postgres:// database.`);
  return { url: note.url, movedAt: String(note.movedAt ?? '') };
}
