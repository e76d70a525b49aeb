// The import graph under src/ has no loop: a loop (even through `import type`) means two files that can
// only be understood together. Imports are read with a simple parse of relative `import … from` and
// `export … from` statements; the loops found are the strongly connected components of that graph.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Loops tolerated while being removed (none now); each entry is a loop's files, sorted, joined by " ". */
const KNOWN_LOOPS = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|(?:^|\n)\s*import\s+'(\.[^']+)'/g;

function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    graph.set(file, [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!)));
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function loops(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component);
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('import graph', () => {
  it('has no loop under src/ (besides the known ones being removed)', () => {
    const graph = importGraph(sourceFiles(join(ROOT, 'src')));
    assert.ok(graph.size > 100, 'the parse found the source files');
    const found = loops(graph).map((c) => c.map((f) => relative(ROOT, f)).sort().join(' '));
    assert.deepEqual(found.filter((loop) => !KNOWN_LOOPS.has(loop)), []);
  });

  it('finds a loop when there is one', () => {
    assert.deepEqual(loops(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])).map((c) => c.sort()), [['a', 'b', 'c']]);
  });
});
