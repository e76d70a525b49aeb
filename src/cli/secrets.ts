// `souk secrets generate-key | status | rotate`: the installation key that seals the secrets Souk must
// read back (docs/security.md, "How secrets are kept"). status and rotate work on the database
// directly, over every module's sealed columns; rotate re-seals with SOUK_SECRET_KEY whatever the old
// key (now SOUK_SECRET_KEY_PREVIOUS) still holds, so the old key can then be dropped.
import { loadConfig } from '../kernel/config.ts';
import { openDatabase } from '../kernel/db/open.ts';
import type { Database } from '../kernel/db/types.ts';
import { collectMigrations, migrationStatus } from '../kernel/migrations.ts';
import { columnName, countColumn, resealColumn, type SealedColumn } from '../kernel/sealed-columns.ts';
import type { SecretBox } from '../kernel/secret-box.ts';
import { generateSecretKey, openSecretBox } from '../kernel/secret-key.ts';
import { allModules } from '../modules/index.ts';
import { announceDatabase } from './database-target.ts';

export const SECRETS_USAGE = `Usage:
  souk secrets generate-key   print a new random key for SOUK_SECRET_KEY (nothing is stored)
  souk secrets status         which key seals each sealed column's values (current, previous, unknown, plaintext)
  souk secrets rotate         re-seal every value with SOUK_SECRET_KEY; the old key goes in SOUK_SECRET_KEY_PREVIOUS
Rotation, step by step: docs/security.md ("How secrets are kept").`;

function modulesWithoutBus() {
  return allModules(() => {
    throw new Error('no event bus in `souk secrets`');
  });
}

async function withDatabase(args: string[], name: string, fn: (db: Database, box: SecretBox, columns: SealedColumn[]) => Promise<number>): Promise<number> {
  const config = loadConfig();
  if (!announceDatabase(config, args, `secrets ${name}`)) return 2;
  const { box, source } = openSecretBox(config);
  console.error(`souk: key ${box.currentKeyId} from ${source}${box.previousKeyId ? `, previous key ${box.previousKeyId}` : ''}`);
  const modules = modulesWithoutBus();
  const db = await openDatabase(config);
  try {
    const pending = (await migrationStatus(db, collectMigrations(modules))).pending;
    if (pending.length > 0) {
      console.error(`The database has pending migrations (${pending.join(', ')}); run \`souk migrate\` first.`);
      return 1;
    }
    return await fn(db, box, modules.flatMap((mod) => mod.sealedColumns ?? []));
  } finally {
    await db.close();
  }
}

async function status(db: Database, box: SecretBox, columns: SealedColumn[]): Promise<number> {
  let unreadable = 0;
  for (const column of columns) {
    const c = await countColumn(db, box, column);
    unreadable += c.unknown;
    console.log(`${c.name.padEnd(40)} current ${c.current}  previous ${c.previous}  unknown key ${c.unknown}  plaintext ${c.plaintext}`);
  }
  if (unreadable > 0) console.log(`${unreadable} value(s) were sealed with a key that is neither SOUK_SECRET_KEY nor SOUK_SECRET_KEY_PREVIOUS.`);
  return unreadable > 0 ? 1 : 0;
}

async function rotate(db: Database, box: SecretBox, columns: SealedColumn[]): Promise<number> {
  let total = 0;
  for (const column of columns) {
    const n = await resealColumn(db, box, column, 'stale');
    total += n;
    console.log(`${columnName(column).padEnd(40)} re-sealed ${n}`);
  }
  console.log(
    `Re-sealed ${total} value(s) with key ${box.currentKeyId}.` +
      (box.previousKeyId ? ' Once every node runs with this SOUK_SECRET_KEY, SOUK_SECRET_KEY_PREVIOUS can be removed.' : ''),
  );
  return 0;
}

export async function secretsCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub === undefined || sub === 'help' || args.includes('--help')) {
    console.log(SECRETS_USAGE);
    return 0;
  }
  switch (sub) {
    case 'generate-key':
      console.log(generateSecretKey());
      return 0;
    case 'status':
      return withDatabase(args, 'status', status);
    case 'rotate':
      return withDatabase(args, 'rotate', rotate);
    default:
      console.error(`Unknown secrets command "${sub}".\n\n${SECRETS_USAGE}`);
      return 2;
  }
}
