// The engines the kernel's transaction tests run on: PGlite, and PostgreSQL (a scratch database on one
// connection, so a connection left in a failed or open transaction shows in the next test) with and
// without prepared statements. On PostgreSQL `trips` counts pg's round trips while fn runs; PGlite sends
// nothing through pg, so there it answers 0 and its counts are not asserted.
import { openPglite } from '../src/kernel/db/pglite.ts';
import { openPostgres } from '../src/kernel/db/postgres.ts';
import type { Database } from '../src/kernel/db/types.ts';
import { createTempPostgres } from './harness.ts';
import { watchPgQueries } from './pg-round-trips.ts';

export interface OpenedTxEngine {
  db: Database;
  trips(fn: () => Promise<unknown>): Promise<number>;
  done(): Promise<void>;
}

export interface TxTestEngine {
  name: string;
  pg: boolean;
  skip: string | false;
  open(): Promise<OpenedTxEngine>;
}

const uncounted = async (fn: () => Promise<unknown>) => {
  await fn();
  return 0;
};

export function txTestEngines(): TxTestEngine[] {
  const hasPostgres = Boolean(process.env.DATABASE_URL);
  return [
    {
      name: 'PGlite',
      pg: false,
      skip: false,
      open: async () => {
        const db = await openPglite(undefined);
        return { db, trips: uncounted, done: () => db.close() };
      },
    },
    ...[true, false].map((prepare) => ({
      name: `PostgreSQL (${prepare ? 'prepared statements' : 'SOUK_DB_PREPARE=0'})`,
      pg: true,
      skip: hasPostgres ? (false as const) : 'needs PostgreSQL (DATABASE_URL)',
      open: async () => {
        const temp = await createTempPostgres();
        const db = await openPostgres(temp.url, 1, { prepare });
        const queries = watchPgQueries();
        return {
          db,
          trips: async (fn: () => Promise<unknown>) => (await queries.during(fn)).length,
          done: async () => {
            queries.stop();
            await db.close();
            await temp.drop();
          },
        };
      },
    })),
  ];
}
