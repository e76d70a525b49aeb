// Events (issue: event backbone): end-to-end events per second (emit in a transaction → handler
// committed/acknowledged) and delivery lag, on three transports: embedded on PGlite, embedded on
// PostgreSQL, and NATS JetStream (outbox on PostgreSQL). Every figure sits next to its substrate's
// ceiling measured in the same run (plain insert transactions of an outbox-shaped row at the same
// concurrency; raw JetStream publish+ack and fetch+ack) and next to a bare Fastify server (project rule).
//
// Souk runs in this process (createSouk, worker role on, seedDemo off), as one node does in production:
// the emitters stand in for request handlers, the relay and the consumer run on the same event loop.
// Per transport:
//   1. ceilings, per round: plain insert transactions (1 and 10 rows each) with --emitters clients on a
//      table shaped like event_outbox; JetStream only: raw publish+ack, then fetch+ack of those messages;
//   2. backlog, per round and batch size: --emitters clients run transactions emitting 1 (or 10) events
//      each for --duration s, then the harness waits until every event was handled; reported: emitted/s,
//      handled/s from first emit to last acknowledged delivery, drain time after the emitters stopped, lag;
//   3. live lag, per round: events emitted at a fixed rate (--live-fraction of the batch-1 throughput) for
//      --live-duration s; reported: achieved rate and lag p50/p99/max.
// Lag is "acknowledged time − emittedAt": emittedAt is the emitting transaction's now() (its start), the
// acknowledged time is when the transport reports the delivery done (after the handler's transaction
// committed, and on JetStream after the ack) — read by wrapping the bus's own lag histogram's observe().
// Exactly once: every emitted id must reach the handler once and only once (handler calls, distinct ids,
// ids never emitted), the inbox must hold one row per emitted event and the outbox must end empty.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { createSouk, type Souk } from '../../src/server.ts';
import { encodeEvent } from '../../src/modules/events/jetstream-wire.ts';
import type { Config } from '../../src/kernel/config.ts';
import type { Database } from '../../src/kernel/db/types.ts';
import { machineBusyPercent, startCpuWatch } from '../lib/cpu.ts';
import type { LoadTarget } from '../lib/load.ts';
import { createScratchDatabase, type ScratchDatabase } from '../lib/postgres.ts';
import { QUIET_PERCENT, runRounds, type TargetSummary } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer } from '../lib/servers.ts';
import { median, percentileOfSorted, round, SampleBuffer, sum } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';

// Targets from the issue, on this 2-core machine.
const GOALS = { embeddedPostgresPerSecond: 5_000, jetstreamPerSecond: 20_000, liveP99Ms: 100 };

const CONSUMER = 'bench.events';
const EVENT_TYPE = 'bench.emitted';
/** Events are emitted through a PlatformDb, as modules do; no platform row is needed for the outbox. */
const PLATFORM_ID = randomUUID();

type TransportId = 'pglite' | 'postgres' | 'jetstream';
const TRANSPORT_LABEL: Record<TransportId, string> = {
  pglite: 'embedded, PGlite',
  postgres: 'embedded, PostgreSQL',
  jetstream: 'JetStream (outbox on PostgreSQL)',
};

interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentiles(samples: SampleBuffer): Percentiles {
  const sorted = samples.sorted();
  return {
    p50Ms: round(percentileOfSorted(sorted, 50), 1),
    p90Ms: round(percentileOfSorted(sorted, 90), 1),
    p99Ms: round(percentileOfSorted(sorted, 99), 1),
    maxMs: round(percentileOfSorted(sorted, 100), 1),
  };
}

/** CPU of this process (Souk + emitters + harness) and of everything else (PostgreSQL, nats-server, others), % of one core. */
interface CpuReading {
  harnessPercent: number;
  otherPercent: number;
  /**
   * Longest time a 20 ms interval timer of this process waited beyond its period, ms: how long the event
   * loop was kept from timers (and so from I/O such as HTTP requests) during the phase.
   */
  maxTimerStallMs: number;
}

function cpuWatch(cores: number): () => CpuReading {
  const stop = startCpuWatch(process.pid);
  let beat = performance.now();
  let stall = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - beat - 20);
    beat = now;
  }, 20);
  return () => {
    const cpu = stop();
    clearInterval(heartbeat);
    stall = Math.max(stall, performance.now() - beat - 20);
    const machineOfOneCore = cpu.machinePercent * cores;
    return {
      harnessPercent: cpu.serverPercent,
      otherPercent: round(Math.max(0, machineOfOneCore - cpu.serverPercent), 0),
      maxTimerStallMs: round(Math.max(0, stall), 0),
    };
  };
}

async function waitForQuiet(maxSeconds: number, log: (line: string) => void): Promise<number | undefined> {
  if (maxSeconds <= 0) return undefined;
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await machineBusyPercent(1000);
  let reported = false;
  while (busy > QUIET_PERCENT && Date.now() < deadline) {
    if (!reported) log(`  machine busy (${busy}% of a core used); waiting up to ${maxSeconds} s`);
    reported = true;
    busy = await machineBusyPercent(2000);
  }
  if (busy > QUIET_PERCENT) log(`  still busy (${busy}%); measuring anyway`);
  return busy;
}

// ---------------------------------------------------------------------------------------------------
// One Souk node with the bench consumer and its instruments.

/** What one phase saw; the handler and the wrapped metrics write into the current one. */
class Tracker {
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

interface Rig {
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

async function startRig(
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
    eventsTransport: transport === 'jetstream' ? 'jetstream' : 'embedded',
    natsUrl: transport === 'jetstream' ? where.natsUrl : undefined,
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

async function deleteStream(natsUrl: string, stream: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Emitting.

async function emitTransaction(rig: Rig, t: Tracker, eventsPerTx: number, emitter: number): Promise<void> {
  const started = performance.now();
  const ids = await rig.souk.ctx.transaction(async (tx) => {
    const platform = tx.platform(PLATFORM_ID);
    const out: string[] = [];
    for (let k = 0; k < eventsPerTx; k++) out.push(await rig.souk.events.emit(platform, EVENT_TYPE, { p: t.id, e: emitter, k }));
    return out;
  });
  const committed = performance.now();
  t.emitTxMs.push(committed - started);
  for (const id of ids) t.emitted.set(id, committed);
}

/**
 * Lets the event loop turn between two transactions of a closed-loop client, as requests arriving over
 * sockets do. Without it, on PGlite (whose queries resolve without I/O) the emitters' promise chains
 * would keep every timer, the bus's wake-ups included, from running until they stop.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface DrainOutcome {
  complete: boolean;
  waitedSeconds: number;
}

/** Waits until every emitted event was handled (and its delivery acknowledged), or the timeout. */
async function waitUntilHandled(rig: Rig, t: Tracker, timeoutSeconds: number): Promise<DrainOutcome> {
  const started = performance.now();
  const done = () => t.handled.size >= t.emitted.size && (!rig.ackedLagHooked || t.acked >= t.emitted.size);
  while (!done() && performance.now() - started < timeoutSeconds * 1000) await sleep(10);
  // A little longer, so a duplicate delivery right behind the last one is seen too.
  await sleep(200);
  return { complete: done(), waitedSeconds: round((performance.now() - started) / 1000, 2) };
}

/**
 * Waits until every consumer on the bus (the modules' own too, e.g. webhooks on "*") has reached the end
 * of the transport, so the next phase does not start on another consumer's leftovers. Returns the wait.
 */
async function waitAllConsumers(rig: Rig, timeoutSeconds: number): Promise<{ seconds: number; lagging: Record<string, number> }> {
  const transport = rig.souk.events.requireTransport();
  const started = performance.now();
  for (;;) {
    const lags = await Promise.all(rig.souk.events.consumers().map(async (c) => [c, await transport.lag(c).catch(() => Number.NaN)] as const));
    const lagging = Object.fromEntries(lags.filter(([, n]) => !(n === 0)));
    if (Object.keys(lagging).length === 0 || performance.now() - started > timeoutSeconds * 1000) {
      return { seconds: round((performance.now() - started) / 1000, 2), lagging };
    }
    await sleep(50);
  }
}

interface Verification {
  handlerCalls: number;
  distinctHandled: number;
  /** Emitted ids the handler never saw. */
  missing: number;
  /** Handler calls beyond the first for an id. */
  duplicateCalls: number;
  /** Handled ids this phase never emitted, and calls with another phase's payload. */
  unknown: number;
  /** Inbox rows of the bench consumer minus events emitted so far on this node (0 expected). */
  inboxMinusEmitted: number;
  outboxLeft: number;
  exactlyOnce: boolean;
}

async function verify(rig: Rig, t: Tracker): Promise<Verification> {
  let missing = 0;
  for (const id of t.emitted.keys()) if (!t.handled.has(id)) missing += 1;
  let duplicateCalls = 0;
  let unknown = t.foreignCalls;
  for (const [id, calls] of t.handled) {
    duplicateCalls += calls - 1;
    if (!t.emitted.has(id)) unknown += 1;
  }
  const [inbox] = await rig.database.query<{ n: number }>('select count(*)::int as n from event_inbox where consumer = $1', [CONSUMER]);
  const [outbox] = await rig.database.query<{ n: number }>('select count(*)::int as n from event_outbox');
  const inboxMinusEmitted = (inbox?.n ?? Number.NaN) - rig.totalEmitted;
  const outboxLeft = outbox?.n ?? Number.NaN;
  return {
    handlerCalls: t.handlerCalls,
    distinctHandled: t.handled.size,
    missing,
    duplicateCalls,
    unknown,
    inboxMinusEmitted,
    outboxLeft,
    exactlyOnce: missing === 0 && duplicateCalls === 0 && unknown === 0 && inboxMinusEmitted === 0 && outboxLeft === 0,
  };
}

function describeVerification(v: Verification): string {
  return v.exactlyOnce
    ? 'yes'
    : `NO (missing ${v.missing}, duplicate calls ${v.duplicateCalls}, unknown ${v.unknown}, inbox−emitted ${v.inboxMinusEmitted}, outbox left ${v.outboxLeft})`;
}

interface PhaseResult {
  kind: 'warmup' | 'backlog' | 'live';
  transport: TransportId;
  round: number;
  eventsPerTx: number;
  emitters: number;
  emitSeconds: number;
  transactions: number;
  emitted: number;
  emitErrors: number;
  emittedPerSecond: number;
  /** emitted ÷ (last acknowledged delivery − first emit). */
  handledPerSecond: number;
  /** From the last commit of an emitter to the last acknowledged delivery. */
  drainSeconds: number;
  drainComplete: boolean;
  /** How long the harness waited for the drain after the emitters stopped (includes 0.2 s of extra watching). */
  drainWaitSeconds: number;
  /** After the bench consumer was done, how long until every other consumer had caught up too. */
  allConsumersDrainSeconds: number;
  /** Consumers still behind when that wait gave up (events not reached). */
  laggingConsumers: Record<string, number>;
  /** Acknowledged time − emittedAt (handler start − emittedAt if the bus's histogram could not be wrapped). */
  lag: Percentiles;
  lagSource: 'acknowledged' | 'handler start';
  handlerStartLag: Percentiles;
  emitTransaction: Percentiles;
  relayBatches: number;
  meanRelayBatch: number;
  consumerTransactions: number;
  meanConsumerBatch: number;
  cpu: CpuReading;
  backgroundBeforePercent?: number;
  verification: Verification;
  /** Live phase only. */
  targetPerSecond?: number;
  skippedEmits?: number;
}

function finishPhase(
  rig: Rig,
  t: Tracker,
  base: Pick<PhaseResult, 'kind' | 'round' | 'eventsPerTx' | 'emitters' | 'backgroundBeforePercent' | 'targetPerSecond' | 'skippedEmits'>,
  timing: {
    startedAt: number;
    emitEndedAt: number;
    transactions: number;
    emitErrors: number;
    drain: DrainOutcome;
    cpu: CpuReading;
    others: { seconds: number; lagging: Record<string, number> };
  },
  verification: Verification,
): PhaseResult {
  const emitted = t.emitted.size;
  const lastDone = rig.ackedLagHooked ? t.lastAckedAt : t.lastHandlerAt;
  let lastCommit = 0;
  for (const at of t.emitted.values()) lastCommit = Math.max(lastCommit, at);
  const emitSeconds = (timing.emitEndedAt - timing.startedAt) / 1000;
  return {
    ...base,
    transport: rig.transport,
    emitSeconds: round(emitSeconds, 2),
    transactions: timing.transactions,
    emitted,
    emitErrors: timing.emitErrors,
    emittedPerSecond: round(emitted / emitSeconds, 0),
    handledPerSecond: lastDone > timing.startedAt ? round(emitted / ((lastDone - timing.startedAt) / 1000), 0) : Number.NaN,
    drainSeconds: round(Math.max(0, lastDone - lastCommit) / 1000, 2),
    drainComplete: timing.drain.complete,
    drainWaitSeconds: timing.drain.waitedSeconds,
    allConsumersDrainSeconds: timing.others.seconds,
    laggingConsumers: timing.others.lagging,
    lag: percentiles(rig.ackedLagHooked ? t.ackedLag : t.handlerLag),
    lagSource: rig.ackedLagHooked ? 'acknowledged' : 'handler start',
    handlerStartLag: percentiles(t.handlerLag),
    emitTransaction: percentiles(t.emitTxMs),
    relayBatches: t.relayBatches,
    meanRelayBatch: round(t.relayed / Math.max(1, t.relayBatches), 1),
    consumerTransactions: t.consumerTransactions,
    meanConsumerBatch: round(t.handled.size / Math.max(1, t.consumerTransactions), 1),
    cpu: timing.cpu,
    verification,
  };
}

interface PhaseSettings {
  emitters: number;
  drainTimeoutSeconds: number;
  quietWaitSeconds: number;
  cores: number;
  log: (line: string) => void;
}

/** Closed loop: every emitter runs transactions back to back for `seconds`, then everything drains. */
async function backlogPhase(rig: Rig, kind: 'warmup' | 'backlog', round_: number, eventsPerTx: number, seconds: number, s: PhaseSettings): Promise<PhaseResult> {
  const backgroundBeforePercent = kind === 'warmup' ? undefined : await waitForQuiet(s.quietWaitSeconds, s.log);
  const t = new Tracker(`${rig.transport}-${kind}-${round_}-${eventsPerTx}-${randomBytes(3).toString('hex')}`);
  rig.tracker = t;
  let transactions = 0;
  let emitErrors = 0;
  let firstError: unknown;
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: s.emitters }, async (_, emitter) => {
      while (performance.now() < endAt) {
        try {
          await emitTransaction(rig, t, eventsPerTx, emitter);
          transactions += 1;
          await yieldToLoop();
        } catch (error) {
          emitErrors += 1;
          firstError ??= error;
          if (emitErrors > 100) throw error;
          await sleep(10);
        }
      }
    }),
  );
  const emitEndedAt = performance.now();
  const drain = await waitUntilHandled(rig, t, s.drainTimeoutSeconds);
  const cpu = stopCpu();
  const others = await waitAllConsumers(rig, s.drainTimeoutSeconds);
  rig.totalEmitted += t.emitted.size;
  const verification = await verify(rig, t);
  if (firstError) s.log(`  !! ${emitErrors} emit transactions failed; first: ${String(firstError)}`);
  return finishPhase(rig, t, { kind, round: round_, eventsPerTx, emitters: s.emitters, backgroundBeforePercent }, { startedAt, emitEndedAt, transactions, emitErrors, drain, cpu, others }, verification);
}

/** Open-loop emits in flight at most; beyond, emits due are skipped (and reported) rather than queued without bound. */
const MAX_LIVE_IN_FLIGHT = 1000;

/**
 * Open loop: one-event transactions started at `perSecond` for `seconds`, whether or not earlier ones have
 * committed (as requests arrive at a server); the pool queues what it cannot run at once.
 */
async function livePhase(rig: Rig, round_: number, perSecond: number, seconds: number, s: PhaseSettings): Promise<PhaseResult> {
  const backgroundBeforePercent = await waitForQuiet(s.quietWaitSeconds, s.log);
  const t = new Tracker(`${rig.transport}-live-${round_}-${randomBytes(3).toString('hex')}`);
  rig.tracker = t;
  let transactions = 0;
  let emitErrors = 0;
  let started = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  for (;;) {
    const elapsed = (performance.now() - startedAt) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.floor(perSecond * elapsed) - started - skipped;
    for (let i = 0; i < due; i++) {
      if (inFlight >= MAX_LIVE_IN_FLIGHT) {
        // Cannot start it on time: counted, not queued, so the achieved rate shows it.
        skipped += due - i;
        break;
      }
      started += 1;
      inFlight += 1;
      const p: Promise<void> = emitTransaction(rig, t, 1, started % s.emitters).then(
        () => {
          transactions += 1;
        },
        () => {
          emitErrors += 1;
        },
      ).finally(() => {
        inFlight -= 1;
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(1);
  }
  await Promise.all([...pending]);
  const emitEndedAt = performance.now();
  const drain = await waitUntilHandled(rig, t, s.drainTimeoutSeconds);
  const cpu = stopCpu();
  const others = await waitAllConsumers(rig, s.drainTimeoutSeconds);
  rig.totalEmitted += t.emitted.size;
  const verification = await verify(rig, t);
  return finishPhase(
    rig,
    t,
    { kind: 'live', round: round_, eventsPerTx: 1, emitters: s.emitters, backgroundBeforePercent, targetPerSecond: round(perSecond, 0), skippedEmits: skipped },
    { startedAt, emitEndedAt, transactions, emitErrors, drain, cpu, others },
    verification,
  );
}

// ---------------------------------------------------------------------------------------------------
// Ceilings.

interface CeilingResult {
  id: string;
  label: string;
  round: number;
  /** Rows (or messages) per second. */
  perSecond: number;
  transactionsPerSecond?: number;
  latency: Percentiles;
  cpu: CpuReading;
  backgroundBeforePercent?: number;
  count: number;
  seconds: number;
}

const CEILING_TABLE = 'bench_ceiling_outbox';

const ceilingInsert = `insert into ${CEILING_TABLE} (platform_id, id, type, key, payload, traceparent, caused_by)
  values ($1, $2, $3, $4, $5::jsonb, $6, $7)`;

function ceilingParams(emitter: number, k: number): unknown[] {
  const trace = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  return [PLATFORM_ID, randomUUID(), EVENT_TYPE, null, JSON.stringify({ p: 'ceiling', e: emitter, k }), trace, null];
}

/** Plain insert transactions of an outbox-shaped row (same columns and indexes as event_outbox), no Souk code. */
async function insertCeiling(
  label: string,
  run: (emitter: number, rows: number) => Promise<void>,
  round_: number,
  rowsPerTx: number,
  seconds: number,
  s: PhaseSettings,
): Promise<CeilingResult> {
  const backgroundBeforePercent = await waitForQuiet(s.quietWaitSeconds, s.log);
  const latency = new SampleBuffer();
  let transactions = 0;
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: s.emitters }, async (_, emitter) => {
      while (performance.now() < endAt) {
        const t0 = performance.now();
        await run(emitter, rowsPerTx);
        latency.push(performance.now() - t0);
        transactions += 1;
        await yieldToLoop();
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = stopCpu();
  return {
    id: `insert-${rowsPerTx}`,
    label,
    round: round_,
    perSecond: round((transactions * rowsPerTx) / elapsed, 0),
    transactionsPerSecond: round(transactions / elapsed, 0),
    latency: percentiles(latency),
    cpu,
    backgroundBeforePercent,
    count: transactions * rowsPerTx,
    seconds: round(elapsed, 2),
  };
}

interface InsertCeiling {
  label: string;
  run(emitter: number, rows: number): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function prepareInsertCeiling(rig: Rig, poolSize: number): Promise<InsertCeiling> {
  await rig.database.script(`create table if not exists ${CEILING_TABLE} (like event_outbox including all)`);
  const reset = async () => {
    await rig.database.script(`truncate ${CEILING_TABLE}`);
  };
  if (rig.transport === 'pglite' || !rig.scratch) {
    // PGlite has one connection; Souk's raw Database is the thinnest way to it.
    return {
      label: 'PGlite insert transactions',
      run: (emitter, rows) =>
        rig.database.transaction(async (tx) => {
          for (let k = 0; k < rows; k++) await tx.execute(ceilingInsert, ceilingParams(emitter, k));
        }),
      reset,
      close: async () => {},
    };
  }
  // Plain pg, its own pool of Souk's size: begin, insert(s), commit, as Souk's transactions do.
  const pool = new pg.Pool({ connectionString: rig.scratch.url, max: poolSize });
  pool.on('error', () => undefined);
  return {
    label: 'PostgreSQL insert transactions (pg pool)',
    async run(emitter, rows) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        for (let k = 0; k < rows; k++) await client.query(ceilingInsert, ceilingParams(emitter, k));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    reset,
    close: () => pool.end(),
  };
}

interface RawJetStream {
  publish(round_: number, seconds: number, window: number, s: PhaseSettings): Promise<{ publish: CeilingResult; consume: CeilingResult }>;
  close(): Promise<void>;
}

/** Raw JetStream: a stream set up like Souk's, Souk-sized messages with a Nats-Msg-Id, `window` publishes in flight. */
async function prepareRawJetStream(natsUrl: string, context: ScenarioContext, retentionHours: number): Promise<RawJetStream> {
  const tag = randomBytes(4).toString('hex');
  const stream = `SOUK_BENCH_RAW_${tag.toUpperCase()}`;
  const prefix = `souk_bench_raw.${tag}`;
  const nc: NatsConnection = await connect({ servers: natsUrl, timeout: 3000 });
  const closeNc = context.cleanup.add('close raw NATS connection', () => nc.close().catch(() => undefined));
  context.cleanup.add(`delete JetStream stream ${stream}`, () => deleteStream(natsUrl, stream));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: stream,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(retentionHours * 3600_000),
    duplicate_window: nanos(10 * 60_000),
    num_replicas: 1,
  });
  const js = jetstream(nc, { timeout: 5000 });
  const subject = `${prefix}.${EVENT_TYPE}`;
  return {
    async publish(round_, seconds, window, s) {
      await jsm.streams.purge(stream);
      let backgroundBeforePercent = await waitForQuiet(s.quietWaitSeconds, s.log);
      let published = 0;
      const latency = new SampleBuffer();
      let stopCpu = cpuWatch(s.cores);
      let startedAt = performance.now();
      const endAt = startedAt + seconds * 1000;
      await Promise.all(
        Array.from({ length: window }, async (_, worker) => {
          while (performance.now() < endAt) {
            const id = randomUUID();
            const { body, headers } = encodeEvent({
              id,
              platform_id: PLATFORM_ID,
              type: EVENT_TYPE,
              key: null,
              payload: { p: 'raw', e: worker, k: published },
              traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
              caused_by: null,
              emitted_at: new Date(),
            });
            const t0 = performance.now();
            await js.publish(subject, body, { msgID: id, headers });
            latency.push(performance.now() - t0);
            published += 1;
          }
        }),
      );
      let elapsed = (performance.now() - startedAt) / 1000;
      const publish: CeilingResult = {
        id: 'js-publish',
        label: `raw JetStream publish+ack (${window} in flight)`,
        round: round_,
        perSecond: round(published / elapsed, 0),
        latency: percentiles(latency),
        cpu: stopCpu(),
        backgroundBeforePercent,
        count: published,
        seconds: round(elapsed, 2),
      };

      // Fetch+ack of what was just published, in fetches of `window` like Souk's consumer (bounded in time).
      backgroundBeforePercent = await waitForQuiet(s.quietWaitSeconds, s.log);
      const durable = `raw_${round_}`;
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: Math.max(1000, window * 4) });
      const consumer = await js.consumers.get(stream, durable);
      let consumed = 0;
      stopCpu = cpuWatch(s.cores);
      startedAt = performance.now();
      const consumeUntil = startedAt + Math.max(10, seconds * 3) * 1000;
      while (consumed < published && performance.now() < consumeUntil) {
        const messages = await consumer.fetch({ max_messages: window, expires: 1000 });
        for await (const msg of messages) {
          msg.ack();
          consumed += 1;
        }
      }
      await nc.flush();
      elapsed = (performance.now() - startedAt) / 1000;
      const consume: CeilingResult = {
        id: 'js-consume',
        label: `raw JetStream fetch+ack (fetches of ${window})`,
        round: round_,
        perSecond: round(consumed / elapsed, 0),
        latency: percentiles(new SampleBuffer()),
        cpu: stopCpu(),
        backgroundBeforePercent,
        count: consumed,
        seconds: round(elapsed, 2),
      };
      await jsm.consumers.delete(stream, durable).catch(() => undefined);
      return { publish, consume };
    },
    async close() {
      await deleteStream(natsUrl, stream).catch(() => undefined);
      await closeNc();
    },
  };
}

async function natsReachable(natsUrl: string): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 3000, reconnect: false });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.getAccountInfo();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// ---------------------------------------------------------------------------------------------------
// Per transport.

interface TransportRun {
  transport: TransportId;
  label: string;
  skipped?: string;
  database?: { engine: 'pglite' | 'postgres'; name?: string; serverVersion?: string };
  stream?: string;
  /** The bus settings in effect (from the environment and --souk-env). */
  eventsConfig?: Pick<Config, 'eventsBatchSize' | 'eventsPollMs' | 'eventsIdleMaxMs' | 'databasePoolSize'>;
  readySeconds?: number;
  /** Every consumer on the bus: the bench's and the modules' own, which see the bench events too if they match. */
  consumers?: string[];
  lagSource?: PhaseResult['lagSource'];
  ceilings: CeilingResult[];
  warmup?: PhaseResult;
  backlog: PhaseResult[];
  live: PhaseResult[];
  livePerSecond?: number;
}

function logPhase(log: (line: string) => void, p: PhaseResult): void {
  const rate = p.kind === 'live' ? `target ${p.targetPerSecond}/s, ` : '';
  const flag = p.verification.exactlyOnce && p.drainComplete ? '' : `  !! exactly once: ${describeVerification(p.verification)}${p.drainComplete ? '' : ', DRAIN TIMED OUT'}`;
  log(
    `  ${p.kind} r${p.round} (${p.emitSeconds} s + drain wait ${p.drainWaitSeconds} s) ${p.eventsPerTx}/tx: ${rate}emitted ${p.emitted} (${p.emittedPerSecond}/s), handled ${p.handledPerSecond}/s e2e, ` +
      `drain ${p.drainSeconds} s, lag p50 ${p.lag.p50Ms} / p99 ${p.lag.p99Ms} / max ${p.lag.maxMs} ms, ` +
      `relay batch ${p.meanRelayBatch}, consumer batch ${p.meanConsumerBatch}, cpu souk ${p.cpu.harnessPercent}% / other ${p.cpu.otherPercent}%, max timer stall ${p.cpu.maxTimerStallMs} ms, all consumers drained +${p.allConsumersDrainSeconds} s${flag}`,
  );
}

function logCeiling(log: (line: string) => void, c: CeilingResult): void {
  log(`  ceiling r${c.round} ${c.label} ${c.id}: ${c.perSecond}/s, p50 ${c.latency.p50Ms} / p99 ${c.latency.p99Ms} ms, cpu harness ${c.cpu.harnessPercent}% / other ${c.cpu.otherPercent}%`);
}

async function runTransport(transport: TransportId, context: ScenarioContext, settings: ScenarioSettings, notes: string[]): Promise<TransportRun> {
  const { options, cleanup, log } = context;
  const run: TransportRun = { transport, label: TRANSPORT_LABEL[transport], ceilings: [], backlog: [], live: [] };
  const skip = (reason: string) => {
    run.skipped = reason;
    notes.push(`${run.label} skipped: ${reason}`);
    log(`${run.label} skipped: ${reason}`);
    return run;
  };

  if (transport === 'jetstream') {
    const problem = await natsReachable(settings.natsUrl);
    if (problem) return skip(`NATS JetStream at ${settings.natsUrl} is unreachable (${problem})`);
  }
  let scratch: ScratchDatabase | undefined;
  if (transport !== 'pglite') {
    const outcome = await createScratchDatabase(options.pgAdminUrl, cleanup);
    if (!outcome.ok) return skip(`PostgreSQL at ${options.pgAdminUrl.replace(/\/\/[^@/]*@/, '//…@')} is unreachable (${outcome.reason})`);
    scratch = outcome.database;
    run.database = { engine: 'postgres', name: scratch.name, serverVersion: scratch.serverVersion };
    log(`${run.label}: scratch database ${scratch.name} on PostgreSQL ${scratch.serverVersion}`);
  } else {
    run.database = { engine: 'pglite' };
  }

  const t0 = performance.now();
  const rig = await startRig(transport, context, { databaseUrl: scratch?.url, scratch, natsUrl: settings.natsUrl });
  run.readySeconds = round((performance.now() - t0) / 1000, 1);
  const config = rig.souk.config;
  run.eventsConfig = {
    eventsBatchSize: config.eventsBatchSize,
    eventsPollMs: config.eventsPollMs,
    eventsIdleMaxMs: config.eventsIdleMaxMs,
    databasePoolSize: config.databasePoolSize,
  };
  if (transport === 'jetstream') run.stream = config.natsStream;
  run.consumers = rig.souk.events.consumers();
  run.lagSource = rig.ackedLagHooked ? 'acknowledged' : 'handler start';
  if (!rig.ackedLagHooked) notes.push(`${run.label}: the bus's lag histogram could not be wrapped; lag is measured at handler start (before the commit).`);
  log(`${run.label}: souk ready after ${run.readySeconds} s (events batch ${config.eventsBatchSize}, poll ${config.eventsPollMs} ms, pool ${config.databasePoolSize})`);

  const phase: PhaseSettings = {
    emitters: settings.emitters,
    drainTimeoutSeconds: settings.drainTimeoutSeconds,
    quietWaitSeconds: options.quietWaitSeconds,
    cores: context.machine.cores,
    log,
  };
  const ceiling = await prepareInsertCeiling(rig, config.databasePoolSize);
  const raw = transport === 'jetstream' ? await prepareRawJetStream(settings.natsUrl, context, config.eventsRetentionHours) : undefined;

  if (options.warmupSeconds > 0) {
    log(`  warm-up (${options.warmupSeconds} s, 1 event/tx)`);
    run.warmup = await backlogPhase(rig, 'warmup', 0, 1, options.warmupSeconds, phase);
    logPhase(log, run.warmup);
  }

  for (let r = 1; r <= options.rounds; r++) {
    for (const batch of settings.batches) {
      const c = await insertCeiling(ceiling.label, ceiling.run, r, batch, options.durationSeconds, phase);
      await ceiling.reset();
      run.ceilings.push(c);
      logCeiling(log, c);
      const p = await backlogPhase(rig, 'backlog', r, batch, options.durationSeconds, phase);
      run.backlog.push(p);
      logPhase(log, p);
    }
    if (raw) {
      const { publish, consume } = await raw.publish(r, options.durationSeconds, settings.jsWindow, phase);
      run.ceilings.push(publish, consume);
      logCeiling(log, publish);
      logCeiling(log, consume);
    }
  }

  const single = run.backlog.filter((p) => p.eventsPerTx === settings.batches[0]);
  const throughput = median(single.map((p) => p.handledPerSecond));
  if (Number.isFinite(throughput) && throughput > 0 && settings.liveSeconds > 0) {
    run.livePerSecond = round(throughput * settings.liveFraction, 0);
    log(`  live: ${run.livePerSecond} events/s (${Math.round(settings.liveFraction * 100)}% of ${throughput}/s) for ${settings.liveSeconds} s per round`);
    for (let r = 1; r <= options.rounds; r++) {
      const p = await livePhase(rig, r, run.livePerSecond, settings.liveSeconds, phase);
      run.live.push(p);
      logPhase(log, p);
    }
  }

  for (const p of [...run.backlog, ...run.live, ...(run.warmup ? [run.warmup] : [])]) {
    if (!p.verification.exactlyOnce || !p.drainComplete) {
      notes.push(
        `!! ${run.label}, ${p.kind} round ${p.round}, ${p.eventsPerTx} event(s)/tx: exactly once ${describeVerification(p.verification)}` +
          `${p.drainComplete ? '' : `; not everything was handled within ${settings.drainTimeoutSeconds} s`}.`,
      );
    }
    if (Object.keys(p.laggingConsumers).length > 0) {
      notes.push(`!! ${run.label}, ${p.kind} round ${p.round}: consumers still behind after ${settings.drainTimeoutSeconds} s: ${JSON.stringify(p.laggingConsumers)}.`);
    }
    if (p.emitErrors > 0) notes.push(`!! ${run.label}, ${p.kind} round ${p.round}: ${p.emitErrors} emit transactions failed.`);
  }

  if (raw) await raw.close();
  await ceiling.close();
  await rig.close();
  if (scratch) await scratch.drop();
  return run;
}

// ---------------------------------------------------------------------------------------------------
// Tables.

const pct = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 1000) / 10}%` : '–');

interface Med {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function medCeiling(run: TransportRun, id: string): (Med & { harness: number; other: number; rounds: number }) | undefined {
  const list = run.ceilings.filter((c) => c.id === id);
  if (list.length === 0) return undefined;
  return {
    perSecond: round(median(list.map((c) => c.perSecond)), 0),
    p50Ms: round(median(list.map((c) => c.latency.p50Ms)), 2),
    p99Ms: round(median(list.map((c) => c.latency.p99Ms)), 2),
    harness: round(median(list.map((c) => c.cpu.harnessPercent)), 0),
    other: round(median(list.map((c) => c.cpu.otherPercent)), 0),
    rounds: list.length,
  };
}

function medPhases(list: PhaseResult[]) {
  const m = (f: (p: PhaseResult) => number, digits = 0) => round(median(list.map(f)), digits);
  return {
    emittedPerSecond: m((p) => p.emittedPerSecond),
    handledPerSecond: m((p) => p.handledPerSecond),
    drainSeconds: m((p) => p.drainSeconds, 2),
    p50: m((p) => p.lag.p50Ms, 1),
    p99: m((p) => p.lag.p99Ms, 1),
    max: m((p) => p.lag.maxMs, 1),
    relayBatch: m((p) => p.meanRelayBatch, 1),
    consumerBatch: m((p) => p.meanConsumerBatch, 1),
    harness: m((p) => p.cpu.harnessPercent),
    other: m((p) => p.cpu.otherPercent),
    targetPerSecond: m((p) => p.targetPerSecond ?? Number.NaN),
    exactlyOnce: list.every((p) => p.verification.exactlyOnce && p.drainComplete) ? 'yes' : 'NO',
    events: sum(list.map((p) => p.emitted)),
  };
}

function buildTables(runs: TransportRun[], bare: TargetSummary | undefined, settings: ScenarioSettings, context: ScenarioContext): Table[] {
  const bareRps = bare?.requestsPerSecond ?? Number.NaN;
  const measured = runs.filter((r) => !r.skipped);
  const { options } = context;

  const ceilings: Table = {
    title: `Ceilings in the same run: bare Fastify and each substrate (${settings.emitters} clients), medians of ${options.rounds} round(s) of ${options.durationSeconds} s`,
    columns: ['substrate', 'measure', 'per s', 'p50 ms', 'p99 ms', 'vs bare', 'CPU harness', 'CPU other'],
    rows: [],
    notes: [
      'per s: rows (insert), messages (JetStream) or requests (bare). Insert rows go to a table created LIKE event_outbox (same columns and indexes).',
      'CPU: % of one core; harness = this process (Souk, emitters, clients); other = everything else (PostgreSQL, nats-server, the bare server, other jobs).',
    ],
  };
  if (bare) {
    ceilings.rows.push(['bare Fastify', `hello, ${options.connections} connections (req/s)`, bare.requestsPerSecond, bare.p50Ms, bare.p99Ms, '100%', `${bare.loadGeneratorCpuPercent}%`, `${bare.serverCpuPercent}% (server)`]);
  }
  for (const run of measured) {
    for (const id of [...settings.batches.map((b) => `insert-${b}`), 'js-publish', 'js-consume']) {
      const c = medCeiling(run, id);
      if (!c) continue;
      const label = run.ceilings.find((x) => x.id === id)?.label ?? id;
      const measure = id.startsWith('insert-') ? `${label}, ${id.slice(7)} row(s)/tx` : label;
      ceilings.rows.push([run.label, measure, c.perSecond, c.p50Ms, c.p99Ms, pct(c.perSecond / bareRps), `${c.harness}%`, `${c.other}%`]);
    }
  }

  const backlog: Table = {
    title: `Backlog throughput: ${settings.emitters} emitters for ${options.durationSeconds} s, then drain; medians of ${options.rounds} round(s)`,
    columns: ['transport', 'events/tx', 'emitted/s', 'handled/s e2e', 'vs insert ceiling', 'vs bare', 'drain s', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'relay batch', 'consumer batch', 'CPU harness', 'CPU other', 'exactly once'],
    rows: [],
    notes: [
      'handled/s e2e: events ÷ (last acknowledged delivery − first emit). drain s: last emit commit → last acknowledged delivery.',
      'Lag: acknowledged (handler transaction committed; JetStream: acked) − emittedAt (the emitting transaction\'s now()). At saturation it is mostly queueing in the backlog.',
      'vs insert ceiling: handled/s ÷ rows/s of plain insert transactions with the same rows per transaction and clients, on the same database.',
      'relay batch / consumer batch: mean events per relay transaction and per handler transaction.',
    ],
  };
  for (const run of measured) {
    for (const batch of settings.batches) {
      const list = run.backlog.filter((p) => p.eventsPerTx === batch);
      if (list.length === 0) continue;
      const m = medPhases(list);
      const c = medCeiling(run, `insert-${batch}`);
      backlog.rows.push([
        run.label, batch, m.emittedPerSecond, m.handledPerSecond, c ? pct(m.handledPerSecond / c.perSecond) : null, pct(m.handledPerSecond / bareRps),
        m.drainSeconds, m.p50, m.p99, m.max, m.relayBatch, m.consumerBatch, `${m.harness}%`, `${m.other}%`, m.exactlyOnce,
      ]);
    }
  }

  const live: Table = {
    title: `Live lag below saturation: 1 event/tx at ${Math.round(settings.liveFraction * 100)}% of the 1-event backlog throughput for ${settings.liveSeconds} s; medians of ${options.rounds} round(s)`,
    columns: ['transport', 'target ev/s', 'achieved ev/s', 'vs bare', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'relay batch', 'consumer batch', 'CPU harness', 'CPU other', 'exactly once'],
    rows: [],
  };
  for (const run of measured) {
    if (run.live.length === 0) continue;
    const m = medPhases(run.live);
    live.rows.push([run.label, m.targetPerSecond, m.emittedPerSecond, pct(m.emittedPerSecond / bareRps), m.p50, m.p99, m.max, m.relayBatch, m.consumerBatch, `${m.harness}%`, `${m.other}%`, m.exactlyOnce]);
  }

  const goals: Table = { title: 'Goals from the issue', columns: ['transport', 'goal', 'measured', 'met'], rows: [] };
  for (const run of measured) {
    const goal = run.transport === 'postgres' ? GOALS.embeddedPostgresPerSecond : run.transport === 'jetstream' ? GOALS.jetstreamPerSecond : undefined;
    if (goal !== undefined) {
      for (const batch of settings.batches) {
        const list = run.backlog.filter((p) => p.eventsPerTx === batch);
        if (list.length === 0) continue;
        const handled = medPhases(list).handledPerSecond;
        goals.rows.push([run.label, `≥ ${goal.toLocaleString('en-US')} events/s handled (${batch} event(s)/tx)`, `${handled.toLocaleString('en-US')}/s`, handled >= goal ? 'yes' : 'NO']);
      }
    }
    if (run.live.length > 0) {
      const m = medPhases(run.live);
      goals.rows.push([run.label, `p99 lag < ${GOALS.liveP99Ms} ms at ${m.emittedPerSecond.toLocaleString('en-US')} ev/s`, `${m.p99} ms`, m.p99 < GOALS.liveP99Ms ? 'yes' : 'NO']);
    }
    const all = [...run.backlog, ...run.live];
    goals.rows.push([run.label, 'every emitted event handled exactly once', `${sum(all.map((p) => p.emitted)).toLocaleString('en-US')} events`, all.every((p) => p.verification.exactlyOnce && p.drainComplete) ? 'yes' : 'NO']);
  }
  return [ceilings, backlog, live, goals];
}

// ---------------------------------------------------------------------------------------------------

interface ScenarioSettings {
  transports: TransportId[];
  emitters: number;
  batches: number[];
  liveFraction: number;
  liveSeconds: number;
  drainTimeoutSeconds: number;
  natsUrl: string;
  jsWindow: number;
}

function parseSettings(flags: Record<string, string>, durationSeconds: number): ScenarioSettings {
  const int = (name: string, min: number) => {
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${flags[name]}"`);
    return value;
  };
  const transports = (flags.transports ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of transports) if (!(t in TRANSPORT_LABEL)) throw new Error(`--transports: unknown transport "${t}" (pglite, postgres, jetstream)`);
  const batches = (flags.batches ?? '').split(',').map((b) => Number(b.trim()));
  if (batches.length === 0 || batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batches must be positive integers, got "${flags.batches}"`);
  const liveFraction = Number(flags['live-fraction']);
  if (!(liveFraction > 0 && liveFraction <= 1)) throw new Error(`--live-fraction must be in (0, 1], got "${flags['live-fraction']}"`);
  const liveRaw = flags['live-duration'] ?? '';
  const liveSeconds = liveRaw === '' ? durationSeconds : Number(liveRaw);
  if (!Number.isFinite(liveSeconds) || liveSeconds < 0) throw new Error(`--live-duration must be a number of seconds, got "${liveRaw}"`);
  return {
    transports: transports as TransportId[],
    emitters: int('emitters', 1),
    batches,
    liveFraction,
    liveSeconds,
    drainTimeoutSeconds: int('drain-timeout', 1),
    natsUrl: flags['nats-url'] ?? 'nats://127.0.0.1:4222',
    jsWindow: int('js-window', 1),
  };
}

export const eventsScenario: Scenario = {
  name: 'events',
  description: 'Event backbone: end-to-end events/s and lag, embedded on PGlite and PostgreSQL and on JetStream, vs substrate ceilings and bare Fastify.',
  flags: {
    transports: { description: 'pglite,postgres,jetstream (postgres and jetstream are skipped if unreachable; --engines is not used)', default: 'pglite,postgres,jetstream' },
    emitters: { description: 'concurrent emitting clients (and clients of the insert ceiling)', default: '8' },
    batches: { description: 'events per emitting transaction, one backlog run each', default: '1,10' },
    'live-fraction': { description: 'live-lag rate as a fraction of the 1-event backlog throughput', default: '0.5' },
    'live-duration': { description: 'seconds per live-lag round (empty: --duration)', default: '10' },
    'drain-timeout': { description: 'seconds to wait for the backlog to drain after emitting stops', default: '120' },
    'nats-url': { description: 'NATS server for the JetStream transport', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    'js-window': { description: 'raw JetStream ceiling: publishes in flight and fetch size', default: '500' },
  },
  async run(context): Promise<ScenarioReport> {
    const { options, cleanup, log } = context;
    const settings = parseSettings(context.flags, options.durationSeconds);
    const notes: string[] = [
      `Souk runs inside the harness process (createSouk, worker role): emitters, relay and consumer share one Node event loop, as on one node; PostgreSQL and nats-server run on the same ${context.machine.cores} cores.`,
      'The bench handler writes nothing: each delivery transaction holds the inbox insert (and, embedded, the position update) only.',
    ];

    const bare = await startBareServer(cleanup);
    log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
    const bareTarget: LoadTarget = { id: 'bare', label: 'bare fastify hello', url: bare.baseUrl, requests: [{ path: '/' }], serverPid: bare.pid };
    const [bareSummary] = await runRounds(
      [bareTarget],
      { durationSeconds: options.durationSeconds, connections: options.connections, rounds: options.rounds, warmupSeconds: options.warmupSeconds, quietWaitSeconds: options.quietWaitSeconds },
      log,
    );
    await bare.stop();

    const runs: TransportRun[] = [];
    for (const transport of settings.transports) {
      log(`${TRANSPORT_LABEL[transport]}:`);
      runs.push(await runTransport(transport, context, settings, notes));
    }
    return {
      tables: buildTables(runs, bareSummary, settings, context),
      notes,
      data: { goals: GOALS, settings, bare: bareSummary, transports: runs },
    };
  },
};
