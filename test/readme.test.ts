// The README's shell blocks run as written, in order, against a demo server started as `npm start`
// starts it (own data directory and credentials, a free port), so the README cannot drift from the
// code again. A block that cannot run here is marked `<!-- readme-test: skip (why) -->` above it.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Block { line: number; code: string; skipped: boolean }

function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && lines[i] !== '```'; i += 1) body.push(lines[i]!);
    blocks.push({ line: start + 1, code: body.join('\n'), skipped: /readme-test: skip/.test(lines[start - 1] ?? '') });
  }
  return blocks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

let dir: string;
let port: number;
let server: ChildProcess;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'souk-readme-'));
  port = await freePort();
  const env = { ...process.env, PORT: String(port), SOUK_DATA_DIR: join(dir, 'data'), SOUK_CONFIG_DIR: join(dir, 'config'), DATABASE_URL: '', REDIS_URL: '', NATS_URL: '', SOUK_WEBHOOK_ALLOW_PRIVATE: '', SOUK_PUBLIC_URL: '', LOG_LEVEL: 'warn' };
  // What `npm start` runs (package.json "start"), without npm in between so the test can stop it.
  const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.replace(/^exec\s+/, '');
  server = spawn('sh', ['-c', `exec ${script}`], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Stop with Ctrl+C')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`the demo server exited (${code}) before it was ready:\n${output}`)));
  });
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

it('every shell block of the README runs as written against the demo', { timeout: 600_000 }, () => {
  const blocks = shellBlocks(readFileSync('README.md', 'utf8'));
  assert.ok(blocks.filter((b) => !b.skipped).length >= 4);
  // The blocks share variables (TOKEN, S, …), so they run in one shell, each stopping at its first failure.
  const script = ['set -eo pipefail', 'cd "$README_ROOT"']
    .concat(blocks.filter((b) => !b.skipped).map((b) => `echo "== README block at line ${b.line}" >&2\n${b.code.replaceAll('localhost:3000', `localhost:${port}`)}`))
    .join('\n');
  const result = spawnSync('bash', ['-c', script], {
    env: { ...process.env, README_ROOT: process.cwd(), SOUK_CONFIG_DIR: join(dir, 'config'), SOUK_API_KEY: '', SOUK_ADMIN_EMAIL: '', SOUK_ADMIN_PASSWORD: '', PORT: String(port) },
    encoding: 'utf8',
    timeout: 540_000,
  });
  const lastBlock = [...result.stderr.matchAll(/== README block at line (\d+)/g)].at(-1)?.[1];
  assert.equal(result.status, 0, `README block at line ${lastBlock} failed:\n${result.stderr.slice(-3000)}\n${result.stdout.slice(-2000)}`);
  // The tour reached its end: the new platform's storefront answered.
  assert.match(result.stdout, /"items"/);
});
