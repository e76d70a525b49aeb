// A smooth database move run inside the server (POST /admin/db/move): the way to move an embedded shop
// while it sells, since only the server's process may open its PGlite directory. The same mover as
// `souk db move --mode smooth` (smooth.ts) runs in the background with the server's own PGlite as the
// source. At the switch the server's statements wait in the process for the freeze, then resume against
// the new PostgreSQL database (kernel/db/swappable.ts), and the data directory gets a note naming it, so
// the next `souk start` there uses it too. The PGlite directory is never changed but for the move's
// bookkeeping (change tracking while it runs; afterwards the triggers refusing writes and the note).
import { randomUUID } from 'node:crypto';
import type { ModuleContext } from '../../../kernel/context.ts';
import { writeMovedMarker } from '../../../kernel/db/moved.ts';
import { MoveRefused, moverUrl, type MoveReport } from '../../../kernel/db/move/full-stop.ts';
import { openPostgres } from '../../../kernel/db/postgres.ts';
import type { Database } from '../../../kernel/db/types.ts';
import { moveNotEmbedded, moveRunning, moveTargetRefused } from '../problems.ts';
import { abortMove, moveSmooth, type MoveProgress, type SmoothReport } from './smooth.ts';

/**
 * How many of a move's lines its view keeps. A move logs about one line per table plus a few, and
 * `souk db move` polls every 500 ms and prints only lines it has not shown: a fast move once logged more
 * than the old 50 between two polls, and the CLI never saw "resuming the move started earlier".
 */
const MOVE_LOG_LINES = 1_000;

export interface MoveReportLine {
  table: string;
  /** The platform's slug (its id once it is gone), or "" for a table without platform_id. */
  platform: string;
  rows: number;
  checksum: string;
  /** ok, differs (the target's count or checksum is not the source's), or only-in-target. */
  status: 'ok' | 'differs' | 'only-in-target';
}

export interface MoveReportView {
  ok: boolean;
  resumed: boolean;
  copiedRows: number;
  copySeconds: number;
  caughtUp: SmoothReport['caughtUp'];
  freeze: SmoothReport['freeze'];
  lines: MoveReportLine[];
}

export interface MoveView {
  id: string;
  status: 'running' | 'switched' | 'differs' | 'failed' | 'aborted';
  mode: 'smooth';
  /** The target without its password. */
  target: string;
  startedAt: string;
  endedAt: string | null;
  progress: MoveProgress;
  /** The mover's lines, the latest MOVE_LOG_LINES of them. */
  log: string[];
  error: string | null;
  report: MoveReportView | null;
}

/** The abort reason of a server that stops: the move keeps its change tracking, to be resumed. */
export const SHUTDOWN = 'server-shutdown';

export interface RunningMove {
  view: MoveView;
  abort: AbortController;
  done: Promise<void>;
}

export interface MoveRequest {
  to: string;
  throttleMs?: number;
}

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The verification's lines, platforms by slug (MoveReport: either mode's report). */
export function reportLines(report: MoveReport, slugs: ReadonlyMap<string, string>): MoveReportLine[] {
  const scope = (platform: string) => (platform ? (slugs.get(platform) ?? platform) : '');
  const lines: MoveReportLine[] = report.source.map((d) => ({
    table: d.table,
    platform: scope(d.platform),
    rows: d.rows,
    checksum: d.checksum,
    status: report.differences.some((x) => x.table === d.table && x.platform === d.platform) ? 'differs' : 'ok',
  }));
  for (const d of report.differences.filter((x) => !x.source)) {
    lines.push({ table: d.table, platform: scope(d.platform), rows: d.target?.rows ?? 0, checksum: d.target?.checksum ?? '', status: 'only-in-target' });
  }
  return lines;
}

export function reportView(report: SmoothReport, slugs: ReadonlyMap<string, string>): MoveReportView {
  const { ok, resumed, copiedRows, copySeconds, caughtUp, freeze } = report;
  return { ok, resumed, copiedRows, copySeconds, caughtUp, freeze, lines: reportLines(report, slugs) };
}

async function platformSlugs(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; slug: string }>('select id::text as id, slug from platforms').catch(() => []);
  return new Map(rows.map((p) => [p.id, p.slug]));
}

/** The embedded database this server may move, or a 409 saying why not. */
function embeddedSource(ctx: ModuleContext): NonNullable<ModuleContext['embeddedDatabase']> {
  const embedded = ctx.embeddedDatabase;
  if (!embedded) {
    throw moveNotEmbedded('This server runs on PostgreSQL: move it with `souk db move --to <url> --mode smooth` from any machine that reaches the database (the move runs inside the server only for an embedded shop).');
  }
  if (embedded.control.current().kind !== 'pglite') {
    throw moveNotEmbedded('This server was already moved from its embedded database to PostgreSQL; a further move runs with `souk db move` against DATABASE_URL.');
  }
  return embedded;
}

/**
 * Checks the request, opens the target, and starts the move in the background. The answer's view is
 * then updated in place (GET /admin/db/move reads it).
 */
export async function startMove(ctx: ModuleContext, current: RunningMove | undefined, request: MoveRequest): Promise<RunningMove> {
  const embedded = embeddedSource(ctx);
  if (current?.view.status === 'running') throw moveRunning(current.view.target);
  let shown: string;
  try {
    if (!/^postgres(ql)?:\/\//.test(request.to)) throw new Error('not postgres');
    shown = withoutPassword(request.to);
  } catch {
    throw moveTargetRefused('to must be a PostgreSQL URL: postgres://user:password@host:5432/database.');
  }
  const connect = async (url: string, pool: number) => {
    try {
      return await openPostgres(url, pool, { prepare: ctx.config.databasePrepare });
    } catch (error) {
      throw moveTargetRefused(`Cannot connect to ${shown}: ${(error as Error).message}. Nothing was changed.`);
    }
  };
  const target = await connect(moverUrl(request.to), 4);
  // The pool the server will serve from after the switch, opened now so the switch itself is instant.
  let serving: Database;
  try {
    serving = await connect(request.to, ctx.config.databasePoolSize);
  } catch (error) {
    await target.close();
    throw error;
  }
  const source = embedded.control.current();
  const abort = new AbortController();
  const view: MoveView = {
    id: randomUUID(),
    status: 'running',
    mode: 'smooth',
    target: shown,
    startedAt: new Date().toISOString(),
    endedAt: null,
    progress: { phase: 'starting', tablesDone: 0, tablesTotal: 0, rowsCopied: 0, changesCaughtUp: 0 },
    log: [],
    error: null,
    report: null,
  };
  const log = (line: string) => {
    view.log.push(line);
    if (view.log.length > MOVE_LOG_LINES) view.log.shift();
    ctx.log.info({ move: view.id }, `database move: ${line}`);
  };
  let switched = false;
  const run = async () => {
    try {
      const report = await moveSmooth({
        source,
        target,
        shownTargetUrl: shown,
        migrate: embedded.migrateTarget,
        log,
        throttleMs: request.throttleMs ?? 0,
        signal: abort.signal,
        onProgress: (progress) => (view.progress = progress),
        host: {
          hold: () => embedded.control.hold(),
          switched: () => {
            // First the note (a crash from here on restarts on the new database), then the handle.
            if (embedded.dataDir) writeMovedMarker(embedded.dataDir, request.to);
            embedded.control.swap(serving);
            switched = true;
          },
        },
      });
      view.report = reportView(report, await platformSlugs(target));
      view.status = report.ok ? 'switched' : 'differs';
      if (report.ok) log(`switched: this server now runs on ${shown}; writes waited ${report.freeze.seconds.toFixed(2)} s`);
      else log(`the copy differs from the source in ${report.differences.length} place(s): nothing was switched and the change tracking was removed; drop the target database and move again`);
    } catch (error) {
      if (abort.signal.aborted && abort.signal.reason !== SHUTDOWN) {
        const removed = await abortMove(source).catch(() => undefined);
        view.status = 'aborted';
        log(`stopped on request; the change tracking was removed${removed ? ` (${removed.pending} changes were not replayed)` : ''}: drop the target database before moving again`);
      } else {
        view.status = 'failed';
        view.error = error instanceof MoveRefused ? error.message : `The move stopped: ${(error as Error).message}. The shop keeps serving from its embedded database; POST the move again to resume it, or DELETE /admin/db/move to remove its change tracking.`;
        log(view.error);
      }
    } finally {
      view.endedAt = new Date().toISOString();
      await target.close().catch(() => undefined);
      if (switched) {
        // Nothing reaches the old handle any more: close it (this lets go of the data directory's lock).
        await source.close().catch(() => undefined);
      } else {
        await serving.close().catch(() => undefined);
      }
    }
  };
  return { view, abort, done: run() };
}

/** DELETE /admin/db/move: stops a running move, or removes the change tracking a stopped one left behind. */
export async function stopMove(ctx: ModuleContext, current: RunningMove | undefined): Promise<{ stopped: boolean; trackingRemoved: boolean; pending: number }> {
  if (current?.view.status === 'running') {
    current.abort.abort();
    await current.done;
    const ended = current.view.status as MoveView['status']; // set by the run, after the abort
    return { stopped: true, trackingRemoved: ended === 'aborted', pending: 0 };
  }
  const removed = await abortMove(embeddedSource(ctx).control.current());
  return { stopped: false, trackingRemoved: removed !== undefined, pending: removed?.pending ?? 0 };
}
