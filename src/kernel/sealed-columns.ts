// Every column that holds sealed values (secret-box.ts) is declared by its module (SoukModule.sealedColumns),
// so the kernel can walk them all without knowing what they mean: at boot, to seal plaintext left by
// an older version (a SQL migration cannot encrypt), and for `souk secrets rotate` / `status`.
// These walks cross platforms on purpose, so they use the raw database, reading and writing only the
// declared column, and each write is compare-and-set: a value changed meanwhile (a webhook secret
// rotated by an admin) is left alone.
import type { Database } from './db/types.ts';
import { SEALED_PREFIX, type SecretBox } from './secret-box.ts';
import { sqlParams } from './db/params.ts';

export interface SealedColumn {
  table: string;
  column: string;
  /** The primary key's columns, to page through the table and to write one row back. */
  key: string[];
  /**
   * Older versions kept this column in plaintext: every start seals what is still plaintext. Leave it
   * off for columns that never held plaintext, so a start does not scan a large table for nothing.
   */
  sealPlaintextAtBoot?: boolean;
}

export interface ColumnCounts {
  name: string;
  current: number;
  previous: number;
  /** Sealed with a key this process does not have: neither SOUK_SECRET_KEY nor SOUK_SECRET_KEY_PREVIOUS. */
  unknown: number;
  plaintext: number;
}

const PAGE = 500;
const IDENT = /^[a-z_][a-z0-9_]*$/;

function checked(column: SealedColumn): SealedColumn {
  for (const name of [column.table, column.column, ...column.key]) {
    if (!IDENT.test(name)) throw new Error(`sealed column: "${name}" is not a plain identifier`);
  }
  return column;
}

export const columnName = (column: SealedColumn) => `${column.table}.${column.column}`;

/**
 * Re-seals, page by page, the rows of the column `pick` chooses ('plaintext': not sealed yet;
 * 'stale': anything not sealed with the current key). Returns how many rows it rewrote; a value no key
 * here can open stops it with the column named.
 */
export async function resealColumn(db: Database, box: SecretBox, column: SealedColumn, pick: 'plaintext' | 'stale'): Promise<number> {
  const { table, column: col, key } = checked(column);
  const keyList = key.join(', ');
  // Values not starting with this prefix are the ones to rewrite (left(), not LIKE: a key id may hold '_').
  const keep = pick === 'plaintext' ? SEALED_PREFIX : `${SEALED_PREFIX}${box.currentKeyId}.`;
  let after: unknown[] | undefined;
  let rewritten = 0;
  for (;;) {
    // A plain connection: nothing is bound ahead of the list, so `keep` is $1.
    const { params, param } = sqlParams([keep], 0);
    const rows = await db.query<Record<string, unknown>>(
      `select ${keyList}, ${col} as value from ${table}
       where ${col} is not null and left(${col}, length($1)) <> $1${after ? ` and (${keyList}) > (${after.map(param).join(', ')})` : ''}
       order by ${keyList} limit ${PAGE}`,
      params,
    );
    if (rows.length === 0) return rewritten;
    await db.transaction(async (tx) => {
      for (const row of rows) {
        const old = row.value as string;
        let sealed: string;
        try {
          sealed = box.reseal(old);
        } catch (error) {
          throw new Error(`${columnName(column)} (${key.map((k) => `${k}=${String(row[k])}`).join(', ')}): ${(error as Error).message}`);
        }
        const update = sqlParams([sealed, old], 0);
        const where = key.map((k) => `${k} = ${update.param(row[k])}`).join(' and ');
        const { rowCount } = await tx.execute(`update ${table} set ${col} = $1 where ${col} = $2 and ${where}`, update.params);
        rewritten += rowCount;
      }
    });
    const last = rows[rows.length - 1]!;
    after = key.map((k) => last[k]);
  }
}

/** How the column's values are kept: sealed with which key, or still plaintext. */
export async function countColumn(db: Database, box: SecretBox, column: SealedColumn): Promise<ColumnCounts> {
  const { table, column: col } = checked(column);
  // The key id is the second dot-separated part of a sealed value; plaintext has no 'v1.' prefix.
  const rows = await db.query<{ key_id: string | null; n: number }>(
    `select case when left(${col}, length($1)) = $1 then split_part(${col}, '.', 2) end as key_id, count(*)::int as n
     from ${table} where ${col} is not null group by 1`,
    [SEALED_PREFIX],
  );
  const counts: ColumnCounts = { name: columnName(column), current: 0, previous: 0, unknown: 0, plaintext: 0 };
  for (const row of rows) {
    if (row.key_id === null) counts.plaintext += row.n;
    else if (row.key_id === box.currentKeyId) counts.current += row.n;
    else if (row.key_id === box.previousKeyId) counts.previous += row.n;
    else counts.unknown += row.n;
  }
  return counts;
}
