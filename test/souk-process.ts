// A real `souk start` process for the tests that need one (shutdown, roles, OTLP export): started with
// the given arguments and environment on a free port of 127.0.0.1, resolved once it prints its banner.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './private-server.ts';

export interface SoukProcess {
  child: ChildProcess;
  port: number;
  base: string;
  exit: Promise<{ code: number | null; at: number }>;
  /** What the process printed on stdout so far (pino's JSON lines and the banner). */
  output(): string;
  /** SIGTERM, then the exit (SIGKILL after `ms`). */
  stop(ms?: number): Promise<{ code: number | null; at: number }>;
}

export async function startSoukProcess(args: string[], env: Record<string, string>): Promise<SoukProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/souk.js', 'start', ...args], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NATS_URL: '', REDIS_URL: '', DATABASE_URL: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const banner = () => {
      if (!output.includes('Stop with Ctrl+C')) return;
      child.stdout!.off('data', banner);
      resolve();
    };
    child.stdout!.on('data', banner);
    void exit.then(({ code }) => reject(new Error(`souk start ${args.join(' ')} exited (${code}) early:\n${output}`)));
  });
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    exit,
    output: () => output,
    async stop(ms = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
