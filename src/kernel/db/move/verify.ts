// The move's verification: for every table, per platform (or in total for tables without one), the row
// count and a checksum of the rows' content (two 64-bit hashes of each row's JSON text, summed over the rows), read in
// UTC so both engines render times alike. Source and target must agree on every line before a switch.
import type { Database } from '../types.ts';
import { quoteIdent, type TableInfo } from './tables.ts';

export interface TableDigest {
  table: string;
  /** The platform id, or "" for a table without platform_id. */
  platform: string;
  rows: number;
  checksum: string;
}

export async function digestTable(db: Database, table: TableInfo): Promise<TableDigest[]> {
  const scope = table.perPlatform ? 'coalesce(t.platform_id::text, \'\')' : "''";
  return db.transaction(async (tx) => {
    await tx.query("set local time zone 'UTC'");
    await tx.query('set local extra_float_digits = 1');
    // Two independent 64-bit hashes of each row's text, summed: the same rows in any order give the same
    // sums, so no sort of every row's hash is needed (3x faster than md5 over sorted hashes, which the
    // write freeze of a smooth move waits for).
    const rows = await tx.query<{ platform: string; rows: number; checksum: string }>(
      `select platform, count(*)::bigint as rows, md5(coalesce(sum(hashtextextended(j, 0)), 0)::text || ':' || coalesce(sum(hashtextextended(j, 1)), 0)::text) as checksum
       from (select ${scope} as platform, row_to_json(t)::text as j from ${quoteIdent(table.name)} t) r group by 1 order by 1`,
    );
    return rows.map((r) => ({ table: table.name, platform: r.platform, rows: Number(r.rows), checksum: r.checksum }));
  });
}

export interface Difference {
  table: string;
  platform: string;
  source: { rows: number; checksum: string } | null;
  target: { rows: number; checksum: string } | null;
}

/** The lines where source and target differ (a side without the line is null). */
export function compareDigests(source: readonly TableDigest[], target: readonly TableDigest[]): Difference[] {
  const key = (d: TableDigest) => `${d.table}\u0000${d.platform}`;
  const targetByKey = new Map(target.map((d) => [key(d), d]));
  const differences: Difference[] = [];
  for (const s of source) {
    const t = targetByKey.get(key(s));
    targetByKey.delete(key(s));
    if (!t || t.rows !== s.rows || t.checksum !== s.checksum) {
      differences.push({ table: s.table, platform: s.platform, source: { rows: s.rows, checksum: s.checksum }, target: t ? { rows: t.rows, checksum: t.checksum } : null });
    }
  }
  for (const t of targetByKey.values()) differences.push({ table: t.table, platform: t.platform, source: null, target: { rows: t.rows, checksum: t.checksum } });
  return differences;
}
