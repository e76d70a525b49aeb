// One transport's whole run in the events bench: its database (or the reason to skip it), the rig, then
// warm-up, ceilings and backlog per round and batch size, live lag, and the notes on anything amiss.
import type { Config } from '../../src/kernel/config.ts';
import { engineDatabase, type EngineDatabaseRecord } from '../lib/engine-run.ts';
import type { ScratchDatabase } from '../lib/postgres.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import { median, round } from '../lib/stats.ts';
import { logCeiling, prepareInsertCeiling, insertCeiling, type CeilingResult } from './ceilings.ts';
import { describeVerification } from './exactly-once.ts';
import { natsReachable } from './jetstream-admin.ts';
import { prepareRawJetStream } from './jetstream-ceiling.ts';
import { logPhase, type PhaseResult } from './phase-result.ts';
import { backlogPhase, livePhase, type PhaseSettings } from './phases.ts';
import { startRig, TRANSPORT_LABEL, type TransportId } from './souk-rig.ts';

/** The events scenario's own flags, parsed (bench/scenarios/events.ts). */
export interface ScenarioSettings {
  transports: TransportId[];
  emitters: number;
  batches: number[];
  liveFraction: number;
  liveSeconds: number;
  drainTimeoutSeconds: number;
  natsUrl: string;
  jsWindow: number;
}

export interface TransportRun {
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

export async function runTransport(transport: TransportId, context: ScenarioContext, settings: ScenarioSettings, notes: string[]): Promise<TransportRun> {
  const { options, log } = context;
  const run: TransportRun = { transport, label: TRANSPORT_LABEL[transport], ceilings: [], backlog: [], live: [] };

  if (transport === 'jetstream') {
    const problem = await natsReachable(settings.natsUrl);
    if (problem) {
      run.skipped = `NATS JetStream at ${settings.natsUrl} is unreachable (${problem})`;
      notes.push(`${run.label} skipped: ${run.skipped}`);
      log(`${run.label} skipped: ${run.skipped}`);
      return run;
    }
  }
  let scratch: ScratchDatabase | undefined;
  if (transport === 'pglite') {
    run.database = { engine: 'pglite' };
  } else {
    const found: EngineDatabaseRecord = {};
    scratch = await engineDatabase('postgres', context, notes, found, run.label);
    if (!scratch) {
      run.skipped = found.skipped;
      return run;
    }
    run.database = { engine: 'postgres', name: scratch.name, serverVersion: scratch.serverVersion };
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
