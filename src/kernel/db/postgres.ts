// PostgreSQL through a pg connection pool: the scale-out database.
import pg from 'pg';
import type { Database, Queryable } from './types.ts';

// int8 as JS numbers, as on PGlite, so both engines return the same shapes.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await client.query(text, params as unknown[]);
      return result.rows as T[];
    },
    async execute(text: string, params: readonly unknown[] = []) {
      const result = await client.query(text, params as unknown[]);
      return { rowCount: result.rowCount ?? 0 };
    },
    async script(sql: string) {
      // No parameters: pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
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

export async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  await pool.query('select 1');
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onMessage, onGap) => listen(url, channel, onMessage, onGap),
    close: () => pool.end(),
  };
}
