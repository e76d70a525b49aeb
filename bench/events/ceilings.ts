// The substrate's own ceiling next to each events figure: plain insert transactions of an outbox-shaped
// row at the same concurrency, on the same database, with no Souk code in the way.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import { latencyPercentiles, round, SampleBuffer, type Percentiles } from '../lib/stats.ts';
import { runClosedLoop, yieldToLoop } from './emit-and-drain.ts';
import { cpuWatch, type CpuReading } from './harness-cpu.ts';
import type { PhaseSettings } from './phases.ts';
import { EVENT_TYPE, PLATFORM_ID, type Rig } from './souk-rig.ts';

export interface CeilingResult {
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

/** A W3C traceparent with random ids, as a traced emit carries (the ceilings write one per row or message). */
export function randomTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

function ceilingParams(emitter: number, k: number): unknown[] {
  return [PLATFORM_ID, randomUUID(), EVENT_TYPE, null, JSON.stringify({ p: 'ceiling', e: emitter, k }), randomTraceparent(), null];
}

/** Plain insert transactions of an outbox-shaped row (same columns and indexes as event_outbox), no Souk code. */
export async function insertCeiling(
  label: string,
  run: (emitter: number, rows: number) => Promise<void>,
  round_: number,
  rowsPerTx: number,
  seconds: number,
  s: PhaseSettings,
): Promise<CeilingResult> {
  const backgroundBeforePercent = await waitForQuietIfAsked(s.quietWaitSeconds, s.log);
  const latency = new SampleBuffer();
  let transactions = 0;
  const stopCpu = cpuWatch(s.cores);
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await runClosedLoop(s.emitters, endAt, async (emitter) => {
    const t0 = performance.now();
    await run(emitter, rowsPerTx);
    latency.push(performance.now() - t0);
    transactions += 1;
    await yieldToLoop();
  });
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = stopCpu();
  return {
    id: `insert-${rowsPerTx}`,
    label,
    round: round_,
    perSecond: round((transactions * rowsPerTx) / elapsed, 0),
    transactionsPerSecond: round(transactions / elapsed, 0),
    latency: latencyPercentiles(latency, 1),
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

export async function prepareInsertCeiling(rig: Rig, poolSize: number): Promise<InsertCeiling> {
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

export function logCeiling(log: (line: string) => void, c: CeilingResult): void {
  log(`  ceiling r${c.round} ${c.label} ${c.id}: ${c.perSecond}/s, p50 ${c.latency.p50Ms} / p99 ${c.latency.p99Ms} ms, cpu harness ${c.cpu.harnessPercent}% / other ${c.cpu.otherPercent}%`);
}
