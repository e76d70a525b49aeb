// Readers for the deployment files test/deploy.test.ts checks without a Docker engine or a cluster: a
// Dockerfile's instructions, YAML with compose's merge keys, the tools (promtool, kubectl) when installed,
// and the metric names a running Souk exports.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { findBinary } from './private-server.ts';

export const ROOT = join(import.meta.dirname, '..');
export const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export interface Instruction {
  keyword: string;
  args: string;
  /** The build stage (0 = the first FROM) the instruction belongs to. */
  stage: number;
}

/** A Dockerfile's instructions: comments dropped, backslash continuations joined, keywords upper-cased. */
export function dockerfileInstructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const instructions: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*\S)\s*$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    if (keyword === 'FROM') stage += 1;
    instructions.push({ keyword, args: match[2]!, stage });
  }
  return instructions;
}

/** One YAML document with `<<` merge keys resolved (compose files use them for shared settings). */
export function yamlFile<T = Record<string, unknown>>(path: string): T {
  return parse(read(path), { merge: true }) as T;
}

/** Every document of a multi-document YAML text. */
export function yamlDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS({ maxAliasCount: -1 }) as Record<string, unknown>;
  }).filter((doc) => doc !== null);
}

/**
 * A tool the deploy checks need: its path, or the reason it is missing. CI (SOUK_REQUIRE_SERVICES=1)
 * installs them (.ci/run), so there a missing tool fails instead of skipping.
 */
export function tool(name: string, installHint: string): { path?: string; skip?: string } {
  const path = findBinary(name);
  if (path) return { path };
  if (process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error(`${name} is not installed (${installHint}); CI needs it`);
  return { skip: `${name} is not installed (${installHint})` };
}

/** Runs a tool, returning its output; a failure throws with both streams in the message. */
export function run(file: string, args: string[], input?: string): string {
  try {
    return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}

/**
 * Every environment variable name Souk's sources mention (process.env.X, or a name passed to an env
 * reader): a deployment file that sets anything else has a typo or an invented setting.
 */
export function soukSettings(): Set<string> {
  const names = new Set(['NODE_ENV']);
  const files = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const file of files) {
    const text = readFileSync(join(ROOT, 'src', file), 'utf8');
    for (const match of text.matchAll(/env\.([A-Z][A-Z0-9_]+)|'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)) names.add(match[1] ?? match[2]!);
  }
  return names;
}

/** The souk_* series names a PromQL expression reads. */
export function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(souk_[a-z0-9_]+)/g)].map((m) => m[1]!);
}

/** Whether a series name belongs to an exported metric (a histogram's _bucket, _sum and _count series too). */
export function isExported(series: string, exported: ReadonlySet<string>): boolean {
  return exported.has(series) || exported.has(series.replace(/_(bucket|sum|count)$/, ''));
}
