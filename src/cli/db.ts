// `souk db move --to <DATABASE_URL> --mode full-stop|smooth`: moves the configured database (the embedded
// one in SOUK_DATA_DIR, or DATABASE_URL) to an empty PostgreSQL database, verifies it table by table and
// platform by platform, and switches: the old database then refuses to serve. full-stop needs the shop
// stopped (kernel/db/move/full-stop.ts); smooth copies while it sells and pauses writes only for the final
// catch-up and the verification (modules/migration/move/smooth.ts). See docs/migration.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../kernel/config.ts';
import { SECRET_KEY_FILE } from '../kernel/secret-key.ts';
import { openDatabase } from '../kernel/db/open.ts';
import { openPostgres } from '../kernel/db/postgres.ts';
import { MoveRefused, moveFullStop, moverUrl, type MoveReport } from '../kernel/db/move/full-stop.ts';
import type { Database } from '../kernel/db/types.ts';
import { collectMigrations, migrate } from '../kernel/migrations.ts';
import { allModules } from '../modules/index.ts';
import { abortMove, moveSmooth, type SmoothReport } from '../modules/migration/move/smooth.ts';
import { reportLines, type MoveReportLine, type MoveView } from '../modules/migration/move/in-server.ts';
import { ensureGatewaySchema } from '../gateway/schema.ts';
import { ApiClient, option, serverUrl } from './api-client.ts';
import { announceDatabase, withoutPassword } from './database-target.ts';

export const dbUsage = (): string => `Usage:
  souk db move --to <DATABASE_URL> --mode full-stop|smooth [--throttle-ms N] [--url SERVER]
  souk db move --abort [--url SERVER]

Copies the configured database (DATABASE_URL, else the embedded one in SOUK_DATA_DIR) to an empty
PostgreSQL database, then verifies row counts and content checksums per table and per platform. Only
when everything matches does it switch: the old database records where it went and Souk refuses to start
on it; start Souk with DATABASE_URL set to the new one. The old database's rows are never changed.
  full-stop  the shop must be stopped for the whole move (an embedded database is locked by this command;
             a PostgreSQL source must have no other connection and is read-only meanwhile).
  smooth     the shop keeps selling: tables are copied while it runs, the changes made meanwhile are
             replayed from per-table change tracking (installed for the move only), then writes wait
             for a short freeze (final catch-up, verification, switch; the report says how long).
             Afterwards every write on the old database fails with a message naming the new one.
             A mover that stopped (crash, kill) resumes with the same command; --abort removes the
             change tracking from the source instead. A running embedded shop is moved by its own
             server (found by the data directory's lock; --url names the server, else $SOUK_URL or
             localhost:$PORT; an owner's session or SOUK_API_KEY): this command follows the move and
             prints the report, and the server carries on against the new database without a restart.
  --throttle-ms N  pause N ms after each page of 2,000 rows copied, to spare a busy source.`;

/** The schema a moved database needs: every module's migrations and the gateway's tables. */
async function createSchema(db: Database): Promise<void> {
  await migrate(db, collectMigrations(allModules(() => { throw new Error('no event bus while moving'); })));
  await ensureGatewaySchema(db);
}

function printLines(lines: readonly MoveReportLine[]): void {
  console.log('Verification (source rows and checksum per table and platform; the target must match):');
  for (const l of lines.filter((x) => x.status !== 'only-in-target')) {
    console.log(`  ${l.status === 'ok' ? 'ok     ' : 'DIFFERS'} ${l.table.padEnd(34)} ${(l.platform || '(all)').padEnd(24)} ${String(l.rows).padStart(9)} rows  ${l.checksum.slice(0, 12)}`);
  }
  for (const l of lines.filter((x) => x.status === 'only-in-target')) console.log(`  DIFFERS ${l.table} ${l.platform}: only in the target (${l.rows} rows)`);
}

function printSmoothSummary(report: Pick<SmoothReport, 'copiedRows' | 'copySeconds' | 'resumed' | 'caughtUp' | 'freeze'>): void {
  const { caughtUp, freeze } = report;
  console.log(`Copied ${report.copiedRows} rows in ${report.copySeconds.toFixed(1)} s while the shop kept selling${report.resumed ? ' (resumed: tables copied before the stop were kept)' : ''}; caught up ${caughtUp.entries} changes (${caughtUp.keys} rows) in ${caughtUp.seconds.toFixed(1)} s.`);
  console.log(`Writes were paused for ${freeze.seconds.toFixed(2)} s (final catch-up of ${freeze.entries} changes, verification ${freeze.verifySeconds.toFixed(2)} s${freeze.attempts > 1 ? `, freeze attempt ${freeze.attempts}` : ''}).`);
}

function printReport(report: MoveReport | SmoothReport, slugs: Map<string, string>): void {
  printLines(reportLines(report, slugs));
  if (report.skipped.length > 0) console.log(`Not copied (no such table in Souk's schema; created at run time by the component that uses it): ${report.skipped.join(', ')}`);
  if ('freeze' in report) printSmoothSummary(report);
  else console.log(`Copied ${report.copiedRows} rows in ${report.copySeconds.toFixed(1)} s; writes were refused for ${report.pausedSeconds.toFixed(1)} s.`);
}

/** The pid of the live process holding an embedded data directory (a running server), if any. */
function embeddedHolder(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'souk.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * A running embedded shop is moved by its own server (POST /admin/db/move): this follows the move,
 * showing where it is, and prints the verification report at the end.
 */
async function moveThroughServer(client: ApiClient, to: string, throttleMs: number | undefined): Promise<number> {
  await client.announce();
  let view: MoveView;
  try {
    view = (await client.call('POST', '/admin/db/move', { to, mode: 'smooth', ...(throttleMs !== undefined ? { throttleMs } : {}) })) as MoveView;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  let lastLine: string | undefined;
  let shownPhase = '';
  for (;;) {
    // The view keeps the move's lines (its latest 1,000): print those after the last one shown.
    for (const line of view.log.slice(lastLine === undefined ? 0 : view.log.lastIndexOf(lastLine) + 1)) console.error(`souk: ${line}`);
    lastLine = view.log.at(-1) ?? lastLine;
    const p = view.progress;
    const where = `${p.phase}: ${p.tablesDone}/${p.tablesTotal} tables, ${p.rowsCopied} rows copied, ${p.changesCaughtUp} changes caught up`;
    if (where !== shownPhase) console.error(`souk: ${where}`);
    shownPhase = where;
    if (view.status !== 'running') break;
    await sleep(500);
    view = (await client.call('GET', '/admin/db/move')) as MoveView;
  }
  if (view.report) {
    printLines(view.report.lines);
    printSmoothSummary(view.report);
  }
  if (view.status === 'switched') {
    console.log(`Switched. The server now runs on ${view.target} without a restart; the embedded database refuses writes, and its data directory names the new database (moved-to.json), so the next \`souk start\` there uses it.`);
    return 0;
  }
  if (view.status === 'differs') console.error('The copy differs from the source (marked DIFFERS): nothing was switched and the change tracking was removed. Drop the target database and run the move again.');
  else console.error(view.error ?? `The move ended ${view.status}.`);
  return 1;
}

/** The mover's advisory lock on a PostgreSQL source (one move at a time); released when the mover's connection ends. */
const MOVER_LOCK = 7_305_331;

async function holdMoverLock(url: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: moverUrl(url) });
  client.on('error', () => undefined);
  await client.connect();
  const [row] = (await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [MOVER_LOCK])).rows;
  if (row?.ok) return client;
  await client.end();
  return undefined;
}

async function abortCommand(args: string[]): Promise<number> {
  const config = loadConfig();
  const holder = config.databaseUrl ? undefined : embeddedHolder(config.dataDir);
  if (option(args, '--url') || holder !== undefined) {
    const client = new ApiClient(serverUrl(args));
    await client.announce();
    const result = (await client.call('DELETE', '/admin/db/move')) as { stopped: boolean; trackingRemoved: boolean; pending: number };
    console.log(
      result.stopped ? 'Stopped the running move and removed its change tracking. Drop the target database before moving again.'
        : result.trackingRemoved ? `Removed the change tracking of a stopped move (${result.pending} changes were not replayed). Drop the target database before moving again.`
          : 'No move was tracking changes on this database; nothing to remove.',
    );
    return 0;
  }
  if (!announceDatabase(config, ['--no-create'], 'db move')) return 2;
  let source;
  try {
    source = await openDatabase({ ...config, databaseUrl: config.databaseUrl ? moverUrl(config.databaseUrl) : undefined });
  } catch (error) {
    console.error(`Cannot open the source database: ${(error as Error).message}`);
    return 1;
  }
  try {
    const aborted = await abortMove(source);
    console.log(
      aborted
        ? `Removed the change tracking of the move to ${aborted.target} (${aborted.pending} changes were not replayed). The source is as before the move; drop the target database before moving again.`
        : 'No move was tracking changes on this database; nothing to remove.',
    );
    return 0;
  } finally {
    await source.close();
  }
}

export async function dbCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(dbUsage());
    return sub === undefined ? 2 : 0;
  }
  const to = option(args, '--to');
  const mode = option(args, '--mode') ?? 'full-stop';
  if (sub === 'move' && args.includes('--abort')) return abortCommand(args);
  if (sub !== 'move' || !to || !/^postgres(ql)?:\/\//.test(to)) {
    console.error(`${to && !/^postgres(ql)?:\/\//.test(to) ? '--to must be a postgres:// URL. ' : ''}\n${dbUsage()}`);
    return 2;
  }
  if (mode !== 'full-stop' && mode !== 'smooth') {
    console.error(`--mode must be full-stop or smooth, not "${mode}".\n${dbUsage()}`);
    return 2;
  }
  const throttle = option(args, '--throttle-ms');
  if (throttle !== undefined && !/^\d{1,5}$/.test(throttle)) {
    console.error('--throttle-ms takes a whole number of milliseconds (0 to 99999).');
    return 2;
  }
  const config = loadConfig();
  if (config.databaseUrl && new URL(config.databaseUrl).toString() === new URL(to).toString()) {
    console.error('--to is the database Souk already uses.');
    return 2;
  }
  const url = option(args, '--url');
  const holder = config.databaseUrl ? undefined : embeddedHolder(config.dataDir);
  if (url || holder !== undefined) {
    if (mode !== 'smooth') {
      console.error(`The embedded database in ${config.dataDir} is held by a running server${holder ? ` (pid ${holder})` : ''}. A full-stop move needs it stopped; a smooth move runs inside the server: add --mode smooth.`);
      return 2;
    }
    if (holder !== undefined && !url) console.error(`souk: the embedded database is held by a running server (pid ${holder}); the move runs inside it`);
    return moveThroughServer(new ApiClient(serverUrl(args)), to, throttle === undefined ? undefined : Number(throttle));
  }
  if (!announceDatabase(config, ['--no-create'], 'db move')) return 2;
  console.error(`souk: moving to PostgreSQL ${withoutPassword(to)} (${mode})`);
  let lock: pg.Client | undefined;
  if (mode === 'smooth' && config.databaseUrl) {
    lock = await holdMoverLock(config.databaseUrl);
    if (!lock) {
      console.error('Another `souk db move` is running on this database; wait for it to end (or stop it: a stopped move resumes with the same command).');
      return 1;
    }
  }
  let source;
  try {
    source = await openDatabase({ ...config, databaseUrl: config.databaseUrl ? moverUrl(config.databaseUrl) : undefined });
  } catch (error) {
    await lock?.end();
    const why = mode === 'smooth' ? 'A smooth move reads the embedded database from outside the server, so the server must be stopped (then the move takes seconds; --mode full-stop does the same).' : 'A full-stop move needs the shop stopped first.';
    console.error(`Cannot open the source database: ${(error as Error).message}\n${why}`);
    return 1;
  }
  const target = await openPostgres(moverUrl(to), 4);
  const log = (line: string) => console.error(`souk: ${line}`);
  try {
    const shownTargetUrl = withoutPassword(to);
    const report =
      mode === 'smooth'
        ? await moveSmooth({ source, target, shownTargetUrl, migrate: createSchema, log, throttleMs: Number(throttle ?? 0) })
        : await moveFullStop({ source, target, shownTargetUrl, migrate: createSchema, log });
    const slugs = new Map((await source.query<{ id: string; slug: string }>('select id::text as id, slug from platforms').catch(() => [])).map((p) => [p.id, p.slug]));
    printReport(report, slugs);
    if (!report.ok) {
      const after = mode === 'smooth' ? 'the source keeps serving and its change tracking was removed' : 'the source takes writes again';
      console.error(`The copy differs from the source in ${report.differences.length} place(s) (marked DIFFERS): nothing was switched and ${after}. Drop the target database and run the move again.`);
      return 1;
    }
    const old = mode === 'smooth' ? 'the old database now refuses every write, naming the new one, and refuses to start' : 'the old database now refuses to start';
    console.log(`Switched. Start Souk with DATABASE_URL=${shownTargetUrl} (${old}).`);
    if (!config.databaseUrl && !config.secretKey) {
      // With DATABASE_URL Souk needs SOUK_SECRET_KEY: the key that sealed the stored secrets is the embedded one.
      console.log(`Also set SOUK_SECRET_KEY to the key in ${join(config.dataDir, SECRET_KEY_FILE)}: it sealed the stored secrets (webhook and provider secrets) that moved with the data.`);
    }
    return 0;
  } catch (error) {
    if (error instanceof MoveRefused) {
      console.error(error.message);
      return 1;
    }
    if (mode === 'smooth') {
      console.error(`The move stopped: ${(error as Error).message}\nThe source keeps serving. Run the same command again to resume, or \`souk db move --abort\` to remove the change tracking it installed.`);
      return 1;
    }
    throw error;
  } finally {
    await target.close();
    await source.close();
    await lock?.end();
  }
}
