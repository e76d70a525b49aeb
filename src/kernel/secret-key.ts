// Where the installation key for sealed secrets (secret-box.ts) comes from:
//   SOUK_SECRET_KEY (and SOUK_SECRET_KEY_PREVIOUS during a rotation), 32 random bytes as hex or base64;
//   embedded mode without it: <dataDir>/secret.key, written once (mode 0600) on the first start and read
//   back afterwards, so `npm start` needs no extra step; an in-memory database (tests): a random key.
// With DATABASE_URL, or NODE_ENV=production, a missing key stops the start: several nodes must share
// one key, and a key generated on one machine's disk would be lost with it.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { SecretBox } from './secret-box.ts';

export const SECRET_KEY_FILE = 'secret.key';
const KEY_BYTES = 32;
/** 32 random bytes have about 31 distinct values; fewer than this means a pattern, not randomness. */
const MIN_DISTINCT_BYTES = 16;
const HOW_TO_GENERATE = 'generate one with `npx souk secrets generate-key` (or `openssl rand -base64 32`)';

/** A new key in the form SOUK_SECRET_KEY takes (base64url, 43 characters). */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** The 32 key bytes of a setting's value; anything shorter, longer, malformed or patterned is refused. */
export function parseSecretKey(raw: string, name: string): Buffer {
  const text = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) key = Buffer.from(text, 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new Error(`${name} must be ${KEY_BYTES} random bytes written as 64 hex characters or 43-44 base64 characters (got ${text.length} characters); ${HOW_TO_GENERATE}`);
  }
  if (new Set(key).size < MIN_DISTINCT_BYTES) throw new Error(`${name} is not random enough (a repeated pattern); ${HOW_TO_GENERATE}`);
  return key;
}

export type SecretKeySettings = Pick<Config, 'secretKey' | 'secretKeyPrevious' | 'databaseUrl' | 'dataDir' | 'production'> & Partial<Pick<Config, 'databaseMovedFrom'>>;

/** Where the current key came from, for the start banner and `souk secrets status`. */
export type SecretKeySource = 'SOUK_SECRET_KEY' | 'key file' | 'generated key file' | 'in-memory';

/** The key file of an embedded installation: read it, or write a new one when there is none yet. */
function embeddedKey(dataDir: string): { key: Buffer; source: SecretKeySource } {
  const file = join(dataDir, SECRET_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': never overwrite a key another process wrote a moment ago; that one wins and is read below.
    writeFileSync(file, `${generateSecretKey()}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
    return { key: parseSecretKey(readFileSync(file, 'utf8'), file), source: 'generated key file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { key: parseSecretKey(readFileSync(file, 'utf8'), file), source: 'key file' };
}

export function openSecretBox(settings: SecretKeySettings, options: { inMemory?: boolean } = {}): { box: SecretBox; source: SecretKeySource } {
  const previous = settings.secretKeyPrevious ? parseSecretKey(settings.secretKeyPrevious, 'SOUK_SECRET_KEY_PREVIOUS') : undefined;
  if (settings.secretKey) return { box: new SecretBox(parseSecretKey(settings.secretKey, 'SOUK_SECRET_KEY'), previous), source: 'SOUK_SECRET_KEY' };
  if (options.inMemory) return { box: new SecretBox(randomBytes(KEY_BYTES), previous), source: 'in-memory' };
  if (settings.databaseMovedFrom) {
    // An embedded shop its server moved to PostgreSQL: its secrets were sealed with the key file there.
    const file = join(settings.databaseMovedFrom, SECRET_KEY_FILE);
    return { box: new SecretBox(parseSecretKey(readFileSync(file, 'utf8'), file), previous), source: 'key file' };
  }
  if (settings.databaseUrl || settings.production) {
    throw new Error(
      `SOUK_SECRET_KEY is required when ${settings.databaseUrl ? 'DATABASE_URL is set' : 'NODE_ENV=production'}: every node must seal and open ` +
        `webhook secrets with the same key. Set it to 32 random bytes (base64 or hex); ${HOW_TO_GENERATE}. Keep it as safe as the database password.`,
    );
  }
  const { key, source } = embeddedKey(settings.dataDir);
  return { box: new SecretBox(key, previous), source };
}
