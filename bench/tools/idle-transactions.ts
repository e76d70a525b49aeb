// What an idle node costs the database: starts Souk as `souk start` would (every module, the demo shop
// seeded, the worker role) on a scratch PostgreSQL database, lets it settle, then counts the database's
// transactions (pg_stat_database) over a quiet window with no traffic at all, and lists the statements
// that ran when pg_stat_statements is loaded. Issue 18's goal: under 2 transactions/s.
//   DATABASE_URL=postgres://root@127.0.0.1:5432/test node --import tsx bench/tools/idle-transactions.ts [--seconds 30] [--settle 10]
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSouk } from '../../src/server.ts';
import { createTempPostgres } from '../../test/harness.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL to a PostgreSQL server (a scratch database is created and dropped).');
const seconds = flag('seconds', 30);
const settle = flag('settle', 10);
const temp = await createTempPostgres();
const name = new URL(temp.url).pathname.slice(1);
const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
await admin.connect();
const transactions = async () => {
  // Backends report their counters about once a second; the sleeps around the window cover that.
  const { rows } = await admin.query<{ n: string }>('select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1', [name]);
  return Number(rows[0]?.n ?? Number.NaN);
};
// pg_stat_statements answers only when the server preloads it (shared_preload_libraries).
const statements = await admin
  .query('select pg_stat_statements_reset()')
  .then(() => true)
  .catch(() => false);
const souk = await createSouk({ logger: false, config: { databaseUrl: temp.url, eventsTransport: 'embedded', seedDemo: true } });
try {
  console.log(`souk started on ${name}; settling ${settle} s`);
  await sleep(settle * 1000);
  if (statements) await admin.query('select pg_stat_statements_reset()');
  await sleep(1500);
  const before = await transactions();
  const started = Date.now();
  await sleep(seconds * 1000);
  await sleep(1500);
  const after = await transactions();
  const elapsed = (Date.now() - started) / 1000;
  console.log(`idle node: ${after - before} transactions in ${elapsed.toFixed(1)} s = ${((after - before) / elapsed).toFixed(2)} transactions/s`);
  if (statements) {
    const { rows } = await admin.query<{ calls: string; query: string }>(
      `select s.calls::text, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120) as query
       from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = $1 order by s.calls desc limit 25`,
      [name],
    );
    console.log('statements in the window (pg_stat_statements):');
    for (const row of rows) console.log(`  ${row.calls.padStart(6)}  ${row.query}`);
  }
} finally {
  await souk.close();
  await admin.end();
  await temp.drop();
}
