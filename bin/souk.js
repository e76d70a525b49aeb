#!/usr/bin/env node
// The `souk` command. `npm install` builds dist/ (scripts/build.mjs, the `prepare` script); this runs
// the build when it is there and not older than any source it was built from, else the TypeScript
// sources through tsx (slower to start, never stale). SOUK_FROM_SOURCE=1 forces the sources.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freshBuild() {
  if (process.env.SOUK_FROM_SOURCE === '1') return undefined;
  const bundle = join(root, 'dist', 'souk.js');
  const stamp = join(root, 'dist', 'inputs.json');
  if (!existsSync(bundle) || !existsSync(stamp)) return undefined;
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(stamp, 'utf8'));
    for (const input of inputs) if (statSync(join(root, input)).mtimeMs > builtAt) return undefined;
    return bundle;
  } catch {
    return undefined; // a source was moved or deleted since the build
  }
}

const bundle = freshBuild();
if (bundle) {
  // Stack traces name src/ files and lines, as `node --enable-source-maps` would.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
