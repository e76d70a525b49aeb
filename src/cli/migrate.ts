// `souk migrate [--status] [--yes] [--url URL]`: apply or list migrations on the configured database.
// A running server applies its own migrations at start, so with --url only the status can be asked
// (its /readyz says whether every migration is applied).
import { loadConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db/open.ts';
import { collectMigrations, migrate, migrationStatus } from '../kernel/migrations.ts';
import { allModules } from '../modules/index.ts';
import { announceDatabase } from './database-target.ts';
import { option } from './api-client.ts';

export const MIGRATE_USAGE = `Usage:
  souk migrate [--yes]               apply pending migrations (--yes: create the embedded database if there is none)
  souk migrate --status              list applied and pending migrations
  souk migrate --status --url URL    ask a running server whether its migrations are applied`;

async function statusViaServer(url: string): Promise<number> {
  console.error(`souk: server ${url}`);
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as { status: string; detail?: string };
  console.log(`${body.status}${body.detail ? `: ${body.detail}` : ' (database reachable, every migration applied)'}`);
  return res.ok ? 0 : 1;
}

export async function migrateCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('help')) {
    console.log(MIGRATE_USAGE);
    return 0;
  }
  const url = option(args, '--url')?.replace(/\/+$/, '');
  if (url) {
    if (!args.includes('--status')) {
      console.error(`A server applies its migrations when it starts; \`souk migrate --url\` can only show the status (--status).\n\n${MIGRATE_USAGE}`);
      return 2;
    }
    return statusViaServer(url);
  }
  const config = loadConfig();
  if (!announceDatabase(config, args, 'migrate')) return 2;
  const db = await openDatabase(config);
  try {
    // Migrating needs the modules' migration folders only, never the event bus.
    const migrations = collectMigrations(allModules(() => { throw new Error('no event bus while migrating'); }));
    if (args.includes('--status')) {
      const status = await migrationStatus(db, migrations);
      for (const id of status.applied) console.log(`applied  ${id}`);
      for (const id of status.pending) console.log(`pending  ${id}`);
      return 0;
    }
    const applied = await migrate(db, migrations);
    console.log(applied.length === 0 ? 'Database is up to date.' : `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`);
    return 0;
  } finally {
    await db.close();
  }
}
