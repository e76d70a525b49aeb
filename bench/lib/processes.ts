// Child server processes: start one, keep the tail of its output for error messages, wait until it
// answers, read its memory, stop it (SIGTERM, then SIGKILL after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CleanupStack } from './cleanup.ts';
import { httpRequest } from './http.ts';

const TAIL_LINES = 60;

/** Children still running, for the synchronous last-resort kill when the harness exits. */
const live = new Set<ChildProcess>();

/** SIGKILLs every child still running; for process 'exit', where nothing asynchronous can run. */
export function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** The last lines the process wrote to stdout/stderr. */
  tail(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  name: string;
  /** Arguments to `node` (the harness's own executable). */
  args: string[];
  port: number;
  env?: Record<string, string | undefined>;
  cwd: string;
  cleanup: CleanupStack;
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

export function spawnServer(options: SpawnServerOptions): ServerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, options.args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  live.add(child);

  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exitedFlag = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedFlag = true;
      live.delete(child);
      resolve();
    }),
  );

  const stopNow = async () => {
    if (exitedFlag) return;
    child.kill('SIGTERM');
    const graceful = await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]);
    if (!graceful && !exitedFlag) {
      child.kill('SIGKILL');
      await Promise.race([exitPromise, sleep(2_000)]);
    }
  };
  const stop = options.cleanup.add(`stop ${options.name} (pid ${child.pid})`, stopNow);

  return {
    name: options.name,
    pid: child.pid,
    port: options.port,
    baseUrl: `http://127.0.0.1:${options.port}`,
    child,
    tail: () => lines.join('\n'),
    exited: () => exitedFlag,
    stop,
  };
}

/** Polls `path` until it answers 200; fails early if the process dies, and after `timeoutMs`. */
export async function waitUntilReady(server: ServerProcess, path: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let lastProblem = 'no answer yet';
  while (Date.now() - started < timeoutMs) {
    if (server.exited()) {
      throw new Error(`${server.name} exited before it was ready; its last output:\n${server.tail()}`);
    }
    try {
      const response = await httpRequest(`${server.baseUrl}${path}`, { timeoutMs: 2_000 });
      if (response.status === 200) return Date.now() - started;
      lastProblem = `HTTP ${response.status}: ${response.text.slice(0, 200)}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`${server.name} was not ready after ${timeoutMs} ms (${lastProblem}); its last output:\n${server.tail()}`);
}

export interface MemoryReading {
  /** Resident set size now, in MiB. */
  rssMiB: number;
  /** Peak resident set size ("high water mark"), in MiB. */
  peakRssMiB: number;
}

/** Reads VmRSS and VmHWM of a process from /proc (Linux only). */
export async function readMemory(pid: number): Promise<MemoryReading | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]);
  };
  const toMiB = (value: number) => Math.round((value / 1024) * 10) / 10;
  return { rssMiB: toMiB(kib('VmRSS')), peakRssMiB: toMiB(kib('VmHWM')) };
}
