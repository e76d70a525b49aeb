// What a database move copies: the base tables of the public schema (souk_migrations aside: the target
// applies the same migrations itself), their columns, and an order in which no table comes before a
// table it references, so rows can be inserted with every foreign key already satisfied.
import type { Queryable } from '../types.ts';

export interface TableInfo {
  name: string;
  /** Columns that can be written (generated columns are computed by the target). */
  columns: string[];
  /** Whether rows belong to a platform (a platform_id column): verified per platform. */
  perPlatform: boolean;
}

/** Tables the move does not copy: the target's migrations write their own rows; a move's note stays with the source. */
const NOT_COPIED = new Set(['souk_migrations', 'souk_moved_to']);

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function listTables(db: Queryable): Promise<TableInfo[]> {
  const columns = await db.query<{ table_name: string; column_name: string; is_generated: string }>(
    `select c.table_name, c.column_name, c.is_generated from information_schema.columns c
     join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position`,
  );
  const byTable = new Map<string, TableInfo>();
  for (const c of columns) {
    if (NOT_COPIED.has(c.table_name)) continue;
    const table = byTable.get(c.table_name) ?? { name: c.table_name, columns: [], perPlatform: false };
    byTable.set(c.table_name, table);
    if (c.column_name === 'platform_id') table.perPlatform = true;
    if (c.is_generated !== 'ALWAYS') table.columns.push(c.column_name);
  }
  const references = await db.query<{ child: string; parent: string }>(
    `select distinct cl.relname as child, pcl.relname as parent from pg_constraint k
     join pg_class cl on cl.oid = k.conrelid join pg_namespace n on n.oid = cl.relnamespace
     join pg_class pcl on pcl.oid = k.confrelid
     where k.contype = 'f' and n.nspname = 'public' and cl.relname <> pcl.relname`,
  );
  return parentsFirst([...byTable.values()], references);
}

/** Tables ordered so that each comes after the tables it references (a cycle keeps name order). */
export function parentsFirst(tables: TableInfo[], references: readonly { child: string; parent: string }[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const parents = new Map<string, string[]>();
  for (const { child, parent } of references) {
    if (byName.has(child) && byName.has(parent)) parents.set(child, [...(parents.get(child) ?? []), parent]);
  }
  const ordered: TableInfo[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name)) return;
    state.set(name, 'visiting');
    for (const parent of (parents.get(name) ?? []).sort()) visit(parent);
    state.set(name, 'done');
    ordered.push(byName.get(name)!);
  };
  for (const name of [...byName.keys()].sort()) visit(name);
  return ordered;
}

export interface SequenceValue {
  name: string;
  lastValue: number;
  isCalled: boolean;
}

export async function readSequences(db: Queryable): Promise<SequenceValue[]> {
  const names = await db.query<{ name: string }>(`select sequence_name as name from information_schema.sequences where sequence_schema = 'public' order by 1`);
  const values: SequenceValue[] = [];
  for (const { name } of names) {
    const [row] = await db.query<{ last_value: number; is_called: boolean }>(`select last_value, is_called from ${quoteIdent(name)}`);
    if (row) values.push({ name, lastValue: Number(row.last_value), isCalled: row.is_called });
  }
  return values;
}
