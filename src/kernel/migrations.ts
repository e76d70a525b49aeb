// Versioned SQL migrations: each module keeps `NNNN_name.sql` files; they are applied in module order,
// then file order, each recorded in souk_migrations with a checksum. Applying is idempotent, serialised
// across nodes by an advisory lock, and refuses a database that has migrations this code does not know
// (a newer release ran against it) or whose recorded checksum differs (a migration was edited).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from './ids.ts';
import type { Database } from './db/types.ts';
import type { AnySoukModule } from './context.ts';

export interface Migration {
  id: string;
  module: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function collectMigrations(modules: readonly AnySoukModule[]): Migration[] {
  const migrations: Migration[] = [];
  for (const mod of modules) {
    const dir = fileURLToPath(mod.migrationsDir);
    const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    for (const file of files) {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      migrations.push({ id: `${mod.name}/${file.replace(/\.sql$/, '')}`, module: mod.name, sql, checksum: sha256(sql) });
    }
  }
  return migrations;
}

const LOCK_KEY = 7_305_301; // arbitrary, constant: the advisory lock all Souk nodes take to migrate

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(db: Database, migrations: readonly Migration[]): Promise<MigrationStatus> {
  const exists = await db.query<{ present: boolean }>(`select to_regclass('souk_migrations') is not null as present`);
  const applied = exists[0]?.present
    ? (await db.query<{ id: string }>('select id from souk_migrations order by id')).map((r) => r.id)
    : [];
  const done = new Set(applied);
  return { applied, pending: migrations.filter((m) => !done.has(m.id)).map((m) => m.id) };
}

/** Applies pending migrations in one transaction and returns the ids it applied. */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(`create table if not exists souk_migrations (
      id text primary key,
      module text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const rows = await tx.query<{ id: string; checksum: string }>('select id, checksum from souk_migrations');
    const known = new Map(migrations.map((m) => [m.id, m]));
    const unknown = rows.filter((r) => !known.has(r.id)).map((r) => r.id);
    if (unknown.length > 0) {
      throw new MigrationError(
        `The database has migrations this version of Souk does not know (${unknown.join(', ')}): ` +
          'it was migrated by a newer release. Run that release, or restore a backup taken before the upgrade.',
      );
    }
    for (const row of rows) {
      if (known.get(row.id)?.checksum !== row.checksum) {
        throw new MigrationError(`Migration ${row.id} was changed after it was applied; add a new migration instead.`);
      }
    }
    const applied = new Set(rows.map((r) => r.id));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await tx.script(migration.sql);
      await tx.query('insert into souk_migrations (id, module, checksum) values ($1, $2, $3)', [
        migration.id,
        migration.module,
        migration.checksum,
      ]);
      done.push(migration.id);
    }
    return done;
  });
}
