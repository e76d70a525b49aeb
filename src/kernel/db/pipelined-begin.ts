// A transaction's `begin` written together with its first statement: one socket write and one round trip
// instead of two. pg's Client waits for ReadyForQuery after every query, so the two cannot simply be
// queued; instead one query (a pg Submittable) puts Bind/Execute of `begin` in front of the statement's own
// Parse/Bind/Describe/Execute, before the single Sync that ends them. The server answers BEGIN's
// BindComplete and CommandComplete first; the Client ignores the BindComplete and this query swallows the
// CommandComplete, so the caller sees only the statement's result. If either part fails the server skips
// the rest of the batch up to the Sync and the query fails with that error; the caller rolls back.
// The same batch may also end with `commit` (the rows a transaction held back, see held.ts): then the
// transaction's last statement and its commit are one round trip too, or its only one when the held
// statement is the transaction's first. A transaction's last statement (Queryable.queryThenCommit) may
// carry the held statement between itself and `commit`: statement, held rows, commit, one Sync.
import pg from 'pg';
import { sendQuery, SoukQuery, type WireConnection } from './pg-query.ts';

/** The name `begin` is prepared under on each pooled connection when statements are prepared. */
export const BEGIN_STATEMENT = 'souk_begin';

interface QueryInternals {
  prepare(connection: WireConnection): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
  requiresPreparation(): boolean;
}
type QueryCallback = (error: Error | undefined, result: pg.QueryResult) => void;
const QueryBase = SoukQuery as unknown as new (text: string, values: unknown[], name: string | undefined, callback: QueryCallback) => SoukQuery &
  QueryInternals;

/** The connection under a pooled client, to see which statements it has prepared. */
export const wireOf = (client: pg.PoolClient) => (client as unknown as { connection: WireConnection }).connection;

/** Whether `begin` can be bound by name on this client without a Parse (see Batched's `begin`). */
export const beginPrepared = (client: pg.PoolClient) => wireOf(client).parsedStatements[BEGIN_STATEMENT] !== undefined;

/** A statement sent behind another in its batch, its values already in wire form. */
export interface Trailing {
  text: string;
  values: unknown[];
  /** Its prepared name, used only where the connection has it prepared already. */
  name: string | undefined;
}

/**
 * What goes around the statement in its batch: `begin` in front (by name or parsed), `commit` after,
 * and between them, with `commit` only, `held` (the held rows' statement).
 */
interface Around {
  begin: 'named' | 'parsed' | undefined;
  commit: boolean;
  held?: Trailing | undefined;
}

class Batched extends QueryBase {
  private answered = 0;
  private executed = false;
  /** Index of the statement's own CommandComplete among the batch's answers. */
  private readonly own: number;

  /**
   * `begin: 'named'` binds the connection's prepared `begin` (no Parse: a second ParseComplete in front of
   * the statement's would make pg mark the statement's own name prepared before it is); 'parsed' parses it
   * unnamed, which is only safe when the statement is unnamed too (no prepared statements). `commit` is
   * parsed unnamed after the statement: its ParseComplete comes after the statement's, so it only repeats
   * what pg already recorded.
   */
  constructor(text: string, values: unknown[], name: string | undefined, callback: QueryCallback, private readonly around: Around) {
    super(text, values, name, callback);
    this.own = around.begin ? 1 : 0;
  }

  // Always the extended protocol: the simple one ends with its own ReadyForQuery, which would answer the
  // whole query after `begin` alone.
  override requiresPreparation() {
    return true;
  }

  // Called by pg's submit with the socket corked, after it has checked the query, so `begin` goes out in
  // the same write as the statement and only if the statement goes out too.
  override prepare(connection: WireConnection) {
    if (this.around.begin === 'named') {
      connection.bind({ statement: BEGIN_STATEMENT, values: [] }, false);
    } else if (this.around.begin === 'parsed') {
      connection.parse({ text: 'begin', name: '', types: [] }, false);
      connection.bind({ statement: '', values: [] }, false);
    }
    if (this.around.begin) connection.execute({ portal: '' }, false);
    if (!this.around.commit) return super.prepare(connection);
    // The statement's own prepare ends with Sync; `commit` goes in just before it, and only when the
    // statement was executed: when binding its values fails, pg closes the statement and syncs instead,
    // and a commit there would commit the transaction without the statement.
    const own = connection as unknown as { execute: WireConnection['execute']; sync: WireConnection['sync'] };
    own.execute = (config, more) => {
      this.executed = true;
      WireProto.execute.call(connection, config, more);
    };
    own.sync = () => {
      if (this.executed) {
        if (this.around.held) this.sendHeld(connection, this.around.held);
        connection.parse({ text: 'commit', name: '', types: [] }, false);
        connection.bind({ statement: '', values: [] }, false);
        WireProto.execute.call(connection, { portal: '' }, false);
      }
      WireProto.sync.call(connection);
    };
    try {
      super.prepare(connection);
    } finally {
      delete (own as Partial<typeof own>).execute;
      delete (own as Partial<typeof own>).sync;
    }
  }

  /**
   * The held statement behind the caller's: bound by name where this connection prepared it, else parsed
   * unnamed (a named Parse here would leave pg's list of prepared statements wrong if the batch failed
   * before it). No Describe: it returns no rows the caller wants, and any it returns are dropped.
   */
  private sendHeld(connection: WireConnection, held: Trailing) {
    const prepared = held.name !== undefined && connection.parsedStatements[held.name] === held.text;
    if (!prepared) connection.parse({ text: held.text, name: '', types: [] }, false);
    connection.bind({ statement: prepared ? held.name : '', values: held.values as pg.BindConfig['values'] }, false);
    WireProto.execute.call(connection, { portal: '' }, false);
  }

  // Answers come in batch order: `begin`'s, the statement's, the held statement's, `commit`'s. Only the
  // statement's is the caller's.
  override handleCommandComplete(message: unknown, connection: WireConnection) {
    const index = this.answered++;
    if (index !== this.own) return;
    super.handleCommandComplete(message, connection);
  }

  // Rows after the statement's own end are the held statement's (a RETURNING): not the caller's.
  override handleDataRow(message: { fields: (string | null)[] }) {
    if (this.answered > this.own) return;
    super.handleDataRow(message);
  }
}

/** pg's Connection methods, called past the per-query overrides above. */
const WireProto = pg.Connection.prototype as unknown as { execute: WireConnection['execute']; sync: WireConnection['sync'] };

/**
 * Runs `begin` and then `config` on `client` in one round trip, and with `commit` also the commit after
 * it. `named` as for Batched: true only when `beginPrepared(client)`; false requires an unnamed statement.
 */
export function beginThen(
  client: pg.PoolClient,
  text: string,
  values: unknown[],
  name: string | undefined,
  named: boolean,
  commit = false,
  held?: Trailing,
): Promise<pg.QueryResult> {
  if (!named && name) throw new Error('an unprepared begin cannot precede a named statement');
  return sendQuery(client, (callback) => new Batched(text, values, name, callback, { begin: named ? 'named' : 'parsed', commit, held }));
}

/**
 * Runs a statement and then `commit` in one round trip, on a client whose transaction has begun. If the
 * statement fails the server skips the commit and the query fails; the transaction is left failed, for
 * the caller's rollback. If the commit fails the query fails with its error.
 */
export function thenCommit(client: pg.PoolClient, text: string, values: unknown[], name: string | undefined, held?: Trailing): Promise<pg.QueryResult> {
  return sendQuery(client, (callback) => new Batched(text, values, name, callback, { begin: undefined, commit: true, held }));
}
