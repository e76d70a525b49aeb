// The smooth move's copy and catch-up, table by table. The copy reads a table in one REPEATABLE READ
// snapshot (taken after the table's change tracking exists) and writes it in one target transaction that
// also records the table as copied, so a mover killed mid-table leaves nothing half-copied behind.
// The catch-up replays the change log by key: for each changed key the target's row is deleted and the
// source's current row (if any) inserted, so replaying an entry twice, or out of order, converges on the
// source. A log entry is deleted from the source only after its key was written to the target, so a
// mover killed between the two replays it again. While the shop writes, a row can briefly collide with
// a unique value a later log entry will move away; such a key keeps its entry for the next round (under
// the freeze, with every change in one batch, no collision can remain).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable } from '../../../kernel/db/types.ts';
import { pgErrorCode, PgErrorCode } from '../../../kernel/db/types.ts';
import { quoteIdent } from '../../../kernel/db/move/tables.ts';
import type { KeyedTable } from './tracking.ts';

/** Copies every row of `table` from `read` to `write` a page at a time (ctid order, within read's snapshot). */
export async function copyPages(read: Queryable, write: Queryable, table: KeyedTable, pageRows: number, throttleMs = 0): Promise<number> {
  const name = quoteIdent(table.name);
  const list = table.columns.map(quoteIdent).join(', ');
  let copied = 0;
  let after = '(0,0)';
  for (;;) {
    const rows = await read.query<{ c: string; j: string }>(`select ctid::text as c, row_to_json(t)::text as j from ${name} t where ctid > $1::tid order by ctid limit ${pageRows}`, [after]);
    if (rows.length === 0) break;
    await write.query(`insert into ${name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${name}, $1::json)`, [`[${rows.map((r) => r.j).join(',')}]`]);
    copied += rows.length;
    after = rows.at(-1)!.c;
    if (throttleMs > 0) await sleep(throttleMs);
    if (rows.length < pageRows) break;
  }
  return copied;
}

/**
 * Copies every row of `table` a page at a time in primary-key order. `read` may be a transaction with one
 * snapshot (a PostgreSQL source), or an embedded source whose pages are each read on their own (one
 * connection, which a snapshot held for a whole table would keep from the shop). Then the pages see different moments, so a row can change after its page was read or move into a page
 * still to come: every such change is in the change log (tracking exists before the copy), and the
 * catch-up replaces those rows by key. A unique value a row took from one already copied (both changes
 * are logged) is skipped here for the same reason (ON CONFLICT DO NOTHING).
 */
export async function copyPagesByKey(read: Queryable, write: Queryable, table: KeyedTable, pageRows: number, options: { throttleMs?: number; signal?: AbortSignal } = {}): Promise<number> {
  const name = quoteIdent(table.name);
  const list = table.columns.map(quoteIdent).join(', ');
  const key = table.key.map(quoteIdent).join(', ');
  const last = table.key.map((k) => `(select ${quoteIdent(k)} from last)`).join(', ');
  const first = `select row_to_json(t)::text as j from ${name} t order by ${key} limit ${pageRows}`;
  const next = `with last as (select * from json_populate_record(null::${name}, $1::json))
    select row_to_json(t)::text as j from ${name} t where (${key}) > (${last}) order by ${key} limit ${pageRows}`;
  let copied = 0;
  let after: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await read.query<{ j: string }>(after === undefined ? first : next, after === undefined ? [] : [after]);
    if (rows.length === 0) break;
    const written = await write.execute(`insert into ${name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${name}, $1::json) on conflict do nothing`, [`[${rows.map((r) => r.j).join(',')}]`]);
    copied += written.rowCount;
    after = rows.at(-1)!.j;
    if (options.throttleMs) await sleep(options.throttleMs);
    if (rows.length < pageRows) break;
  }
  return copied;
}

export interface CatchUpRound {
  /** Log entries read. */
  entries: number;
  /** Distinct keys written to the target (a row inserted or deleted). */
  keys: number;
  /** Keys left in the log for the next round (a unique collision with a row still to be replayed). */
  kept: number;
  /** The tables the entries read name (pre-verify.ts: their earlier digests are stale). */
  tables: string[];
}

const keyMatch = (table: KeyedTable) => {
  const cols = table.key.map(quoteIdent).join(', ');
  return `(${cols}) in (select ${cols} from jsonb_populate_recordset(null::${quoteIdent(table.name)}, $1::jsonb))`;
};

async function sourceRows(source: Queryable, table: KeyedTable, keys: string[]): Promise<string[]> {
  const rows = await source.query<{ j: string }>(`select row_to_json(t)::text as j from ${quoteIdent(table.name)} t where ${keyMatch(table)}`, [`[${keys.join(',')}]`]);
  return rows.map((r) => r.j);
}

async function replace(source: Queryable, tx: Queryable, table: KeyedTable, keys: string[]): Promise<void> {
  const name = quoteIdent(table.name);
  const list = table.columns.map(quoteIdent).join(', ');
  const rows = await sourceRows(source, table, keys);
  await tx.query(`delete from ${name} where ${keyMatch(table)}`, [`[${keys.join(',')}]`]);
  if (rows.length > 0) await tx.query(`insert into ${name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${name}, $1::json)`, [`[${rows.join(',')}]`]);
}

/**
 * Replays up to `limit` log entries (oldest first) from `source` (the pool, or the freeze's transaction)
 * into `target`, then deletes the replayed entries from the source's log.
 */
export async function catchUpOnce(source: Queryable, target: Database, tables: ReadonlyMap<string, KeyedTable>, replica: boolean, limit: number): Promise<CatchUpRound> {
  const entries = await source.query<{ seq: number; tbl: string; key: string }>('select seq, tbl, key::text as key from souk_move_changes order by seq limit $1', [limit]);
  if (entries.length === 0) return { entries: 0, keys: 0, kept: 0, tables: [] };
  // table → key text → the log entries naming it
  const byTable = new Map<string, Map<string, number[]>>();
  for (const e of entries) {
    const keys = byTable.get(e.tbl) ?? new Map<string, number[]>();
    byTable.set(e.tbl, keys);
    keys.set(e.key, [...(keys.get(e.key) ?? []), Number(e.seq)]);
  }
  const replayed: number[] = [];
  let keys = 0;
  let kept = 0;
  await target.transaction(async (tx) => {
    if (replica) await tx.query('set local session_replication_role = replica');
    for (const [name, changed] of byTable) {
      const table = tables.get(name);
      if (!table) throw new Error(`The change log names table ${name}, which the move does not copy.`);
      const all = [...changed.keys()];
      await tx.query('savepoint batch');
      try {
        await replace(source, tx, table, all);
        await tx.query('release savepoint batch');
        for (const seqs of changed.values()) replayed.push(...seqs);
        keys += all.length;
        continue;
      } catch (error) {
        await tx.query('rollback to savepoint batch');
        if (pgErrorCode(error) !== PgErrorCode.uniqueViolation) throw error;
      }
      // A collision: key by key, keeping the entries of the keys that still collide.
      for (const [key, seqs] of changed) {
        await tx.query('savepoint one');
        try {
          await replace(source, tx, table, [key]);
          await tx.query('release savepoint one');
          replayed.push(...seqs);
          keys += 1;
        } catch (error) {
          await tx.query('rollback to savepoint one');
          if (pgErrorCode(error) !== PgErrorCode.uniqueViolation) throw error;
          kept += 1;
        }
      }
    }
  });
  if (replayed.length > 0) await source.query('delete from souk_move_changes where seq = any($1::bigint[])', [replayed]);
  return { entries: entries.length, keys, kept, tables: [...byTable.keys()] };
}

/** How many log entries wait to be replayed. */
export async function pendingChanges(source: Queryable): Promise<number> {
  const [row] = await source.query<{ n: number }>('select count(*)::int as n from souk_move_changes');
  return row?.n ?? 0;
}
