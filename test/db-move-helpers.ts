// What the `souk db move --mode smooth` suites share: the command run as a child process (its output
// kept as it arrives, so a test can wait for progress lines), one-off SQL against either database, and
// the shoppers' checkout attempt with what it was answered.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export interface MoveCommand {
  /** stderr so far: the progress lines. */
  stderr(): string;
  kill(): void;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `souk db move --to <target> --mode smooth <extra…>` with `env` over the test's environment. */
export function runMoveCommand(target: string, env: NodeJS.ProcessEnv, extra: string[] = []): MoveCommand {
  const child = spawn(process.execPath, ['bin/souk.js', 'db', 'move', '--to', target, '--mode', 'smooth', ...extra], {
    env: { ...process.env, REDIS_URL: '', NATS_URL: '', SOUK_REQUIRE_SERVICES: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    stderr: () => stderr,
    kill: () => child.kill('SIGKILL'),
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))),
  };
}

/** One statement on its own connection. */
export async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** One shopper's checkout of one cart, and what the server answered (nothing yet while it is in flight). */
export interface CheckoutAttempt {
  cartId: string;
  key: string;
  phase: 'before' | 'during' | 'after';
  status?: number;
  code?: string;
  orderId?: string;
  ms?: number;
  /** performance.now() when the request was sent and answered. */
  sentAt?: number;
  answeredAt?: number;
}

/** POST the attempt's checkout to the node at `base` with the attempt's Idempotency-Key; records the answer on it. */
export async function checkoutAttempt(base: string, headers: Record<string, string>, attempt: CheckoutAttempt): Promise<void> {
  attempt.sentAt = performance.now();
  const res = await fetch(`${base}/store/carts/${attempt.cartId}/checkout`, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': attempt.key },
    body: '{}',
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { id?: string; code?: string };
  attempt.answeredAt = performance.now();
  attempt.ms = attempt.answeredAt - attempt.sentAt;
  attempt.status = res.status;
  attempt.code = body.code;
  if (res.status === 200 || res.status === 201) attempt.orderId = body.id;
}
