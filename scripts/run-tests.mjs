// Runs every *.test.ts under src/ and test/ with Node's test runner (Node 20 has no --test globs).
// Extra arguments are passed on, e.g. `npm test -- --test-name-pattern=catalog`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => a.endsWith('.test.ts'));
const files = explicit.length > 0 ? explicit : ['src', 'test'].flatMap(findTests).sort();
const options = args.filter((a) => !a.endsWith('.test.ts'));
const concurrency = process.env.SOUK_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...options, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
