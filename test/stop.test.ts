// Stopping `npm start`: a signal to npm reaches the server, which closes cleanly (its database lock
// released); and if npm is killed outright, the server notices and stops instead of running orphaned.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopNpmStart(signal: NodeJS.Signals): Promise<{ lockLeft: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'souk-stop-'));
  const dataDir = join(dir, 'data');
  const npm = spawn('npm', ['start'], {
    env: { ...process.env, PORT: String(await freePort()), SOUK_DATA_DIR: dataDir, SOUK_SEED_DEMO: '0', DATABASE_URL: '', NATS_URL: '', REDIS_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      npm.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Stop with Ctrl+C')) resolve();
      });
      npm.once('exit', (code) => reject(new Error(`npm start exited (${code}) early:\n${output}`)));
    });
    // The embedded database's lock file holds the server's pid.
    const serverPid = Number(readFileSync(join(dataDir, 'souk.pid'), 'utf8'));
    assert.notEqual(serverPid, npm.pid);
    npm.kill(signal);
    for (let i = 0; i < 600 && alive(serverPid); i += 1) await sleep(100);
    assert.equal(alive(serverPid), false, `the server (pid ${serverPid}) still runs after npm got ${signal}`);
    return { lockLeft: existsSync(join(dataDir, 'souk.pid')) };
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

it('SIGTERM to npm start stops the server cleanly', { timeout: 180_000 }, async () => {
  assert.deepEqual(await stopNpmStart('SIGTERM'), { lockLeft: false });
});

it('a killed npm start does not leave the server running', { timeout: 180_000 }, async () => {
  assert.deepEqual(await stopNpmStart('SIGKILL'), { lockLeft: false });
});
