// The CLI's saved admin sessions, one per server URL, in a file only its owner can read (like other
// CLIs keep theirs): `souk login` writes one, every --url command reuses it, `souk logout` revokes and
// deletes it. $SOUK_CONFIG_DIR, else $XDG_CONFIG_HOME/souk, else ~/.config/souk.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SavedSession {
  token: string;
  email: string;
  expiresAt: string;
}

type Store = Record<string, SavedSession>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOUK_CONFIG_DIR) return env.SOUK_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'souk');
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json');
}

function readStore(): Store {
  const file = credentialsFile();
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Store;
  } catch {
    return {}; // a damaged file is replaced at the next login rather than stopping every command
  }
}

function writeStore(store: Store): void {
  const file = credentialsFile();
  if (Object.keys(store).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync's mode applies only when it creates the file
}

/** The saved session for this server, if it has not expired. */
export function savedSession(url: string): SavedSession | undefined {
  const session = readStore()[url];
  if (!session || Date.parse(session.expiresAt) <= Date.now()) return undefined;
  return session;
}

export function saveSession(url: string, session: SavedSession): void {
  writeStore({ ...readStore(), [url]: session });
}

export function forgetSession(url: string): void {
  const store = readStore();
  if (!(url in store)) return;
  delete store[url];
  writeStore(store);
}
