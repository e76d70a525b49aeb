// Commands that work on the database directly say which one in their first line, so nobody reads an
// empty ./data while the real server runs elsewhere. Opening an embedded directory that holds no
// database would silently create a new empty one; that needs --yes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../kernel/config.ts';

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databaseMovedFrom'>>): string {
  if (config.databaseUrl && config.databaseMovedFrom) return `PostgreSQL ${withoutPassword(config.databaseUrl)} (the embedded shop in ${config.databaseMovedFrom} was moved there; ${config.databaseMovedFrom}/moved-to.json says so)`;
  return config.databaseUrl ? `PostgreSQL ${withoutPassword(config.databaseUrl)}` : `embedded PGlite in ${config.dataDir}`;
}

export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Prints the command's first line (stderr). Returns false, after saying why, when the command would
 * create a new empty embedded database and the user did not pass --yes.
 */
export function announceDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databaseMovedFrom'>>, args: string[], command: string): boolean {
  const creating = !config.databaseUrl && !embeddedDatabaseExists(config.dataDir);
  console.error(`souk: database ${describeDatabase(config)}${creating ? ' (does not exist yet)' : ''}`);
  if (!creating || args.includes('--yes')) return true;
  console.error(
    `There is no database in ${config.dataDir}; \`souk ${command}\` would create a new, empty one.\n` +
      '  To use a running server instead, add --url URL (platform commands) or set SOUK_DATA_DIR / DATABASE_URL to its database.\n' +
      '  To create it here, run again with --yes.',
  );
  return false;
}
