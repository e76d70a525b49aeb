// `souk db move --to <DATABASE_URL> --mode full-stop`: moves the configured database (the embedded one
// in SOUK_DATA_DIR, or DATABASE_URL) to an empty PostgreSQL database, verifies it table by table and
// platform by platform, and switches: the old database then refuses to serve. See docs/migration.md.
import { join } from 'node:path';
import { loadConfig } from '../kernel/config.ts';
import { SECRET_KEY_FILE } from '../kernel/secret-key.ts';
import { openDatabase } from '../kernel/db/open.ts';
import { openPostgres } from '../kernel/db/postgres.ts';
import { MOVER_APPLICATION, MoveRefused, moveFullStop, type MoveReport } from '../kernel/db/move/full-stop.ts';
import { collectMigrations, migrate } from '../kernel/migrations.ts';
import { allModules } from '../modules/index.ts';
import { option } from './api-client.ts';
import { announceDatabase, withoutPassword } from './database-target.ts';

export const dbUsage = (): string => `Usage:
  souk db move --to <DATABASE_URL> --mode full-stop

Copies the configured database (DATABASE_URL, else the embedded one in SOUK_DATA_DIR) to an empty
PostgreSQL database, then verifies row counts and content checksums per table and per platform. Only
when everything matches does it switch: the old database records where it went and Souk refuses to start
on it; start Souk with DATABASE_URL set to the new one. full-stop: the shop must be stopped for the whole
move (an embedded database is locked by this command; a PostgreSQL source must have no other
connection and is read-only meanwhile). The old database's rows are never changed or deleted.
The smooth mode (copy while the shop keeps selling) is not built yet.`;

/** The URL with this command's application_name, so its connections are told apart from the shop's. */
function moverUrl(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', MOVER_APPLICATION);
  return parsed.toString();
}

function printReport(report: MoveReport, slugs: Map<string, string>): void {
  const lines = report.source.map((d) => {
    const diff = report.differences.find((x) => x.table === d.table && x.platform === d.platform);
    const scope = d.platform ? (slugs.get(d.platform) ?? d.platform) : '(all)';
    return `  ${diff ? 'DIFFERS' : 'ok     '} ${d.table.padEnd(34)} ${scope.padEnd(24)} ${String(d.rows).padStart(9)} rows  ${d.checksum.slice(0, 12)}`;
  });
  console.log('Verification (source rows and checksum per table and platform; the target must match):');
  for (const line of lines) console.log(line);
  for (const d of report.differences.filter((x) => !x.source)) console.log(`  DIFFERS ${d.table} ${d.platform}: only in the target (${d.target?.rows} rows)`);
  if (report.skipped.length > 0) console.log(`Not copied (no such table in Souk's schema; created at run time by the component that uses it): ${report.skipped.join(', ')}`);
  console.log(`Copied ${report.copiedRows} rows in ${report.copySeconds.toFixed(1)} s; writes were refused for ${report.pausedSeconds.toFixed(1)} s.`);
}

export async function dbCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(dbUsage());
    return sub === undefined ? 2 : 0;
  }
  const to = option(args, '--to');
  const mode = option(args, '--mode') ?? 'full-stop';
  if (sub !== 'move' || !to || !/^postgres(ql)?:\/\//.test(to)) {
    console.error(`${to && !/^postgres(ql)?:\/\//.test(to) ? '--to must be a postgres:// URL. ' : ''}\n${dbUsage()}`);
    return 2;
  }
  if (mode !== 'full-stop') {
    console.error(`--mode ${mode} is not built yet; use --mode full-stop (the shop is stopped during the move).`);
    return 2;
  }
  const config = loadConfig();
  if (config.databaseUrl && new URL(config.databaseUrl).toString() === new URL(to).toString()) {
    console.error('--to is the database Souk already uses.');
    return 2;
  }
  if (!announceDatabase(config, ['--no-create'], 'db move')) return 2;
  console.error(`souk: moving to PostgreSQL ${withoutPassword(to)} (full-stop)`);
  let source;
  try {
    source = await openDatabase({ ...config, databaseUrl: config.databaseUrl ? moverUrl(config.databaseUrl) : undefined });
  } catch (error) {
    console.error(`Cannot open the source database: ${(error as Error).message}\nA full-stop move needs the shop stopped first.`);
    return 1;
  }
  const target = await openPostgres(moverUrl(to), 4);
  try {
    const migrations = collectMigrations(allModules(() => { throw new Error('no event bus while moving'); }));
    const report = await moveFullStop({ source, target, shownTargetUrl: withoutPassword(to), migrate: async (db) => void (await migrate(db, migrations)), log: (line) => console.error(`souk: ${line}`) });
    const slugs = new Map((await source.query<{ id: string; slug: string }>('select id::text as id, slug from platforms').catch(() => [])).map((p) => [p.id, p.slug]));
    printReport(report, slugs);
    if (!report.ok) {
      console.error(`The copy differs from the source in ${report.differences.length} place(s) (marked DIFFERS): nothing was switched and the source takes writes again. Drop the target database and run the move again.`);
      return 1;
    }
    console.log(`Switched. Start Souk with DATABASE_URL=${withoutPassword(to)} (the old database now refuses to start).`);
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
    throw error;
  } finally {
    await target.close();
    await source.close();
  }
}
