// What pg's Client sends, one entry per query: each query waits for its ReadyForQuery, so one entry is
// one round trip (a pipelined `begin` or `commit` rides inside the query that carries it). Patches
// pg.Client.prototype.query for the whole process until stop() is called: for tests and bench tools that
// count the database work of a request.
import pg from 'pg';

type QueryConfig = string | { text?: string };

export interface PgQueryWatch {
  /** Runs fn and returns the texts of the queries sent while it ran (other clients' too). */
  during(fn: () => Promise<unknown>): Promise<string[]>;
  /** Puts pg's own query method back. */
  stop(): void;
}

/** Calls onQuery with each query's text and its config (a Query object for pipelined statements). */
export function watchPgQueries(onQuery?: (text: string, config: QueryConfig) => void): PgQueryWatch {
  const original = pg.Client.prototype.query;
  let sent: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as QueryConfig;
    const text = typeof config === 'string' ? config : (config.text ?? '');
    sent.push(text);
    onQuery?.(text, config);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return {
    async during(fn) {
      sent = [];
      await fn();
      return sent;
    },
    stop: () => {
      pg.Client.prototype.query = original;
    },
  };
}
