// The tenancy guard of the data layer. Business tables carry platform_id; modules reach them only through
// forPlatform(), whose queries always bind the platform as $1, and the guard refuses a statement that
// touches more platform tables than it constrains by $1. The plain database handed to modules refuses
// platform tables outright. Forgetting the platform is therefore an exception in the first test, not a
// leak in production. Both checks run once per distinct SQL text (cached), so they cost nothing per query.
import type { Database, Queryable, Row } from './types.ts';

const tenantTables = new Set<string>();

export function registerTenantTables(names: readonly string[]): void {
  for (const name of names) tenantTables.add(name.toLowerCase());
}

export class TenancyGuardError extends Error {
  override name = 'TenancyGuardError';
}

const TABLE_REF = /\b(?:from|join|update|into)\s+"?([a-z_][a-z0-9_]*)"?/gi;
const PLATFORM_PARAM = /\$1(?!\d)/g;

function tenantTableRefs(text: string): number {
  let count = 0;
  for (const match of text.matchAll(TABLE_REF)) {
    if (tenantTables.has((match[1] ?? '').toLowerCase())) count += 1;
  }
  return count;
}

const scopedOk = new Set<string>();
function assertScoped(text: string): void {
  if (scopedOk.has(text)) return;
  const refs = tenantTableRefs(text);
  const binds = text.match(PLATFORM_PARAM)?.length ?? 0;
  if (binds < refs) {
    throw new TenancyGuardError(
      `A platform-scoped query reads ${refs} platform table reference(s) but constrains platform_id = $1 only ${binds} time(s). ` +
        `Add "platform_id = $1" for every platform table: ${text.trim().slice(0, 300)}`,
    );
  }
  scopedOk.add(text);
}

const systemOk = new Set<string>();
function assertSystem(text: string): void {
  if (systemOk.has(text)) return;
  if (tenantTableRefs(text) > 0) {
    throw new TenancyGuardError(
      `This query touches a platform table without a platform context; use forPlatform(db, platformId): ${text.trim().slice(0, 300)}`,
    );
  }
  systemOk.add(text);
}

/** A database connection bound to one platform: $1 in every statement is that platform's id. */
export interface PlatformDb {
  readonly platformId: string;
  /** Which engine runs the queries (a cross-node signal such as NOTIFY only matters on PostgreSQL). */
  readonly engine: Database['kind'];
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  execute(text: string, params?: readonly unknown[]): Promise<{ rowCount: number }>;
  /** The single row of a query, or undefined. */
  maybeOne<T = Row>(text: string, params?: readonly unknown[]): Promise<T | undefined>;
  transaction<T>(fn: (tx: PlatformDb) => Promise<T>): Promise<T>;
  /** Inside a transaction: Queryable.atCommit (the row must be this platform's). */
  atCommit?: Queryable['atCommit'];
  /**
   * Inside a transaction this PlatformDb opened: Queryable.queryThenCommit, with the platform bound as $1
   * (use lastQuery, which falls back to query). Absent where transaction() joined an open one.
   */
  queryThenCommit?<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

function scope(conn: Queryable, platformId: string, engine: Database['kind'], transaction: PlatformDb['transaction']): PlatformDb {
  return {
    platformId,
    engine,
    async query(text, params = []) {
      assertScoped(text);
      return conn.query(text, [platformId, ...params]);
    },
    async execute(text, params = []) {
      assertScoped(text);
      return conn.execute(text, [platformId, ...params]);
    },
    async maybeOne(text, params = []) {
      assertScoped(text);
      const rows = await conn.query(text, [platformId, ...params]);
      return rows[0] as never;
    },
    transaction,
    ...(conn.atCommit ? { atCommit: conn.atCommit.bind(conn) } : {}),
    ...(conn.queryThenCommit
      ? {
          queryThenCommit<T>(text: string, params: readonly unknown[] = []) {
            assertScoped(text);
            return conn.queryThenCommit!<T>(text, [platformId, ...params]);
          },
        }
      : {}),
  };
}

/**
 * A PlatformDb over an open transaction; its transaction() joins the open one. The joining callback gets
 * it without queryThenCommit: a commit there would end the outer callback's transaction under it.
 */
function scopeInTransaction(tx: Queryable, platformId: string, engine: Database['kind']): PlatformDb {
  const inner: PlatformDb = scope(tx, platformId, engine, (nested) => nested(joined));
  const joined = withoutRide(inner);
  return inner;
}

export function forPlatform(db: Database, platformId: string): PlatformDb {
  return scope(db, platformId, db.kind, (fn) => db.transaction((tx) => fn(scopeInTransaction(tx, platformId, db.kind))));
}

/** One transaction that may touch system tables (db) and the tables of any platform (platform(id)). */
export interface TxScope {
  db: Queryable;
  platform(platformId: string): PlatformDb;
}

/**
 * The transaction without queryThenCommit: for code that is handed a transaction it did not open (a
 * scoped transaction's parts go to other modules as `tx`), where a commit would end it under its owner.
 */
export function withoutRide<Q extends { queryThenCommit?: unknown }>(tx: Q): Omit<Q, 'queryThenCommit'> {
  const { queryThenCommit: _ride, ...rest } = tx;
  return rest;
}

export function scopedTransaction<T>(raw: Database, fn: (scope: TxScope) => Promise<T>): Promise<T> {
  return raw.transaction((whole) => {
    const tx = withoutRide(whole);
    return fn({ db: guardSystem(tx), platform: (platformId) => scopeInTransaction(tx, platformId, raw.kind) });
  });
}

/** The database as modules see it: anything but platform tables (those need forPlatform). */
function guardSystem(conn: Queryable): Queryable {
  return {
    async query(text, params) {
      assertSystem(text);
      return conn.query(text, params);
    },
    async execute(text, params) {
      assertSystem(text);
      return conn.execute(text, params);
    },
    async script(sql) {
      assertSystem(sql);
      return conn.script(sql);
    },
    ...(conn.atCommit ? { atCommit: conn.atCommit.bind(conn) } : {}),
    ...(conn.queryThenCommit
      ? {
          queryThenCommit<T>(text: string, params?: readonly unknown[]) {
            assertSystem(text);
            return conn.queryThenCommit!<T>(text, params);
          },
        }
      : {}),
  };
}

export function systemDatabase(db: Database): Database {
  return {
    kind: db.kind,
    ...guardSystem(db),
    transaction: (fn) => db.transaction((tx) => fn(guardSystem(tx))),
    ...(db.listen ? { listen: db.listen.bind(db) } : {}),
    close: () => db.close(),
  };
}
