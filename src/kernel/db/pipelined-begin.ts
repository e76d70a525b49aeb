// A transaction's `begin` written together with its first statement: one socket write and one round trip
// instead of two. pg's Client waits for ReadyForQuery after every query, so the two cannot simply be
// queued; instead one query (a pg Submittable) puts Bind/Execute of `begin` in front of the statement's own
// Parse/Bind/Describe/Execute, before the single Sync that ends them. The server answers BEGIN's
// BindComplete and CommandComplete first; the Client ignores the BindComplete and this query swallows the
// CommandComplete, so the caller sees only the statement's result. If either part fails the server skips
// the rest of the batch up to the Sync and the query fails with that error; the caller rolls back.
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

/** Whether `begin` can be bound by name on this client without a Parse (see BeginThen's `named`). */
export const beginPrepared = (client: pg.PoolClient) => wireOf(client).parsedStatements[BEGIN_STATEMENT] !== undefined;

class BeginThen extends QueryBase {
  private beginAnswered = false;

  /**
   * `named`: bind the connection's prepared `begin` (no Parse: a second ParseComplete in the batch would
   * make pg mark the statement's own name prepared before it is). Otherwise `begin` is parsed unnamed,
   * which is only safe when the statement is unnamed too (no prepared statements).
   */
  constructor(text: string, values: unknown[], name: string | undefined, callback: QueryCallback, private readonly named: boolean) {
    super(text, values, name, callback);
  }

  // Always the extended protocol: the simple one ends with its own ReadyForQuery, which would answer the
  // whole query after `begin` alone.
  override requiresPreparation() {
    return true;
  }

  // Called by pg's submit with the socket corked, after it has checked the query, so `begin` goes out in
  // the same write as the statement and only if the statement goes out too.
  override prepare(connection: WireConnection) {
    if (this.named) {
      connection.bind({ statement: BEGIN_STATEMENT, values: [] }, false);
    } else {
      connection.parse({ text: 'begin', name: '', types: [] }, false);
      connection.bind({ statement: '', values: [] }, false);
    }
    connection.execute({ portal: '' }, false);
    super.prepare(connection);
  }

  override handleCommandComplete(message: unknown, connection: WireConnection) {
    if (!this.beginAnswered) {
      this.beginAnswered = true;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

/**
 * Runs `begin` and then `config` on `client` in one round trip. `named` as for BeginThen: true only when
 * `beginPrepared(client)`; false requires an unnamed statement.
 */
export function beginThen(client: pg.PoolClient, text: string, values: unknown[], name: string | undefined, named: boolean): Promise<pg.QueryResult> {
  if (!named && name) throw new Error('an unprepared begin cannot precede a named statement');
  return sendQuery(client, (callback) => new BeginThen(text, values, name, callback, named));
}
