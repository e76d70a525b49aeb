// The catalog scenario's goals and report tables, and the notes on failed requests.
import type { TargetSummary } from '../lib/rounds.ts';
import type { ScenarioContext } from '../lib/scenario.ts';
import type { Engine } from '../lib/servers.ts';
import type { Cell, Table } from '../lib/table.ts';
import { type EngineRun, find } from './run-engine.ts';

// Targets from the issue: detail at least half of bare throughput, p99 under 20 ms, and 1,000 platforms
// within 10 % of 2.
export const GOALS = { detailRatioToBare: 0.5, p99Ms: 20, manyPlatformsTolerance: 0.1 };


export const pct = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : '–');
export const signedPct = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${Math.round(value * 1000) / 10}%` : '–');


export function flagProblems(engine: Engine, summaries: TargetSummary[] | undefined, notes: string[]): void {
  for (const s of summaries ?? []) {
    if (s.non2xx + s.errors + s.timeouts > 0) {
      notes.push(`${engine} / ${s.label}: ${s.non2xx} non-2xx (${JSON.stringify(s.statusCodes)}), ${s.errors} errors, ${s.timeouts} timeouts — figures are suspect.`);
    }
  }
}

// Both load tables (2 platforms, many platforms) open and close a target's row with the same cells.

/** engine, target, req/s, p50 ms, p99 ms, and req/s as a share of bare Fastify's in the same rounds. */
function leadingCells(run: EngineRun, s: TargetSummary, bare: TargetSummary | undefined): Cell[] {
  return [run.engine, s.label, s.requestsPerSecond, s.p50Ms, s.p99Ms, bare ? pct(s.requestsPerSecond / bare.requestsPerSecond) : null];
}

/** mean body B, DB xacts/req (none for bare: it has no database), non-2xx/err. */
function trailingCells(run: EngineRun, s: TargetSummary): Cell[] {
  return [run.meanResponseBytes[s.id] ?? null, s.id === 'bare' ? null : s.counterPerRequest.dbXacts, s.non2xx + s.errors + s.timeouts];
}

export function buildTables(runs: EngineRun[], context: ScenarioContext): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const two: Table = {
    title: 'Catalog, 2 platforms (demo seed): medians of rounds',
    columns: ['engine', 'target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'CPU server', 'CPU loadgen', 'CPU other', 'mean body B', 'DB xacts/req', 'non-2xx/err'],
    rows: [],
    notes: [
      'CPU columns: % of one core; "other" is every other process (PostgreSQL backends, concurrent jobs).',
      'DB xacts/req: PostgreSQL transactions per request (pg_stat_database, idle background rate subtracted); – on PGlite.',
    ],
  };
  for (const run of measured) {
    const bare = find(run.twoPlatforms, 'bare');
    for (const s of run.twoPlatforms ?? []) {
      two.rows.push([
        ...leadingCells(run, s, bare),
        `${s.serverCpuPercent}%`,
        `${s.loadGeneratorCpuPercent}%`,
        `${s.otherCpuPercent}%`,
        ...trailingCells(run, s),
      ]);
    }
  }
  const tables = [two];

  const withMany = measured.filter((r) => r.manyPlatforms);
  if (withMany.length > 0) {
    const many: Table = {
      title: `Catalog, ${Number(context.flags.platforms).toLocaleString('en-US')} platforms: medians of rounds`,
      columns: ['engine', 'target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'vs 2-platform detail', 'distinct requests', 'mean body B', 'DB xacts/req', 'non-2xx/err'],
      rows: [],
    };
    for (const run of withMany) {
      const bare = find(run.manyPlatforms, 'bare');
      const before = find(run.twoPlatforms, 'detail');
      for (const s of run.manyPlatforms ?? []) {
        many.rows.push([
          ...leadingCells(run, s, bare),
          s.id === 'bare' || !before ? null : signedPct(s.requestsPerSecond / before.requestsPerSecond - 1),
          run.distinctRequests[s.id] ?? null,
          ...trailingCells(run, s),
        ]);
      }
    }
    tables.push(many);
  }

  const memory: Table = {
    title: 'Souk process: start-up, platform creation and resident memory (VmRSS; peak = VmHWM)',
    columns: ['engine', 'ready s', 'RSS start MiB', 'RSS after 2-pl. MiB', 'RSS after many MiB', 'peak MiB', 'create platforms s', 'POST platform ms first→last 50'],
    rows: measured.map((run): Cell[] => [
      run.engine,
      run.readyAfterSeconds,
      run.memory.atStart?.rssMiB,
      run.memory.afterTwoPlatforms?.rssMiB,
      run.memory.afterManyPlatforms?.rssMiB,
      (run.memory.afterManyPlatforms ?? run.memory.afterTwoPlatforms)?.peakRssMiB,
      run.platformSetup?.totalSeconds,
      run.platformSetup ? `${run.platformSetup.createPlatformMsFirst50} → ${run.platformSetup.createPlatformMsLast50}` : null,
    ]),
  };
  tables.push(memory);

  const goals: Table = { title: 'Goals from issue 2', columns: ['engine', 'goal', 'measured', 'met'], rows: [] };
  for (const run of measured) {
    const bare = find(run.twoPlatforms, 'bare');
    const detail = find(run.twoPlatforms, 'detail');
    const list = find(run.twoPlatforms, 'list');
    if (bare && detail) {
      const ratio = detail.requestsPerSecond / bare.requestsPerSecond;
      goals.rows.push([run.engine, `detail ≥ ${pct(GOALS.detailRatioToBare)} of bare req/s`, pct(ratio), ratio >= GOALS.detailRatioToBare ? 'yes' : 'NO']);
    }
    for (const s of [detail, list]) {
      if (s) goals.rows.push([run.engine, `${s.label} p99 < ${GOALS.p99Ms} ms`, `${s.p99Ms} ms`, s.p99Ms < GOALS.p99Ms ? 'yes' : 'NO']);
    }
    for (const id of ['detail-original', 'detail-spread-host', 'detail-spread-key']) {
      const s = find(run.manyPlatforms, id);
      if (!s || !detail) continue;
      const change = s.requestsPerSecond / detail.requestsPerSecond - 1;
      goals.rows.push([
        run.engine,
        `${s.label} within ${pct(GOALS.manyPlatformsTolerance)} of 2-platform detail`,
        signedPct(change),
        change >= -GOALS.manyPlatformsTolerance ? 'yes' : 'NO',
      ]);
    }
  }
  tables.push(goals);
  return tables;
}
