// Crash safety of the event backbone: a process killed with SIGKILL right after committing, in the middle
// of a burst, or holding a durable timer loses nothing and applies nothing twice after a restart.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createTempPostgres, engines, type Engine } from './harness.ts';
import { waitFor } from './wait.ts';
import { createSouk, type Souk } from '../src/server.ts';
import { CRASH_TABLES, subscribeCrashHandler } from './fixtures/crash-app.ts';

interface Store {
  env: Record<string, string>;
  open(): Promise<Souk>;
  dispose(): Promise<void>;
}

type TransportKind = 'embedded' | 'jetstream';

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: process.env.NATS_URL, timeout: 3000 });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

async function freshStore(engine: Engine, transport: TransportKind = 'embedded'): Promise<Store> {
  const config = { seedDemo: false, eventsTransport: transport, eventsPollMs: 5, platformRefreshMs: 0 };
  if (engine === 'postgres') {
    const temp = await createTempPostgres();
    if (transport === 'jetstream') {
      // Each test its own stream and subjects, shared by the child and the restarted process.
      const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      // A short ack wait: what the killed child had fetched but not acknowledged comes back after it.
      const nats = { natsUrl: process.env.NATS_URL, natsStream: `SOUK_T_CRASH_${run}`.toUpperCase(), natsSubjectPrefix: `souk_t.crash.${run}`, natsAckWaitMs: 3000 };
      return {
        env: {
          DATABASE_URL: temp.url,
          SOUK_CRASH_TRANSPORT: 'jetstream',
          SOUK_NATS_STREAM: nats.natsStream,
          SOUK_NATS_SUBJECT_PREFIX: nats.natsSubjectPrefix,
          SOUK_NATS_ACK_WAIT_MS: String(nats.natsAckWaitMs),
        },
        open: () => createSouk({ logger: false, config: { ...config, ...nats, databaseUrl: temp.url } }),
        dispose: async () => {
          await deleteStream(nats.natsStream);
          await temp.drop();
        },
      };
    }
    return {
      env: { DATABASE_URL: temp.url },
      open: () => createSouk({ logger: false, config: { ...config, databaseUrl: temp.url } }),
      dispose: () => temp.drop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'souk-crash-'));
  return {
    env: { SOUK_DATA_DIR: dir, DATABASE_URL: '' },
    open: () => createSouk({ logger: false, config: { ...config, databaseUrl: undefined, dataDir: dir } }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the child in `mode` until it has printed `until`, then SIGKILLs it. */
function runAndKill(store: Store, mode: string, until: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-child.ts', mode], {
      env: { ...process.env, ...store.env, SOUK_REQUIRE_SERVICES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child (${mode}) did not print ${until} in time: ${output}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child (${mode}) exited by itself (${signal ?? _code}): ${output}`));
    });
  });
}

async function prepare(store: Store): Promise<void> {
  const souk = await store.open();
  await souk.database.script(CRASH_TABLES);
  await souk.close();
}

async function recoverAndCount(store: Store, expectAtLeast: number) {
  const souk = await store.open();
  try {
    subscribeCrashHandler(souk);
    const count = async (sql: string) => (await souk.database.query<{ n: number }>(sql))[0]!.n;
    const orders = await count('select count(*)::int as n from crash_orders');
    assert.ok(orders >= expectAtLeast, `only ${orders} orders committed`);
    await waitFor('every committed order to be handled', async () => (await count('select n from crash_counter where id = 1')) >= orders, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      orders: await count('select count(*)::int as n from crash_orders'),
      effects: await count('select count(*)::int as n from crash_effects'),
      counter: await count('select n from crash_counter where id = 1'),
      unmatched: await count('select count(*)::int as n from crash_orders o where not exists (select 1 from crash_effects e where e.order_id = o.id)'),
      outbox: await count('select count(*)::int as n from event_outbox'),
    };
  } finally {
    await souk.close();
  }
}

// JetStream runs on PostgreSQL only: the outbox and inbox are the same code on both engines, and the
// broker's part (re-published batches, unacknowledged messages) is what these add.
const variants: Array<{ engine: Engine; transport: TransportKind }> = [
  ...engines().map((engine) => ({ engine, transport: 'embedded' as const })),
  ...(process.env.NATS_URL && engines().includes('postgres') ? [{ engine: 'postgres' as const, transport: 'jetstream' as const }] : []),
];

for (const { engine, transport } of variants) {
  const label = transport === 'embedded' ? engine : `${engine}, jetstream`;
  it(`an event committed just before SIGKILL, never relayed, is handled once after restart [${label}]`, async () => {
    const store = await freshStore(engine, transport);
    try {
      await prepare(store);
      await runAndKill(store, 'commit', /placed 1/);
      const result = await recoverAndCount(store, 1);
      assert.deepEqual(result, { orders: 1, effects: 1, counter: 1, unmatched: 0, outbox: 0 });
    } finally {
      await store.dispose();
    }
  });

  it(`SIGKILL in the middle of an order burst: every committed order's event applies exactly once [${label}]`, async () => {
    const store = await freshStore(engine, transport);
    try {
      await prepare(store);
      await runAndKill(store, 'burst', /placed 300\b/);
      const result = await recoverAndCount(store, 300);
      assert.equal(result.effects, result.orders);
      assert.equal(result.counter, result.orders, 'an event was applied twice or not at all');
      assert.equal(result.unmatched, 0);
      assert.equal(result.outbox, 0);
    } finally {
      await store.dispose();
    }
  });

  it(`a timer scheduled before SIGKILL fires once after restart [${label}]`, async () => {
    const store = await freshStore(engine, transport);
    try {
      await prepare(store);
      await runAndKill(store, 'timer', /placed 1/);
      const souk = await store.open();
      try {
        subscribeCrashHandler(souk);
        const counter = async () => (await souk.database.query<{ n: number }>('select n from crash_counter where id = 1'))[0]!.n;
        await waitFor('the timer to fire', async () => (await counter()) === 1, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(await counter(), 1);
        assert.equal((await souk.database.query<{ n: number }>('select count(*)::int as n from event_timers'))[0]!.n, 0);
      } finally {
        await souk.close();
      }
    } finally {
      await store.dispose();
    }
  });
}
