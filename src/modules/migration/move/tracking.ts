// Change tracking for `souk db move --mode smooth`, on the source database, and only while a move runs:
// the purchase path must not pay for it at any other time. When a move starts, every copied table gets
// an AFTER row trigger that appends the changed row's primary key to souk_move_changes (one line per
// insert, delete and update; two when an update changes the key). The copy that follows reads each table
// in one snapshot taken after its trigger exists, so every change is either in the copy or in the log;
// the catch-up replays the log by key (catch-up.ts). At the switch (or on `souk db move --abort`) the
// triggers, the function and the log are dropped again. Nothing of the shop's own rows is ever changed.
//
// At the switch the tables also get a statement trigger that refuses every write with a message naming
// the new database (SQLSTATE SKMOV, turned into a 503 problem by the HTTP layer), so servers still
// running on the old database stop taking orders at once instead of selling from a copy nobody reads.
import type { Database, Queryable } from '../../../kernel/db/types.ts';
import { quoteIdent, type TableInfo } from '../../../kernel/db/move/tables.ts';
import { DATABASE_MOVED_SQLSTATE } from '../../../kernel/http/errors.ts';

/** Tables and functions of the move itself: never copied, tracked or verified. */
export const MOVE_PREFIX = 'souk_move';
export const isMoveTable = (name: string) => name.startsWith(`${MOVE_PREFIX}_`);

const TRACK_TRIGGER = 'souk_move_track';
const REFUSE_TRIGGER = 'souk_moved_refuse';

export const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export interface KeyedTable extends TableInfo {
  /** Primary-key columns in key order; empty: the table has no primary key and is copied whole at the freeze. */
  key: string[];
}

/** The primary-key columns of every table of the public schema. */
export async function primaryKeys(db: Queryable): Promise<Map<string, string[]>> {
  const rows = await db.query<{ table_name: string; column_name: string }>(
    `select cl.relname as table_name, a.attname as column_name
     from pg_index i join pg_class cl on cl.oid = i.indrelid join pg_namespace n on n.oid = cl.relnamespace
     join pg_attribute a on a.attrelid = cl.oid and a.attnum = any(i.indkey::int2[])
     where i.indisprimary and n.nspname = 'public'
     order by cl.relname, array_position(i.indkey::int2[], a.attnum)`,
  );
  const keys = new Map<string, string[]>();
  for (const r of rows) keys.set(r.table_name, [...(keys.get(r.table_name) ?? []), r.column_name]);
  return keys;
}

/** The log table, the tracking function and the move's identity (a fresh move starts an empty log). */
export async function prepareTracking(db: Database, moveId: string, shownTargetUrl: string, fresh: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    if (fresh) await tx.query('drop table if exists souk_move_changes, souk_move_tracking');
    await tx.script(`
create table if not exists souk_move_tracking (move_id uuid primary key, target text not null, started_at timestamptz not null default now());
create table if not exists souk_move_changes (seq bigserial primary key, tbl text not null, key jsonb not null);
create or replace function souk_move_track() returns trigger language plpgsql as $fn$
declare
  old_key jsonb;
  new_key jsonb;
  r jsonb;
begin
  if TG_OP <> 'INSERT' then
    r := to_jsonb(OLD);
    select jsonb_object_agg(c, r -> c) into old_key from unnest(TG_ARGV) c;
    insert into souk_move_changes (tbl, key) values (TG_TABLE_NAME, old_key);
  end if;
  if TG_OP <> 'DELETE' then
    r := to_jsonb(NEW);
    select jsonb_object_agg(c, r -> c) into new_key from unnest(TG_ARGV) c;
    if new_key is distinct from old_key then
      insert into souk_move_changes (tbl, key) values (TG_TABLE_NAME, new_key);
    end if;
  end if;
  return null;
end
$fn$;`);
    await tx.query('insert into souk_move_tracking (move_id, target) values ($1, $2) on conflict (move_id) do nothing', [moveId, shownTargetUrl]);
  });
}

/** The move the source is tracking changes for, if any. */
export async function trackedMove(db: Queryable): Promise<{ moveId: string; target: string } | undefined> {
  const [present] = await db.query<{ present: boolean }>(`select to_regclass('souk_move_tracking') is not null as present`);
  if (!present?.present) return undefined;
  const [row] = await db.query<{ move_id: string; target: string }>('select move_id::text as move_id, target from souk_move_tracking order by started_at desc limit 1');
  return row ? { moveId: row.move_id, target: row.target } : undefined;
}

async function triggered(db: Queryable, trigger: string): Promise<Set<string>> {
  const rows = await db.query<{ name: string }>(
    `select cl.relname as name from pg_trigger t join pg_class cl on cl.oid = t.tgrelid join pg_namespace n on n.oid = cl.relnamespace
     where n.nspname = 'public' and t.tgname = $1`,
    [trigger],
  );
  return new Set(rows.map((r) => r.name));
}

/**
 * Adds the tracking trigger to every keyed table that lacks it, one table per transaction with a short
 * lock timeout: CREATE TRIGGER waits for the table's running writes and holds new ones meanwhile, so it
 * gives up quickly and tries again rather than stall the shop behind a long transaction.
 */
export async function installTracking(db: Database, tables: readonly KeyedTable[], log: (line: string) => void): Promise<void> {
  const done = await triggered(db, TRACK_TRIGGER);
  for (const table of tables) {
    if (table.key.length === 0 || done.has(table.name)) continue;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await db.transaction(async (tx) => {
          await tx.query("set local lock_timeout = '2s'");
          await tx.query(
            `create trigger ${TRACK_TRIGGER} after insert or update or delete on ${quoteIdent(table.name)}
             for each row execute function souk_move_track(${table.key.map(quoteLiteral).join(', ')})`,
          );
        });
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        log(`waiting to add change tracking to ${table.name} (${(error as Error).message})`);
      }
    }
  }
}

/** Drops the tracking triggers, function and log (a finished, failed or abandoned move). */
export async function removeTracking(db: Queryable): Promise<void> {
  for (const name of await triggered(db, TRACK_TRIGGER)) await db.query(`drop trigger if exists ${TRACK_TRIGGER} on ${quoteIdent(name)}`);
  await db.query('drop table if exists souk_move_changes, souk_move_tracking');
  await db.query('drop function if exists souk_move_track()');
}

/** In the freeze's transaction: from now on every write to these tables fails with `message`. */
export async function refuseWrites(tx: Queryable, tables: readonly TableInfo[], message: string): Promise<void> {
  await tx.script(`
create or replace function souk_moved_refuse() returns trigger language plpgsql as $fn$
begin
  raise exception using errcode = '${DATABASE_MOVED_SQLSTATE}', message = ${quoteLiteral(message)};
end
$fn$;`);
  for (const table of tables) {
    // CREATE TRIGGER needs a SHARE ROW EXCLUSIVE lock, which the freeze's EXCLUSIVE one already covers.
    await tx.query(`create trigger ${REFUSE_TRIGGER} before insert or update or delete or truncate on ${quoteIdent(table.name)} for each statement execute function souk_moved_refuse()`);
  }
}
