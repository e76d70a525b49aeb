// The two servers every benchmark starts, each as its own process on a free loopback port: the bare
// Fastify ceiling and Souk itself (`node bin/souk.js start`, exactly as an operator runs it).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecretKey } from '../../src/kernel/secret-key.ts';
import type { CleanupStack } from './cleanup.ts';
import { freePort, spawnServer, waitUntilReady, type ServerProcess } from './processes.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Engine = 'embedded' | 'postgres';

export interface StartedServer extends ServerProcess {
  /** Milliseconds from spawn until the readiness check answered 200. */
  readyAfterMs: number;
}

export async function startBareServer(cleanup: CleanupStack): Promise<StartedServer> {
  const port = await freePort();
  const server = spawnServer({
    name: 'bare fastify',
    args: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'bare-server.ts')],
    port,
    env: { PORT: String(port), HOST: '127.0.0.1' },
    cwd: REPO_ROOT,
    cleanup,
  });
  // 90 s: tsx compiling on a machine other benchmarks keep busy has taken 30.
  const readyAfterMs = await waitUntilReady(server, '/', 90_000);
  return { ...server, readyAfterMs };
}

export interface SoukServerOptions {
  engine: Engine;
  /** Required for the postgres engine. */
  databaseUrl?: string;
  cleanup: CleanupStack;
  /** Extra environment (e.g. SOUK_CATALOG_CACHE_TTL_MS) for scenario variants; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Extra flags for the server's `node` (e.g. --cpu-prof), placed before bin/souk.js. */
  nodeArgs?: string[];
  /** What node runs instead of `bin/souk.js start` (e.g. a bench entry that wraps createSouk). */
  entryArgs?: string[];
  readyTimeoutMs?: number;
}

export interface SoukServer extends StartedServer {
  engine: Engine;
  dataDir: string;
}

/** The key every Souk this benchmark run starts seals with, unless the shell sets SOUK_SECRET_KEY. */
const BENCH_SECRET_KEY = generateSecretKey();

export async function startSoukServer(options: SoukServerOptions): Promise<SoukServer> {
  if (options.engine === 'postgres' && !options.databaseUrl) throw new Error('the postgres engine needs a database URL');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'souk-bench-'));
  options.cleanup.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const server = spawnServer({
    name: `souk (${options.engine})`,
    args: [...(options.nodeArgs ?? []), ...(options.entryArgs ?? [path.join(REPO_ROOT, 'bin', 'souk.js'), 'start'])],
    port,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      SOUK_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SOUK_SEED_DEMO: '1',
      // Whatever the caller's shell has set must not leak in: the engine is chosen here, and the demo
      // owner's credentials are the ones the harness logs in with.
      DATABASE_URL: options.engine === 'postgres' ? options.databaseUrl : undefined,
      SOUK_ADMIN_EMAIL: undefined,
      SOUK_ADMIN_PASSWORD: undefined,
      SOUK_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // PostgreSQL requires a key; every node of one run shares it (multi-node benchmarks).
      SOUK_SECRET_KEY: process.env.SOUK_SECRET_KEY || BENCH_SECRET_KEY,
      ...options.env,
    },
    cwd: REPO_ROOT,
    cleanup: options.cleanup,
  });
  const readyAfterMs = await waitUntilReady(server, '/readyz', options.readyTimeoutMs ?? 180_000);
  return { ...server, readyAfterMs, engine: options.engine, dataDir };
}
