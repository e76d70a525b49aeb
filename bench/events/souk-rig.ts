// The events bench's rig: one Souk node inside the harness process (worker role on), with the bench
// consumer subscribed and the bus's own metrics wrapped so every phase can count and time deliveries.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSouk, type Souk } from '../../src/server.ts';
import { generateSecretKey } from '../../src/kernel/secret-key.ts';
import type { Config } from '../../src/kernel/config.ts';
import type { Database } from '../../src/kernel/db/types.ts';
import type { ScratchDatabase } from '../lib/postgres.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { SampleBuffer } from '../lib/stats.ts';
import { deleteStream } from './jetstream-admin.ts';

export const CONSUMER = 'bench.events';
export const EVENT_TYPE = 'bench.emitted';
/** Events are emitted through a PlatformDb, as modules do; no platform row is needed for the outbox. */
export const PLATFORM_ID = randomUUID();

export type TransportId = 'pglite' | 'postgres' | 'jetstream';
export const TRANSPORT_LABEL: Record<TransportId, string> = {
  pglite: 'embedded, PGlite',
  postgres: 'embedded, PostgreSQL',
  jetstream: 'JetStream (outbox on PostgreSQL)',
};

/** What one phase saw; the handler and the wrapped metrics write into the current one. */
export class Tracker {
  /** Emitted (committed) ids → commit time (performance.now()). */
  readonly emitted = new Map<string, number>();
  /** Handled ids → handler calls. */
  readonly handled = new Map<string, number>();
  handlerCalls = 0;
  foreignCalls = 0;
  consumerTransactions = 0;
  acked = 0;
  relayBatches = 0;
  relayed = 0;
  lastHandlerAt = 0;
  lastAckedAt = 0;
  readonly ackedLag = new SampleBuffer();
  readonly handlerLag = new SampleBuffer();
  readonly emitTxMs = new SampleBuffer();

  constructor(readonly id: string) {}
}

export interface Rig {
  transport: TransportId;
  souk: Souk;
  /** Raw database (PGlite or Souk's own pool): for checks and the PGlite ceiling. */
  database: Database;
  scratch?: ScratchDatabase;
  tracker: Tracker;
  /** false when the lag histogram could not be wrapped: lag then comes from handler start. */
  ackedLagHooked: boolean;
  totalEmitted: number;
  close(): Promise<void>;
}

type Observe = (...args: unknown[]) => unknown;

/** Wraps a prom-client metric method to see every call the bus makes (a bench-only instrument). */
function wrapMetric(souk: Souk, name: string, method: 'observe' | 'inc', spy: (args: unknown[]) => void): boolean {
  const metric = souk.ctx.metrics.getSingleMetric(name) as unknown as Record<string, Observe> | undefined;
  const original = metric?.[method];
  if (!metric || typeof original !== 'function') return false;
  metric[method] = (...args: unknown[]) => {
    spy(args);
    return original.apply(metric, args);
  };
  return true;
}

export async function startRig(
  transport: TransportId,
  context: ScenarioContext,
  where: { databaseUrl?: string; scratch?: ScratchDatabase; natsUrl?: string },
): Promise<Rig> {
  const { cleanup, options } = context;
  const overrides: Partial<Config> = {
    seedDemo: false,
    adminEmail: undefined,
    adminPassword: undefined,
    eventsWorker: true,
    logLevel: 'warn',
    databaseUrl: where.databaseUrl,
    // PostgreSQL requires a key; this rig is one process, so a fresh one does (unless the shell sets one).
    secretKey: process.env.SOUK_SECRET_KEY || generateSecretKey(),
    eventsTransport: transport === 'jetstream' ? 'jetstream' : 'embedded',
    natsUrl: transport === 'jetstream' ? where.natsUrl : undefined,
    // Packed JetStream messages (off by default for mixed-version installations, see config.ts), unless
    // the shell or --souk-env sets SOUK_NATS_EVENTS_PER_MESSAGE.
    ...(process.env.SOUK_NATS_EVENTS_PER_MESSAGE || context.options.soukEnv.SOUK_NATS_EVENTS_PER_MESSAGE ? {} : { natsEventsPerMessage: 100 }),
  };
  if (transport === 'pglite') {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'souk-bench-events-'));
    cleanup.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    overrides.dataDir = dataDir;
  }
  if (transport === 'jetstream') {
    const tag = randomBytes(4).toString('hex');
    overrides.natsStream = `SOUK_BENCH_${tag.toUpperCase()}`;
    overrides.natsSubjectPrefix = `souk_bench.${tag}`;
    const stream = overrides.natsStream;
    // Registered before the stream exists, so an interrupted start-up still removes it.
    cleanup.add(`delete JetStream stream ${stream}`, () => deleteStream(where.natsUrl ?? '', stream));
  }
  // --souk-env reaches loadConfig through the environment, as for the catalog's child process.
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(options.soukEnv)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  let souk: Souk;
  try {
    souk = await createSouk({ logger: false, config: overrides });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const closeSouk = cleanup.add(`close souk (${transport})`, () => souk.close());

  const rig: Rig = {
    transport,
    souk,
    database: souk.database,
    scratch: where.scratch,
    tracker: new Tracker('idle'),
    ackedLagHooked: false,
    totalEmitted: 0,
    close: closeSouk,
  };
  rig.ackedLagHooked = wrapMetric(souk, 'souk_events_delivery_lag_seconds', 'observe', (args) => {
    const [labels, value] = args as [{ consumer?: string }, number];
    if (labels?.consumer !== CONSUMER || typeof value !== 'number') return;
    const t = rig.tracker;
    t.acked += 1;
    t.ackedLag.push(value * 1000);
    t.lastAckedAt = performance.now();
  });
  wrapMetric(souk, 'souk_events_published_total', 'inc', (args) => {
    const moved = typeof args[1] === 'number' ? args[1] : 1;
    rig.tracker.relayBatches += 1;
    rig.tracker.relayed += moved;
  });

  let lastTx: unknown;
  souk.events.subscribe(CONSUMER, ['bench.*'], async (event, tx) => {
    const t = rig.tracker;
    // One TxScope per delivery transaction: consecutive calls with the same one are one consumer batch.
    if (tx !== lastTx) {
      lastTx = tx;
      t.consumerTransactions += 1;
    }
    t.handlerCalls += 1;
    if ((event.payload as { p?: string } | null)?.p !== t.id) {
      t.foreignCalls += 1;
      return;
    }
    t.handled.set(event.id, (t.handled.get(event.id) ?? 0) + 1);
    t.handlerLag.push(Date.now() - Date.parse(event.emittedAt));
    t.lastHandlerAt = performance.now();
  });
  return rig;
}
