import { loadConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db/open.ts';
import { collectMigrations, migrate, migrationStatus } from '../kernel/migrations.ts';
import { allModules } from '../modules/index.ts';

export async function migrateCommand(args: string[]): Promise<number> {
  const config = loadConfig();
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
