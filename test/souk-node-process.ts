// A Souk node in a child process (test/fixtures/souk-node.ts) for the multi-process tests: HTTP, event
// worker and flash-sale drain in one process on the database its environment names, resolved once it
// listens. The tests drive it over HTTP and may stop it politely or kill it with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SoukNode {
  name: string;
  base: string;
  output(): string;
  /** SIGKILL, then the exit. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s), then the exit. */
  stop(): Promise<void>;
}

export function startSoukNode(name: string, env: Record<string, string>): Promise<SoukNode> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/souk-node.ts'], {
      env: { ...process.env, ...env, SOUK_REQUIRE_SERVICES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let ready = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const alive = () => child.exitCode === null && child.signalCode === null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${name} did not start in time: ${output}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      const port = /listening (\d+)/.exec(output)?.[1];
      if (port && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve({
          name,
          base: `http://127.0.0.1:${port}`,
          output: () => output,
          async kill() {
            if (alive()) child.kill('SIGKILL');
            await exited;
          },
          async stop() {
            if (!alive()) return;
            child.kill('SIGTERM');
            const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(forced);
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`node ${name} exited before listening (${signal ?? code}): ${output}`));
      }
    });
  });
}
