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
//
// The parts live in bench/events/: the rig (souk-rig.ts), the phases and their results, the ceilings,
// the exactly-once check; this file holds the flags, the run across transports and the tables.
import type { LoadTarget } from '../lib/load.ts';
import { runRounds, type TargetSummary } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer } from '../lib/servers.ts';
import { median, round, sum } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import type { PhaseResult } from '../events/phase-result.ts';
import { TRANSPORT_LABEL, type TransportId } from '../events/souk-rig.ts';
import { runTransport, type ScenarioSettings, type TransportRun } from '../events/transport-run.ts';

// Targets from the issue, on this 2-core machine.
const GOALS = { embeddedPostgresPerSecond: 5_000, jetstreamPerSecond: 20_000, liveP99Ms: 100 };

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
// Flags and the scenario.

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
