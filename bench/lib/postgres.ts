// A throw-away PostgreSQL database per run: created on the admin connection, dropped (with any
// remaining connections) when the run ends, whatever happens.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { CleanupStack } from './cleanup.ts';

export interface ScratchDatabase {
  name: string;
  url: string;
  serverVersion: string;
  /**
   * Transactions committed or rolled back in the database so far (pg_stat_database). Backends publish
   * their counts about once a second, so read it a little after the work of interest has finished.
   */
  transactions(): Promise<number>;
  /**
   * Refreshes the planner's statistics, as autovacuum would on a shop that has run for a while: right
   * after a bulk seed the tables look empty to the planner, which then picks plans no real shop gets.
   * With vacuum, also marks the pages all-visible as autovacuum does after inserts (PostgreSQL 13+), so
   * index-only scans read no table pages, as they would in a shop whose catalogue settled.
   */
  analyze(options?: { vacuum?: boolean }): Promise<void>;
  drop(): Promise<void>;
}

export type ScratchDatabaseOutcome = { ok: true; database: ScratchDatabase } | { ok: false; reason: string };

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000, query_timeout: 60_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `souk_bench_<random>`; reports instead of throwing when the server cannot be reached. */
export async function createScratchDatabase(adminUrl: string, cleanup: CleanupStack): Promise<ScratchDatabaseOutcome> {
  const name = `souk_bench_${randomBytes(5).toString('hex')}`;
  let serverVersion: string;
  try {
    serverVersion = await withAdmin(adminUrl, async (client) => {
      const version = await client.query<{ server_version: string }>('show server_version');
      // The name is generated above from hex digits only, so quoting it is enough.
      await client.query(`create database "${name}"`);
      return version.rows[0]?.server_version ?? 'unknown';
    });
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let statsClient: pg.Client | undefined;
  // BENCH_KEEP_DATABASE=1 leaves the database behind for EXPLAIN after the run (drop it by hand).
  const keep = process.env.BENCH_KEEP_DATABASE === '1';
  const drop = cleanup.add(keep ? `keep database ${name}` : `drop database ${name}`, async () => {
    if (keep) return;
    await statsClient?.end().catch(() => undefined);
    statsClient = undefined;
    await withAdmin(adminUrl, async (client) => {
      await client.query(`drop database if exists "${name}" with (force)`);
    });
  });
  const transactions = async () => {
    if (!statsClient) {
      statsClient = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
      await statsClient.connect();
    }
    const result = await statsClient.query<{ n: string }>(
      'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1',
      [name],
    );
    return Number(result.rows[0]?.n ?? Number.NaN);
  };
  const analyze = async (options: { vacuum?: boolean } = {}) => {
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(options.vacuum ? 'vacuum analyze' : 'analyze');
    } finally {
      await client.end();
    }
  };
  return { ok: true, database: { name, url: url.toString(), serverVersion, transactions, analyze, drop } };
}
