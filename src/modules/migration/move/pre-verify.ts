// The verification, mostly done before the write freeze. Every table is digested on both sides while
// the shop still writes (pre-verification); from then on, a table counts as changed when the catch-up
// reads a change-log entry for it (changes made after a table's digest began are logged, and so is
// any change the target had not received yet when its digest was taken: both are read by a later
// catch-up, the freeze's included). Under the freeze only the changed tables, and those without a
// primary key (copied whole there), are digested again; the others keep their earlier lines, which
// still describe them exactly. The freeze then lasts as long as the hot tables take, not the whole shop.
//
// On an embedded source a table is digested a page at a time in key order (one connection: a digest in
// one statement would hold every request for as long as it runs). The checksum adds per-row hashes, so
// the pages' sums make the table's, and the line is the same as verify.ts gives for the whole table.
import { createHash } from 'node:crypto';
import type { Database } from '../../../kernel/db/types.ts';
import { quoteIdent } from '../../../kernel/db/move/tables.ts';
import { digestTable, type TableDigest } from '../../../kernel/db/move/verify.ts';
import type { KeyedTable } from './tracking.ts';

const PAGE = 5_000;

/** digestTable's lines for `table`, read a page of rows at a time in primary-key order. */
export async function digestByPages(db: Database, table: KeyedTable): Promise<TableDigest[]> {
  const name = quoteIdent(table.name);
  const key = table.key.map(quoteIdent).join(', ');
  const scope = table.perPlatform ? "coalesce(t.platform_id::text, '')" : "''";
  const next = `where (${key}) > (${table.key.map((k) => `(select ${quoteIdent(k)} from last)`).join(', ')})`;
  const totals = new Map<string, { rows: number; h0: bigint; h1: bigint }>();
  let after: string | undefined;
  for (;;) {
    const groups = await db.transaction(async (tx) => {
      await tx.query("set local time zone 'UTC'");
      await tx.query('set local extra_float_digits = 1');
      return tx.query<{ platform: string; rows: number; h0: string; h1: string; last: string }>(
        `with last as (select * from json_populate_record(null::${name}, $1::json)),
              page as (select row_to_json(t)::text as souk_j, ${scope} as souk_scope, ${table.key.map((k) => `t.${quoteIdent(k)}`).join(', ')}
                       from ${name} t ${after === undefined ? '' : next} order by ${key} limit ${PAGE})
         select souk_scope as platform, count(*)::int as rows, sum(hashtextextended(souk_j, 0))::text as h0, sum(hashtextextended(souk_j, 1))::text as h1,
                (select row_to_json(x)::text from (select ${key} from page order by ${table.key.map((k) => `${quoteIdent(k)} desc`).join(', ')} limit 1) x) as last
         from page group by 1`,
        [after ?? '{}'],
      );
    });
    let rows = 0;
    for (const g of groups) {
      const total = totals.get(g.platform) ?? { rows: 0, h0: 0n, h1: 0n };
      total.rows += g.rows;
      total.h0 += BigInt(g.h0);
      total.h1 += BigInt(g.h1);
      totals.set(g.platform, total);
      rows += g.rows;
      after = g.last;
    }
    if (rows < PAGE) break;
  }
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([platform, t]) => ({ table: table.name, platform, rows: t.rows, checksum: md5Hex(`${t.h0}:${t.h1}`) }));
}

/** Pre-verification lines per table, from both sides. */
export interface PreVerified {
  source: Map<string, TableDigest[]>;
  target: Map<string, TableDigest[]>;
}

export async function preVerify(source: Database, target: Database, tables: readonly KeyedTable[]): Promise<PreVerified> {
  const result: PreVerified = { source: new Map(), target: new Map() };
  for (const table of tables) {
    if (table.key.length === 0) continue;
    const [s, t] = await Promise.all([source.kind === 'pglite' ? digestByPages(source, table) : digestTable(source, table), digestTable(target, table)]);
    result.source.set(table.name, s);
    result.target.set(table.name, t);
  }
  return result;
}

export const md5Hex = (text: string) => createHash('md5').update(text).digest('hex');
