// PostgreSQL through a pg connection pool: the scale-out database.
import pg from 'pg';
import { HeldWrites, holding, type HeldStatement } from './held.ts';
import { BEGIN_STATEMENT, beginPrepared, beginThen, thenCommit, type Trailing } from './pipelined-begin.ts';
import { runStatement } from './pg-query.ts';
import { wantsGenericPlan, type Database, type Queryable } from './types.ts';

// int8 as JS numbers, as on PGlite, so both engines return the same shapes.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

// Named (prepared) statements: PostgreSQL parses and plans an unnamed statement on every call, which
// measured as much CPU as executing it on the purchase path. A statement text seen twice gets a name, and
// each pooled connection prepares it once; pg keeps the per-connection list. Texts are capped, so SQL
// built with ever-changing shapes (long IN lists, search filters) cannot grow the server's memory.
const PREPARED_MAX = 2_000;
const statementNames = new Map<string, string | number>();
let namesGiven = 0;
/** Texts whose prepared plan broke (a table's columns changed under a `select *`): always unnamed. */
const neverPrepare = new Set<string>();

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (typeof known === 'string') return known;
  if (neverPrepare.has(text)) return undefined;
  if (known === undefined) {
    if (statementNames.size < PREPARED_MAX) statementNames.set(text, 1);
    return undefined;
  }
  namesGiven += 1;
  const name = `souk_${namesGiven.toString(36)}`;
  statementNames.set(text, name);
  return name;
}

/** PostgreSQL's answer when a prepared statement's result columns changed after a migration. */
const isStalePlan = (error: unknown) => (error as { code?: string }).code === '0A000' && /cached plan/.test(String((error as Error).message));

interface Session {
  client: pg.Pool | pg.PoolClient;
  /** Set inside a transaction; `begun` once its `begin` went out (with the first statement, see send). */
  tx?: { client: pg.PoolClient; begun: boolean; held: HeldWrites };
  prepare: boolean;
}

// Statements marked with genericPlan() run with plan_cache_mode = force_generic_plan: their prepared
// statement is planned once per connection instead of on every call (PostgreSQL keeps replanning them
// because their custom plans look cheaper). The setting belongs to the connection, so each pooled client
// remembers which mode it was left in and is switched only when the next statement wants the other one:
// a node serving only storefront reads never switches, a mixed one pays a SET now and then.
const genericClients = new WeakSet<pg.PoolClient>();
const SET_GENERIC = 'set plan_cache_mode = force_generic_plan';
const SET_DEFAULT = 'set plan_cache_mode to default';

async function planMode(client: pg.PoolClient, generic: boolean): Promise<void> {
  if (generic === genericClients.has(client)) return;
  await client.query(generic ? SET_GENERIC : SET_DEFAULT);
  if (generic) genericClients.add(client);
  else genericClients.delete(client);
}

/** One statement outside a transaction, on a pooled client in the plan mode it asks for. */
async function runPooled(pool: pg.Pool, prepare: boolean, text: string, params: readonly unknown[]) {
  const client = await pool.connect();
  // A connection lost mid-statement also emits 'error' on the client, which the pool listens to only
  // while the client is idle; the failing statement reports it, and the client is then dropped.
  const ignore = () => undefined;
  client.on('error', ignore);
  let failure: Error | undefined;
  try {
    // Without prepared statements every call is planned anyway; the mode would change nothing.
    await planMode(client, prepare && params.length > 0 && wantsGenericPlan(text));
    return await run({ client, prepare }, text, params);
  } catch (error) {
    // As pool.query does: a client whose statement failed is closed rather than reused.
    failure = error as Error;
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release(failure);
  }
}

/**
 * Inside a transaction, the server's default plan mode whatever the client was left in: a client left in
 * generic mode by storefront reads is switched back (one SET, on mixed nodes only) before the transaction,
 * so the transaction's own `begin` still rides with its first statement.
 */
const defaultPlanMode = (client: pg.PoolClient) => planMode(client, false);

/**
 * Sends one statement. The first statement of a transaction carries its `begin`: one write and one round
 * trip for both. With parameters through the extended protocol (pipelined-begin.ts); without, as the
 * simple protocol's `begin;<text>`, which the server runs as one batch, leaving the transaction open.
 */
async function send({ client, tx, prepare }: Session, text: string, values?: unknown[], name?: string, commit = false, held?: Trailing): Promise<pg.QueryResult> {
  // The transaction's last statement, with its commit in the same batch (statements with parameters only),
  // and the held rows' statement between them when the last statement is not that one.
  if (commit && tx && values?.length) {
    if (tx.begun) return thenCommit(tx.client, text, values, name, held);
    tx.begun = true;
    return beginThen(tx.client, text, values, name, prepare, true, held);
  }
  if (!tx || tx.begun) {
    // The pool itself (script outside a transaction) and statements without parameters (pg's simple
    // protocol, which may hold several statements) go through pg's own query; the rest through SoukQuery.
    if (!values?.length || client instanceof pg.Pool) return client.query(name ? { name, text, values } : { text, values });
    return runStatement(client, text, values, name);
  }
  tx.begun = true;
  // The transaction began with this first statement: a failure anywhere in the batch leaves the
  // connection either in the failed transaction or outside any, and the caller's rollback handles both.
  if (values?.length) return beginThen(tx.client, text, values, name, prepare);
  const results = (await tx.client.query(`begin;${text}`)) as pg.QueryResult | pg.QueryResult[];
  // BEGIN's result comes first; a text of one statement answers as if sent alone.
  if (Array.isArray(results) && results.length === 2) return results[1]!;
  return Array.isArray(results) ? (results.slice(1) as unknown as pg.QueryResult) : results;
}

/** pg's own conversion of a parameter to its text form (pg applies it again to a string: unchanged). */
const toWire = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

async function run(session: Session, text: string, params: readonly unknown[], commit = false, held?: Trailing) {
  const name = session.prepare && params.length > 0 ? statementName(text) : undefined;
  if (name === undefined) return send(session, text, params as unknown[], undefined, commit, held);
  // A value pg cannot convert (a BigInt inside JSON, a throwing toPostgres) makes pg close the named
  // statement on the server while keeping it on its list of prepared ones, so that every later use of the
  // text on that connection would fail. Converted here, such a value fails before anything is sent.
  const values = params.map(toWire);
  try {
    return await send(session, text, values, name, commit, held);
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    statementNames.delete(text);
    neverPrepare.add(text);
    // Outside a transaction the statement can simply run again, unprepared; inside, the transaction is lost.
    if (session.tx) throw error;
    return session.client.query(text, params as unknown[]);
  }
}

type Runner = (text: string, params: readonly unknown[]) => Promise<pg.QueryResult>;

type TxSession = Session & { tx: NonNullable<Session['tx']> };

function wrap(session: Session, runner: Runner = (text, params) => run(session, text, params)): Queryable {
  const queryable: Queryable = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await runner(text, params);
      return result.rows as T[];
    },
    async execute(text: string, params: readonly unknown[] = []) {
      const result = await runner(text, params);
      return { rowCount: result.rowCount ?? 0 };
    },
    async script(sql: string) {
      // No parameters: pg uses the simple protocol, which accepts several statements.
      await send(session, sql);
    },
  };
  // In a transaction: rows may be held until the commit, savepoint statements move their marks, and the
  // last statement may carry the commit.
  return session.tx ? holding(queryable, session.tx.held, (text, params, held) => queryThenCommit(session as TxSession, text, params, held)) : queryable;
}

/** Writes the held rows and commits: the held statement in the commit's own batch (with `begin` too when nothing else ran). */
async function commitWith(session: TxSession, held: HeldStatement | undefined) {
  if (held) await held.around(held.text, () => run(session, held.text, held.params, held.params.length > 0));
  // Committed with the held statement unless there was none, or it had no parameters to ride with.
  if (session.tx.begun && (!held || held.params.length === 0)) await session.tx.client.query('commit');
}

/** Commits a transaction (its held rows first, see commitWith), then runs what those rows wait for. */
async function commitHeld(session: TxSession) {
  await commitWith(session, session.tx.held.take());
  session.tx.held.committed();
}

/**
 * The transaction's last statement, the held rows' statement and `commit` as one batch: one round trip
 * (with `begin` too when it is the transaction's first statement). A statement without parameters, or a
 * held statement without any, goes the plain way: the statement, then commitWith.
 */
async function queryThenCommit<T>(session: TxSession, text: string, params: readonly unknown[], held: HeldStatement | undefined): Promise<T[]> {
  if (params.length === 0 || (held && held.params.length === 0)) {
    const result = await run(session, text, params);
    await commitWith(session, held);
    return result.rows as T[];
  }
  if (!held) return (await run(session, text, params, true)).rows as T[];
  // Converted before anything is sent, so a value pg cannot convert fails the batch before it goes out.
  const trailing: Trailing = { text: held.text, values: held.params.map(toWire), name: session.prepare ? statementName(held.text) : undefined };
  const result = await held.around(held.text, () => run(session, text, params, true, trailing));
  return result.rows as T[];
}

const RECONNECT_MS = 1000;

/** LISTEN on a dedicated client (a pooled one would be handed to other queries), reconnecting on loss. */
async function listen(url: string, channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name "${channel}"`);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    next.on('error', () => reconnect());
    next.on('end', () => reconnect());
    await next.connect();
    await next.query(`listen ${channel}`);
    client = next;
  };
  const reconnect = () => {
    if (stopped || retry) return;
    client?.removeAllListeners();
    client?.end().catch(() => undefined);
    client = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(onGap, () => reconnect());
    }, RECONNECT_MS);
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const last = client;
    client = undefined;
    last?.removeAllListeners();
    await last?.end().catch(() => undefined);
  };
}

export async function openPostgres(url: string, poolSize: number, { prepare = true }: { prepare?: boolean } = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  await pool.query('select 1');
  return {
    kind: 'postgres',
    ...wrap({ client: pool, prepare }, (text, params) => runPooled(pool, prepare, text, params)),
    async transaction(fn) {
      const client = await pool.connect();
      const tx = { client, begun: false, held: new HeldWrites() };
      try {
        await defaultPlanMode(client);
        // Prepared statements: `begin` is bound by name in front of the first statement, so a connection's
        // first transaction prepares it on its own round trip (see pipelined-begin.ts for why not inline).
        if (prepare && !beginPrepared(client)) {
          await client.query({ name: BEGIN_STATEMENT, text: 'begin' });
          tx.begun = true;
        }
        const session = { client, tx, prepare };
        const result = await fn(wrap(session));
        const over = tx.held.over;
        // A transaction that ran no statement and held none never began: nothing to commit.
        if (over === undefined) await commitHeld(session);
        // Ended by queryThenCommit: committed, or failed (a callback that caught the error still fails).
        else if (over !== 'committed') throw over === 'riding' ? new Error('The transaction callback returned before its queryThenCommit finished.') : over.error;
        return result;
      } catch (error) {
        // After queryThenCommit committed there is nothing left to roll back (the commit stays).
        if (tx.begun && tx.held.over !== 'committed') await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage, onGap) => listen(url, channel, onMessage, onGap),
    close: () => pool.end(),
  };
}
