// `souk db move --mode full-stop`: the whole shop pauses, everything is copied, verified, then switched.
//   1. Writes stop: an embedded source is held by this process alone (its data-directory lock means no
//      server runs on it); a PostgreSQL source must have no other connection, and is set read-only for
//      new sessions (ALTER DATABASE … default_transaction_read_only) for the rest of the move.
//   2. The target (an empty PostgreSQL database) gets the schema from Souk's migrations.
//   3. Every table is copied, parents before children, a page of rows at a time (each row's JSON read
//      from the source, written with json_populate_recordset), then the sequences.
//   4. Verification: per table and per platform, row counts and content checksums on both sides.
//   5. Switch: only when nothing differs, the source records where it went (Souk refuses to start on it
//      afterwards) and the command says which DATABASE_URL to start with. On any difference the source
//      is opened for writes again and nothing is switched. The source's rows are never changed.
import { performance } from 'node:perf_hooks';
import type { Database } from '../types.ts';
import { markMoved } from '../moved.ts';
import { listTables, quoteIdent, readSequences, type TableInfo } from './tables.ts';
import { compareDigests, digestTable, type Difference, type TableDigest } from './verify.ts';

/** The application_name of the mover's own connections, so they are not counted as the shop's. */
export const MOVER_APPLICATION = 'souk-db-move';

/** The URL with the mover's application_name, so its connections are told apart from the shop's. */
export function moverUrl(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', MOVER_APPLICATION);
  return parsed.toString();
}

export class MoveRefused extends Error {
  override name = 'MoveRefused';
}

export interface FullStopOptions {
  source: Database;
  target: Database;
  /** The target's URL without its password, recorded in the source at the switch. */
  shownTargetUrl: string;
  /** Applies Souk's migrations to the target (the CLI passes the modules' migrations). */
  migrate(target: Database): Promise<void>;
  log(line: string): void;
  pageRows?: number;
}

export interface MoveReport {
  ok: boolean;
  tables: { table: string; rows: number; seconds: number }[];
  skipped: string[];
  source: TableDigest[];
  differences: Difference[];
  copiedRows: number;
  copySeconds: number;
  /** From refusing writes until the switch (or until writes were allowed again). */
  pausedSeconds: number;
}

async function otherSessions(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and application_name <> $1`,
    [MOVER_APPLICATION],
  );
  return row?.n ?? 0;
}

async function setReadOnly(db: Database, readOnly: boolean): Promise<void> {
  const [row] = await db.query<{ name: string }>('select current_database() as name');
  await db.query(readOnly ? `alter database ${quoteIdent(row!.name)} set default_transaction_read_only = on` : `alter database ${quoteIdent(row!.name)} reset default_transaction_read_only`);
}

async function replicaAllowed(db: Database): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
    });
    return true;
  } catch {
    return false;
  }
}

async function copyTable(source: Database, target: Database, table: TableInfo, columns: string[], pageRows: number, replica: boolean): Promise<number> {
  const name = quoteIdent(table.name);
  const list = columns.map(quoteIdent).join(', ');
  let copied = 0;
  await target.transaction(async (tx) => {
    // Triggers and foreign-key checks off while copying (rows arrive in storage order, a child may come
    // before its parent within one table); the verification compares every row afterwards.
    if (replica) await tx.query('set local session_replication_role = replica');
    let after = '(0,0)';
    for (;;) {
      const rows = await source.query<{ c: string; j: string }>(
        `select ctid::text as c, row_to_json(t)::text as j from ${name} t where ctid > $1::tid order by ctid limit ${pageRows}`,
        [after],
      );
      if (rows.length === 0) break;
      await tx.query(
        `insert into ${name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${name}, $1::json)`,
        [`[${rows.map((r) => r.j).join(',')}]`],
      );
      copied += rows.length;
      after = rows.at(-1)!.c;
      if (rows.length < pageRows) break;
    }
  });
  return copied;
}

export async function moveFullStop(options: FullStopOptions): Promise<MoveReport> {
  const { source, target, log } = options;
  const pageRows = options.pageRows ?? 2_000;
  const targetTables = await target.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
  if ((targetTables[0]?.n ?? 0) > 0) {
    throw new MoveRefused('The target database is not empty. Create a new, empty database for the move (the move never overwrites data).');
  }
  const paused = performance.now();
  let frozen = false;
  if (source.kind === 'postgres') {
    const others = await otherSessions(source);
    if (others > 0) {
      throw new MoveRefused(`The source database has ${others} other connection(s). A full-stop move needs the shop stopped: stop every Souk process using it, then run the move again.`);
    }
    await setReadOnly(source, true);
    frozen = true;
    log('source set read-only for new sessions');
  }
  try {
    log('applying migrations to the target');
    await options.migrate(target);
    const tables = await listTables(source);
    const present = new Map((await listTables(target)).map((t) => [t.name, t]));
    const skipped = tables.filter((t) => !present.has(t.name)).map((t) => t.name);
    const copying = tables.filter((t) => present.has(t.name));
    const replica = await replicaAllowed(target);
    if (!replica) log('the target role may not set session_replication_role: copying in reference order with checks on');
    const copyStarted = performance.now();
    const report: MoveReport['tables'] = [];
    let copiedRows = 0;
    for (const table of copying) {
      const started = performance.now();
      const columns = table.columns.filter((c) => present.get(table.name)!.columns.includes(c));
      const rows = await copyTable(source, target, table, columns, pageRows, replica);
      copiedRows += rows;
      report.push({ table: table.name, rows, seconds: (performance.now() - started) / 1000 });
      if (rows > 0) log(`copied ${table.name}: ${rows} rows`);
    }
    for (const sequence of await readSequences(source)) {
      await target.query('select setval($1::regclass, $2, $3)', [quoteIdent(sequence.name), sequence.lastValue, sequence.isCalled]).catch(() => undefined);
    }
    const copySeconds = (performance.now() - copyStarted) / 1000;
    log('verifying row counts and checksums per table and platform');
    const sourceDigests: TableDigest[] = [];
    const targetDigests: TableDigest[] = [];
    for (const table of copying) {
      sourceDigests.push(...(await digestTable(source, table)));
      targetDigests.push(...(await digestTable(target, present.get(table.name)!)));
    }
    const differences = compareDigests(sourceDigests, targetDigests);
    if (differences.length > 0) {
      if (frozen) await setReadOnly(source, false);
      frozen = false;
      return { ok: false, tables: report, skipped, source: sourceDigests, differences, copiedRows, copySeconds, pausedSeconds: (performance.now() - paused) / 1000 };
    }
    await markMoved(source, options.shownTargetUrl);
    return { ok: true, tables: report, skipped, source: sourceDigests, differences, copiedRows, copySeconds, pausedSeconds: (performance.now() - paused) / 1000 };
  } catch (error) {
    if (frozen) await setReadOnly(source, false).catch(() => undefined);
    throw error;
  }
}
