// Embedded PostgreSQL (PGlite, Postgres compiled to WASM). One connection in this process; PGlite
// queues statements itself, and its transaction() holds that queue for the whole transaction.
import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import type { Database, Queryable } from './types.ts';
import { HeldWrites, holding, type HeldStatement, type Ride } from './held.ts';
import { lockDataDir } from './data-dir-lock.ts';

interface PGliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function wrap(conn: PGliteLike): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await conn.query<T>(text, params as unknown[]);
      return result.rows;
    },
    async execute(text: string, params: readonly unknown[] = []) {
      const result = await conn.query(text, params as unknown[]);
      return { rowCount: result.affectedRows ?? 0 };
    },
    async script(sql: string) {
      await conn.exec(sql);
    },
  };
}

/** Runs fn in a PGlite transaction and writes the rows it held (one statement for all) before the commit. */
async function transactionWithHeld<T>(db: PGlite, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const held = new HeldWrites();
  const result = await db.transaction(async (tx) => {
    // The last statement (queryThenCommit): the statement, the held rows, then `commit` sent here. PGlite
    // still sends its own COMMIT (or ROLLBACK, if fn throws later) after the callback: outside any
    // transaction by then, it only draws a warning from the server.
    const ride: Ride = async <R>(text: string, params: readonly unknown[], statement: HeldStatement | undefined) => {
      const { rows } = await tx.query<R>(text, params as unknown[]);
      if (statement) await statement.around(statement.text, () => tx.query(statement.text, statement.params));
      const [done] = await tx.exec('commit');
      // A transaction already failed (an error its callback caught) answers COMMIT by rolling back.
      if (done?.command?.toLowerCase() === 'rollback') throw new Error('The transaction had failed: its commit rolled it back.');
      return rows;
    };
    const value = await fn(holding(wrap(tx), held, ride));
    const over = held.over;
    if (over === 'committed') return value;
    if (over !== undefined) throw over === 'riding' ? new Error('The transaction callback returned before its queryThenCommit finished.') : over.error;
    const statement = held.take();
    if (statement) await statement.around(statement.text, () => tx.query(statement.text, statement.params));
    return value;
  });
  held.committed();
  return result;
}

/** dataDir undefined means an in-memory database (tests). */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let release = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = lockDataDir(dataDir);
  }
  const db = await PGlite.create({
    dataDir,
    extensions: { pg_trgm, btree_gin },
    // int8 (counts, money in minor units) as JS numbers: amounts stay far below 2^53.
    parsers: { [types.INT8]: (value: string) => Number(value) },
  }).catch((error: unknown) => {
    release();
    throw error;
  });
  const base = wrap(db);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => transactionWithHeld(db, fn),
    async close() {
      await db.close();
      release();
    },
  };
}
