// Result files: bench/results/<scenario>-<UTC timestamp>.json (git-ignored), one per run.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './servers.ts';

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export async function writeResultFile(scenario: string, startedAt: Date, content: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const file = path.join(RESULTS_DIR, `${scenario}-${stamp}.json`);
  // NaN (a figure that could not be measured) becomes null rather than disappearing.
  const json = JSON.stringify(content, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
  await writeFile(file, `${json}\n`);
  return file;
}
