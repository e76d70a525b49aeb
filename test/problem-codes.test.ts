// Problems are named once: every problem is built in a problems.ts (kernel/http/problems.ts or a module's),
// and each code is listed by exactly one of them. A source scan, so a new inline `new HttpProblem(…)`
// or a code listed twice fails here rather than drifting from the API document.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { allProblemCodes, problemCodesByOwner } from '../src/modules/problem-codes.ts';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const isProblemsFile = (path: string) => path.endsWith('/problems.ts') || path.endsWith('/kernel/http/problem.ts');
/** What builds a problem from a code: only problems.ts files may do it. */
const CONSTRUCTION = /new HttpProblem\(|problemMaker\(|problemBody\(\s*\d+\s*,\s*['"`]/;

describe('problem codes', () => {
  it('are built only in problems.ts files', () => {
    const offenders = sourceFiles(SRC)
      .filter((path) => !isProblemsFile(path))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, at: `${relative(SRC, path)}:${index + 1}` }))
          .filter(({ line }) => CONSTRUCTION.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*')),
      )
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    assert.deepEqual(offenders, [], 'build these through a problems.ts constructor');
  });

  it('are each listed by one owner', () => {
    const owners = new Map<string, string[]>();
    for (const [owner, codes] of Object.entries(problemCodesByOwner)) {
      for (const code of codes) owners.set(code, [...(owners.get(code) ?? []), owner]);
    }
    const twice = [...owners].filter(([, by]) => by.length > 1).map(([code, by]) => `${code}: ${by.join(', ')}`);
    assert.deepEqual(twice, []);
    for (const code of allProblemCodes) assert.match(code, /^[a-z][a-z0-9_]*$/, code);
  });

  it('every problems.ts is in the registry, and each of its code literals is in some list', () => {
    const listed = new Set(allProblemCodes);
    const files = sourceFiles(SRC).filter((path) => path.endsWith('/problems.ts'));
    assert.equal(files.length, Object.keys(problemCodesByOwner).length, 'add the new problems.ts to src/modules/problem-codes.ts');
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      for (const [, code] of text.matchAll(/problem\(\s*[\w.]+\s*,\s*'([a-z0-9_]+)'/g)) {
        assert.ok(listed.has(code!), `${relative(SRC, path)} builds ${code}, which no list names`);
      }
    }
  });
});
