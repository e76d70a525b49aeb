// The load's child processes (viewers, posters) and the harness talk over Node's IPC channel: the
// harness sends a command, the child answers it once. Children are registered with the harness's cleanup
// and killed with it, and a child whose parent goes away exits by itself (the channel closes).
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CleanupStack } from '../lib/cleanup.ts';

interface Request {
  id: number;
  command: unknown;
}
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface LoadChild {
  pid: number;
  name: string;
  request<T>(command: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Forks `script` (TypeScript, through tsx) and keeps the last lines it wrote for error messages. */
export function forkLoadChild(script: string, name: string, cleanup: CleanupStack): LoadChild {
  const child: ChildProcess = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  child.on('message', (raw) => {
    const reply = raw as Reply;
    const waiter = waiting.get(reply.id);
    if (!waiter) return;
    waiting.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new Error(`${name}: ${reply.error}`));
  });
  child.once('exit', (code, signal) => {
    exited = true;
    for (const waiter of waiting.values()) waiter.reject(new Error(`${name} exited (${signal ?? code}); its last output:\n${tail.join('\n')}`));
    waiting.clear();
  });
  let next = 0;
  const stopNow = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i += 1) await sleep(100);
    if (!exited) child.kill('SIGKILL');
  };
  const stop = cleanup.add(`stop ${name} (pid ${child.pid})`, stopNow);
  return {
    pid: child.pid,
    name,
    request<T>(command: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running; its last output:\n${tail.join('\n')}`));
      const id = (next += 1);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name} did not answer ${JSON.stringify(command).slice(0, 80)} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, command } satisfies Request);
      });
    },
    stop,
  };
}

/** The child's side: answers each command with the handler's result (or its error's message). */
export function serveCommands(handle: (command: unknown) => Promise<unknown>): void {
  if (!process.send) {
    console.error('this is a load child of the live benchmark: run it through `npm run bench -- live`');
    process.exit(2);
  }
  process.on('message', (raw) => {
    const { id, command } = raw as Request;
    handle(command).then(
      (result) => process.send?.({ id, ok: true, result } satisfies Reply),
      (error: unknown) => process.send?.({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Reply),
    );
  });
  // The harness went away (crash, SIGKILL): nothing else would stop this process.
  process.on('disconnect', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));
}
