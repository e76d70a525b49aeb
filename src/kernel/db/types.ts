// The one database interface every module sees. Both engines speak the same PostgreSQL dialect, so
// SQL is written once; only connection handling differs (PGlite is one in-process connection, pg a pool).

export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one statement with positional parameters ($1, $2, …) and returns its rows. */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Like query, but also returns how many rows an UPDATE/DELETE/INSERT touched. */
  execute(text: string, params?: readonly unknown[]): Promise<{ rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
  /**
   * Inside a transaction only (absent elsewhere: write at once): holds `row` back until the transaction
   * commits, then writes it with the other rows held for the same `write`, in order, by one statement; on
   * PostgreSQL that statement goes out with the commit, in one round trip. Rows held after a savepoint
   * that is rolled back to are dropped. `around` (tracing) runs around the statement when it goes out.
   */
  atCommit?<R>(write: CommitWrite<R>, row: R, around?: AroundStatement): void;
  /**
   * Inside a transaction only (absent elsewhere; use lastQuery): runs `text` as the transaction's last
   * statement and commits, on PostgreSQL in one round trip with the held rows' statement and `commit` (and
   * `begin` when it is the first). Its rows come back only once the commit succeeded. If the statement or
   * the commit fails nothing is committed and the error surfaces as from query(). Either way the
   * transaction is over: any further use of it throws, and the transaction runner sends no commit of its
   * own; a callback that throws afterwards leaves the commit in place (it has happened). Inside an open
   * savepoint it runs as a plain query, so it never commits a step that may still be rolled back to.
   */
  queryThenCommit?<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * A transaction's last statement: through queryThenCommit where the connection has it (one round trip
 * fewer), else a plain query, the transaction's runner then committing as usual. Nothing may use the
 * transaction after it.
 */
export function lastQuery<T = Row>(
  db: { query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>; queryThenCommit?<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> },
  text: string,
  params?: readonly unknown[],
): Promise<T[]> {
  return db.queryThenCommit ? db.queryThenCommit<T>(text, params) : db.query<T>(text, params);
}

/** A kind of row a transaction may hold back until it commits (Queryable.atCommit); one object per kind. */
export interface CommitWrite<R> {
  /**
   * The one statement writing `rows` in the order they were held. It runs on the transaction's own
   * connection, past any tenancy guard: each row carries its platform, checked when it was held. With
   * other kinds held too it becomes a data-modifying CTE of one statement (held-merge.ts): a plain
   * INSERT/UPDATE/DELETE with no WITH of its own, `$n` only as placeholders (no dollar quoting).
   */
  statement(rows: readonly R[]): { text: string; params: unknown[] };
  /** Runs after a transaction that held rows of this kind has committed them. */
  committed?(): void;
  /**
   * The statements that may read, change or delete rows of this kind (e.g. any naming their table):
   * before the transaction runs one, the rows it holds of this kind are written, so it sees them.
   */
  readBy?: RegExp;
}

/** Wraps the sending of a statement (a span around it). */
export type AroundStatement = <T>(text: string, send: () => Promise<T>) => Promise<T>;

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: calls onMessage with the payload of every NOTIFY on `channel` (from any node), on
   * one connection of its own that reconnects after a loss. onGap runs after a reconnect, since messages
   * sent meanwhile are lost. Returns a function that stops listening.
   */
  listen?(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Marks a statement whose plan PostgreSQL should make once and keep (a generic plan), where the engine
 * can: the storefront's list and search pages, whose custom plans look cheaper than the generic one, so
 * PostgreSQL would replan them on every request, and planning costs as much as running them. Only for
 * statements whose generic plan has been checked to use the same indexes (EXPLAIN of an EXECUTE under
 * `plan_cache_mode = force_generic_plan`). A comment, so the text means the same to every engine.
 */
export const GENERIC_PLAN_MARK = '/* generic plan */ ';

export const genericPlan = (sql: string): string => GENERIC_PLAN_MARK + sql;

export const wantsGenericPlan = (sql: string): boolean => sql.startsWith(GENERIC_PLAN_MARK);

/** PostgreSQL error codes the HTTP layer turns into 4xx problems instead of 500s. */
export const PgErrorCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02',
  numericOutOfRange: '22003',
  stringTooLong: '22001',
  characterNotInRepertoire: '22021',
  untranslatableCharacter: '22P05',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
