// A service binary (nats-server, redis-server) that one test starts, kills and restarts through its own
// process handle, on a free loopback port. Restarting the machine's shared service would disturb every
// other suite running against it at the same time; a private one disturbs nobody.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './wait.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The binary on PATH or in the usual system directories, if installed. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  return dirs.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class PrivateServer {
  private child: ChildProcess | undefined;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly args: (port: number) => string[],
    private readonly onDestroy: () => void,
  ) {
    process.once('exit', this.killOnExit);
  }

  /** Starts `binary args(port)` on a free port and waits until it accepts connections. */
  static async start(binary: string, args: (port: number) => string[], onDestroy: () => void = () => undefined): Promise<PrivateServer> {
    const server = new PrivateServer(binary, await freePort(), args, onDestroy);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const child = spawn(this.binary, this.args(this.port), { stdio: 'ignore' });
    this.child = child;
    const name = path.basename(this.binary);
    await waitFor(`${name} to accept connections`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      return accepts(this.port);
    }, 15_000);
  }

  private async halt(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Stops the server (SIGTERM, or SIGKILL for a crash: clients see it vanish), waits pauseMs, and starts
   * it again on the same port with the same arguments.
   */
  async restart(options: { signal?: NodeJS.Signals; pauseMs?: number } = {}): Promise<void> {
    await this.halt(options.signal ?? 'SIGTERM');
    await sleep(options.pauseMs ?? 750);
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.halt('SIGTERM');
    process.removeListener('exit', this.killOnExit);
    this.onDestroy();
  }
}
