// A digest of every row of every table: equal before and after a rejected request proves it changed nothing.
import type { Database } from '../src/kernel/db/types.ts';

// Audit logs record attempts, refused ones included (a risk decision is written for a sign-up that is then
// denied or answered 409), and they are written off the request path by a timer, so a row can land while
// a later request is being checked. They are not the shop's state, so "changed nothing" leaves them out.
const AUDIT_LOG_TABLES = ['souk_migrations', 'risk_decisions'];

export async function databaseFingerprint(db: Database): Promise<string> {
  const tables = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' and not (table_name = any($1::text[])) order by table_name`,
    [AUDIT_LOG_TABLES],
  );
  const parts = await Promise.all(
    tables.map(async ({ name }) => {
      const [row] = await db.query<{ digest: string | null; n: number }>(
        `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*)::int as n from "${name}" t`,
      );
      return `${name}:${row?.n}:${row?.digest}`;
    }),
  );
  return parts.join('\n');
}

/** A digest of the named tables only, for suites that check one module's rows. */
export async function tablesFingerprint(db: Database, tables: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const table of tables) {
    const [row] = await db.query<{ digest: string }>(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${table} t`);
    parts.push(`${table}:${row?.digest}`);
  }
  return parts.join('\n');
}

/** A digest of one platform's rows: its platforms row and its rows in every table with a platform_id. */
export async function platformRowsFingerprint(db: Database, platformId: string): Promise<string> {
  const tables = await db.query<{ name: string }>(
    `select table_name as name from information_schema.columns
     where table_schema = 'public' and column_name = 'platform_id' order by table_name`,
  );
  const parts: string[] = [];
  for (const { name } of [{ name: 'platforms' }, ...tables]) {
    const column = name === 'platforms' ? 'id' : 'platform_id';
    const [row] = await db.query<{ digest: string; n: number }>(
      `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*)::int as n from "${name}" t where t.${column} = $1`,
      [platformId],
    );
    parts.push(`${name}:${row?.n}:${row?.digest}`);
  }
  return parts.join('\n');
}
