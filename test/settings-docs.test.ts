// Every environment variable the code reads is documented twice: a row of the README's settings table
// and a commented line of .env.example. A setting added without either fails here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs)$/.test(entry) && !entry.endsWith('.test.ts') ? [path] : [];
  });
}

/** Names read as process.env.NAME / env.NAME, or written as a settings-name string literal. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sources('src'), ...sources('bin'), 'scripts/run-tests.mjs']) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
    for (const m of text.matchAll(/['"`]((?:SOUK|NATS|REDIS|DATABASE)_[A-Z0-9_]+|PORT|HOST|LOG_LEVEL)['"`]/g)) names.add(m[1]!);
  }
  return names;
}

const readme = readFileSync('README.md', 'utf8');
const tableRows = readme.split('\n').filter((line) => /^\| `[A-Z]/.test(line));
const documented = new Set(tableRows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
const example = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
// Set by npm or the platform, not settings of Souk's; SOUK_EVENTS is a value (the default stream name).
const notSettings = new Set(['npm_lifecycle_event', 'XDG_CONFIG_HOME', 'CI', 'SOUK_EVENTS']);

it('the README settings table lists every variable the code reads', () => {
  const missing = [...variablesRead()].filter((name) => !notSettings.has(name) && !documented.has(name));
  assert.deepEqual(missing, []);
});

it('.env.example has a commented line for every variable of the README settings table', () => {
  assert.deepEqual([...documented].filter((name) => !example.has(name)), []);
  assert.deepEqual([...variablesRead()].filter((name) => !notSettings.has(name) && !example.has(name)), []);
});
