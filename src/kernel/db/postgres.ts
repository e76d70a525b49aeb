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
    close: () => pool.end(),
  };
}
