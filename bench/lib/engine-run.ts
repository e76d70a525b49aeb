// Per-engine plumbing the scenarios shared as near-copies, kept here once so they do these steps alike:
// the scratch database or the reason to skip the engine (catalog, checkout, flash-sale), and for the
// scenarios that drive Souk with their own clients and then count in SQL (checkout, flash-sale) Souk
// started on a bench entry with the bench admin, and the count after the load; and the frame of every
// such scenario: each engine in turn beside one bare Fastify server.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from './postgres.ts';
import type { ScenarioContext } from './scenario.ts';
import { REPO_ROOT, startBareServer, startSoukServer, type Engine, type SoukServer, type StartedServer } from './servers.ts';
import { round } from './stats.ts';

/** The admin the bench entries create at start (SOUK_ADMIN_EMAIL / _PASSWORD); a new password per run. */
export const BENCH_ADMIN = { email: 'bench-admin@souk.local', password: `bench-${randomBytes(8).toString('hex')}` };

/** What an engine run records of its database (part of the scenario's JSON). */
export interface EngineDatabaseRecord {
  skipped?: string;
  database?: { name: string; serverVersion: string };
}

/** What every per-engine run of Souk records first: the engine, its database, how soon Souk was ready. */
export interface SoukEngineRecord extends EngineDatabaseRecord {
  engine: Engine;
  readyAfterSeconds?: number;
}

/**
 * Bare Fastify started once (and logged), `run` called for each of --engines in turn with it beside, then
 * bare stopped: every engine is measured against the same bare server (catalog, checkout, flash-sale).
 */
export async function eachEngineBesideBare<R>(context: ScenarioContext, run: (engine: Engine, bare: StartedServer) => Promise<R>): Promise<R[]> {
  const { cleanup, log } = context;
  const bare = await startBareServer(cleanup);
  log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
  const runs: R[] = [];
  for (const engine of context.options.engines) runs.push(await run(engine, bare));
  await bare.stop();
  return runs;
}

/**
 * postgres: a scratch database (logged, `run.database` set), or undefined with `run.skipped` saying why
 * (logged and noted) when PostgreSQL does not answer; embedded: undefined. `label` names the run in the
 * log and the notes (the engine by default).
 */
export async function engineDatabase(
  engine: Engine,
  context: ScenarioContext,
  notes: string[],
  run: EngineDatabaseRecord,
  label: string = engine,
): Promise<ScratchDatabase | undefined> {
  const { options, cleanup, log } = context;
  if (engine !== 'postgres') return undefined;
  const outcome = await createScratchDatabase(options.pgAdminUrl, cleanup);
  if (!outcome.ok) {
    run.skipped = `PostgreSQL at ${options.pgAdminUrl.replace(/\/\/[^@/]*@/, '//…@')} is unreachable (${outcome.reason})`;
    notes.push(`${label} skipped: ${run.skipped}`);
    log(`${label} skipped: ${run.skipped}`);
    return undefined;
  }
  const scratch = outcome.database;
  run.database = { name: scratch.name, serverVersion: scratch.serverVersion };
  log(`${label}: scratch database ${scratch.name} on PostgreSQL ${scratch.serverVersion}`);
  return scratch;
}

export interface BenchSoukOptions {
  engine: Engine;
  scratch: ScratchDatabase | undefined;
  /** The entry under bench/ that node runs (createSouk + listen, plus the scenario's side port). */
  entry: string;
  /** Said in the log after the entry, e.g. the stock gate. */
  remark?: string;
  /** The entry's own environment (side port, Redis); --souk-env comes after it. */
  env: Record<string, string | undefined>;
}

/** Souk on a bench entry, demo seed off, BENCH_ADMIN as its admin; logged, with its start-up time in seconds. */
export async function startBenchSouk(context: ScenarioContext, o: BenchSoukOptions): Promise<{ souk: SoukServer; readyAfterSeconds: number }> {
  const { options, cleanup, log } = context;
  log(`${o.engine}: starting souk (bench/${o.entry}${o.remark ? `, ${o.remark}` : ''})…`);
  const souk = await startSoukServer({
    engine: o.engine,
    databaseUrl: o.scratch?.url,
    cleanup,
    entryArgs: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', o.entry)],
    env: { SOUK_SEED_DEMO: '0', SOUK_ADMIN_EMAIL: BENCH_ADMIN.email, SOUK_ADMIN_PASSWORD: BENCH_ADMIN.password, ...o.env, ...options.soukEnv } as Record<string, string>,
  });
  const readyAfterSeconds = round(souk.readyAfterMs / 1000, 1);
  log(`${o.engine}: souk pid ${souk.pid} ready on ${souk.baseUrl} after ${readyAfterSeconds} s`);
  return { souk, readyAfterSeconds };
}

export type SqlQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * The independent count after the load, then Souk stopped and the scratch database dropped. PostgreSQL:
 * through pg while Souk still runs (`souk.stop` may stop several nodes on the one database). Embedded:
 * PGlite opened on Souk's data directory once Souk has stopped (one process at a time).
 */
export async function countInSql<T>(souk: Pick<SoukServer, 'stop' | 'dataDir'>, scratch: ScratchDatabase | undefined, count: (query: SqlQuery) => Promise<T>): Promise<T> {
  let result: T;
  if (scratch) {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      result = await count(async (sql, params) => (await client.query(sql, params)).rows as Record<string, unknown>[]);
    } finally {
      await client.end();
    }
    await souk.stop();
    await scratch.drop();
  } else {
    await souk.stop();
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(souk.dataDir);
    try {
      result = await count(async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows);
    } finally {
      await db.close();
    }
  }
  return result;
}
