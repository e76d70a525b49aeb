// `souk db move --mode smooth`: the shop keeps selling while it is copied; writes pause only for the final
// catch-up, the verification and the switch.
//   1. The target (empty, or holding this move's progress when resuming) gets Souk's schema and two
//      bookkeeping tables: souk_move_progress (which move) and souk_move_copied (the tables done).
//   2. The source gets change tracking (tracking.ts): a trigger per table while the move runs, never else.
//   3. Copy: each table in one snapshot, written with its "copied" mark in one target transaction; a
//      mover killed here resumes with the tables not marked (run the same command again).
//   4. Catch-up: the change log is replayed by key (catch-up.ts) until the backlog is one batch; then
//      every table is digested on both sides (pre-verify.ts) and caught up again.
//   5. Freeze: one source transaction locks every table IN EXCLUSIVE MODE (reads go on; writes wait, they
//      do not fail), replays the rest of the log, copies the tables without a primary key, sets the
//      sequences, and verifies row counts and checksums per table and platform on both sides (digesting
//      again only the tables the catch-up touched since the pre-verification, and those without a key). Only when
//      everything matches does the same transaction add the triggers that refuse every write with a
//      message naming the new database, and record the move (souk_moved_to). Its commit ends the freeze;
//      the waiting writes then fail with that message (HTTP 503 database_moved). The tracking goes after.
//   On a difference nothing is switched and the tracking is removed; on an error the tracking stays so
//   the same command resumes (or `souk db move --abort` removes it). The shop's rows are never changed.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable } from '../../../kernel/db/types.ts';
import { pgErrorCode, PgErrorCode } from '../../../kernel/db/types.ts';
import { movedMessage, movedTo } from '../../../kernel/db/moved.ts';
import { MoveRefused, type FullStopOptions, type MoveReport } from '../../../kernel/db/move/full-stop.ts';
import { listTables, quoteIdent, readSequences, type TableInfo } from '../../../kernel/db/move/tables.ts';
import { compareDigests, digestTable, type TableDigest } from '../../../kernel/db/move/verify.ts';
import { catchUpOnce, copyPages, copyPagesByKey, pendingChanges } from './catch-up.ts';
import { preVerify } from './pre-verify.ts';
import { installTracking, isMoveTable, prepareTracking, primaryKeys, refuseWrites, removeTracking, trackedMove, type KeyedTable } from './tracking.ts';

/** The full-stop move's options (the target's shown URL is also named in the source's refusals), and: */
export interface SmoothOptions extends FullStopOptions {
  /** A pause after each page copied, to spare a busy source (0: none). */
  throttleMs?: number;
  /** How long the freeze waits for the shop's running writes before it lets go and tries again. */
  lockTimeoutMs?: number;
  /** Stops the move between pages, tables and catch-up rounds (the change tracking stays, as after a crash). */
  signal?: AbortSignal;
  /** Told where the move is, after each table and catch-up round. */
  onProgress?: (progress: MoveProgress) => void;
  /**
   * A move run inside the server that holds the source (an embedded shop): hold() pauses the server's
   * own statements for the freeze; switched() runs after the switch committed, before they resume, so
   * they resume on the new database. The freeze reported is then from hold() to the release.
   */
  host?: { hold(): () => void; switched(): Promise<void> | void };
}

export interface MoveProgress {
  phase: 'starting' | 'copying' | 'catching-up' | 'frozen';
  tablesDone: number;
  tablesTotal: number;
  rowsCopied: number;
  changesCaughtUp: number;
}

export interface SmoothReport extends MoveReport {
  resumed: boolean;
  /** Change-log entries replayed while the shop kept writing, and the keys they named. */
  caughtUp: { entries: number; keys: number; seconds: number };
  /** The write freeze: its length (also pausedSeconds), what it replayed, and the verification's part. */
  freeze: { seconds: number; entries: number; keys: number; verifySeconds: number; attempts: number };
}

const BATCH = 5_000;
/** Tries to lock every table at once without waiting, before queueing for the locks. */
const NOWAIT_TRIES = 200;
const LOCK_NOT_AVAILABLE = '55P03';
const PROGRESS_TABLES = 'souk_move_progress, souk_move_copied';

async function tableCount(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
  return row?.n ?? 0;
}

/** The move whose progress the target holds, if any. */
async function targetMove(target: Queryable): Promise<string | undefined> {
  const [present] = await target.query<{ present: boolean }>(`select to_regclass('souk_move_progress') is not null as present`);
  if (!present?.present) return undefined;
  const [row] = await target.query<{ move_id: string }>('select move_id::text as move_id from souk_move_progress limit 1');
  return row?.move_id;
}

async function replicaAllowed(db: Database): Promise<boolean> {
  return db.transaction((tx) => tx.query('set local session_replication_role = replica')).then(
    () => true,
    () => false,
  );
}

/** A transaction seen as a Database, for helpers that open their own (they then run inside it). */
function asDatabase(tx: Queryable, kind: Database['kind']): Database {
  const { queryThenCommit: _own, ...joined } = tx;
  return {
    kind,
    query: <T,>(text: string, params?: readonly unknown[]) => tx.query<T>(text, params),
    execute: (text, params) => tx.execute(text, params),
    script: (sql) => tx.script(sql),
    // Joins the open transaction: without queryThenCommit, which would commit it under its owner.
    transaction: (fn) => fn(joined),
    close: async () => undefined,
  };
}

async function digestAll(db: Database, tables: readonly TableInfo[], parallel: number): Promise<TableDigest[]> {
  const results: TableDigest[][] = new Array<TableDigest[]>(tables.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, parallel) }, async () => {
      for (let i = next++; i < tables.length; i = next++) results[i] = await digestTable(db, tables[i]!);
    }),
  );
  return results.flat();
}

/** Keyed tables of the source that the target has, with the columns both have. Refuses a missing table. */
async function movingTables(source: Database, target: Database): Promise<KeyedTable[]> {
  const tables = (await listTables(source)).filter((t) => !isMoveTable(t.name));
  const present = new Map((await listTables(target)).map((t) => [t.name, t]));
  const missing = tables.filter((t) => !present.has(t.name)).map((t) => t.name);
  if (missing.length > 0) {
    throw new MoveRefused(`The target's schema has no table ${missing.join(', ')}: neither Souk's migrations nor the gateway's schema create ${missing.length === 1 ? 'it' : 'them'}, so the move cannot copy ${missing.length === 1 ? 'it' : 'them'}. Nothing was changed.`);
  }
  const keys = await primaryKeys(source);
  return tables.map((t) => ({ ...t, columns: t.columns.filter((c) => present.get(t.name)!.columns.includes(c)), key: keys.get(t.name) ?? [] }));
}

export async function moveSmooth(options: SmoothOptions): Promise<SmoothReport> {
  const { source, target, log } = options;
  const pageRows = options.pageRows ?? 2_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 3_000;

  // 1. Which move: a new one on an empty target, or the one the target and the source both name.
  const moved = await movedTo(source);
  const existing = await targetMove(target);
  const tracked = await trackedMove(source);
  if (moved) {
    if (existing && moved.url === options.shownTargetUrl) {
      await removeTracking(source);
      await target.query(`drop table if exists ${PROGRESS_TABLES}`);
      throw new MoveRefused(`This database was already moved to ${moved.url} at ${moved.movedAt}: the move had switched before the mover stopped. Start Souk on the new database.`);
    }
    throw new MoveRefused(`This database was already moved to ${moved.url} at ${moved.movedAt}; nothing to do.`);
  }
  let moveId: string;
  let fresh = existing === undefined;
  if (existing) {
    const [copied] = await target.query<{ n: number }>('select count(*)::int as n from souk_move_copied');
    if (tracked?.moveId === existing) {
      log(`resuming the move started earlier (${existing})`);
    } else if ((copied?.n ?? 0) === 0) {
      // Stopped before its change tracking existed, or taking over an abandoned move: nothing was copied, so start the tracking afresh.
      fresh = true;
    } else {
      throw new MoveRefused(
        'The target holds the progress of a move this source is not tracking (another source, or a move that was aborted). Drop the target database, create it empty, and run the move again.',
      );
    }
    moveId = existing;
  } else {
    if ((await tableCount(target)) > 0) throw new MoveRefused('The target database is not empty. Create a new, empty database for the move (the move never overwrites data).');
    moveId = randomUUID();
    await target.script(`create table souk_move_progress (move_id uuid primary key, started_at timestamptz not null default now());
create table souk_move_copied (table_name text primary key, rows bigint not null, seconds double precision not null);`);
    await target.query('insert into souk_move_progress (move_id) values ($1)', [moveId]);
  }
  const resumed = !fresh;
  log('applying migrations to the target');
  await options.migrate(target);
  if (!(await replicaAllowed(target))) {
    throw new MoveRefused('The smooth move needs a target role that may set session_replication_role (a superuser, or on PostgreSQL 15+ one granted SET on it): rows are replayed with triggers and foreign-key checks off. Use --mode full-stop otherwise.');
  }
  const tables = await movingTables(source, target);
  const byName = new Map(tables.map((t) => [t.name, t]));

  // 2. Change tracking, before any table is read.
  await prepareTracking(source, moveId, options.shownTargetUrl, fresh);
  await installTracking(source, tables, log);
  log(`tracking changes on ${tables.filter((t) => t.key.length > 0).length} tables`);

  // 3. Copy, table by table, each in one snapshot; tables already marked copied are done.
  const copyStarted = performance.now();
  const progress = (phase: MoveProgress['phase']) => options.onProgress?.({ phase, tablesDone: report.length, tablesTotal: tables.length, rowsCopied: copiedRows, changesCaughtUp: caughtUp.entries });
  const caughtUp = { entries: 0, keys: 0, seconds: 0 };
  const done = new Map((await target.query<{ table_name: string; rows: number; seconds: number }>('select table_name, rows, seconds from souk_move_copied')).map((r) => [r.table_name, r]));
  const report: MoveReport['tables'] = [];
  let copiedRows = 0;
  for (const table of tables) {
    const before = done.get(table.name);
    if (before) {
      report.push({ table: table.name, rows: Number(before.rows), seconds: Number(before.seconds) });
      copiedRows += Number(before.rows);
      continue;
    }
    if (table.key.length === 0) continue; // copied whole during the freeze
    options.signal?.throwIfAborted();
    progress('copying');
    const started = performance.now();
    const rows = source.kind === 'pglite'
      ? await target.transaction(async (write) => {
          await write.query('set local session_replication_role = replica');
          const n = await copyPagesByKey(source, write, table, pageRows, { throttleMs: options.throttleMs, signal: options.signal });
          await write.query('insert into souk_move_copied (table_name, rows, seconds) values ($1, $2, $3)', [table.name, n, (performance.now() - started) / 1000]);
          return n;
        })
      : await source.transaction(async (read) => {
      await read.query('set transaction isolation level repeatable read, read only');
      return target.transaction(async (write) => {
        await write.query('set local session_replication_role = replica');
        // In primary-key order (the key's index serves each page): paging by ctid made PostgreSQL sort, and
        // render as JSON, every row after the page for each page, so big tables copied in quadratic time.
        const n = await copyPagesByKey(read, write, table, pageRows, { throttleMs: options.throttleMs, signal: options.signal });
        await write.query('insert into souk_move_copied (table_name, rows, seconds) values ($1, $2, $3)', [table.name, n, (performance.now() - started) / 1000]);
        return n;
      });
    });
    copiedRows += rows;
    report.push({ table: table.name, rows, seconds: (performance.now() - started) / 1000 });
    log(`copied ${table.name}: ${rows} rows`);
  }
  const copySeconds = (performance.now() - copyStarted) / 1000;

  // 4. Catch up while the shop writes, until one batch holds the backlog.
  const changed = new Set<string>();
  const catchUp = async () => {
    const started = performance.now();
    for (;;) {
      options.signal?.throwIfAborted();
      progress('catching-up');
      const round = await catchUpOnce(source, target, byName, true, BATCH);
      for (const name of round.tables) changed.add(name);
      caughtUp.entries += round.entries;
      caughtUp.keys += round.keys;
      if (round.entries < BATCH) break;
    }
    caughtUp.seconds += (performance.now() - started) / 1000;
  };
  await catchUp();
  log(`caught up ${caughtUp.entries} changes (${caughtUp.keys} rows) in ${caughtUp.seconds.toFixed(1)} s`);
  // Most of the verification, before the freeze (pre-verify.ts): from now on a table the catch-up
  // touches is digested again under the freeze; the others keep these lines.
  options.signal?.throwIfAborted();
  changed.clear();
  const preStarted = performance.now();
  const pre = await preVerify(source, target, tables);
  log(`pre-verified ${pre.source.size} tables in ${((performance.now() - preStarted) / 1000).toFixed(1)} s`);
  await catchUp();

  // 5. Freeze, final catch-up, verification, switch.
  const keyless = tables.filter((t) => t.key.length === 0);
  const [superuser] = await source.query<{ su: boolean }>(`select current_setting('is_superuser') = 'on' as su`);
  const lockList = tables.map((t) => quoteIdent(t.name)).join(', ');
  const shownMove = { url: options.shownTargetUrl, movedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  for (let attempt = 1; ; attempt += 1) {
    let frozenAt = 0;
    let heldAt = 0;
    let release: (() => void) | undefined;
    try {
      options.signal?.throwIfAborted();
      progress('frozen');
      if (options.host) {
        heldAt = performance.now();
        release = options.host.hold();
      }
      const outcome = await source.transaction(async (tx) => {
        await tx.query(`set local lock_timeout = '${lockTimeoutMs}ms'`);
        // Should the lock order cross a checkout's, let the mover be the one that gives way.
        if (superuser?.su) await tx.query("set local deadlock_timeout = '100ms'");
        // First at an instant when no write runs (NOWAIT: nothing is held while waiting, so no checkout can
        // deadlock with the mover); on a shop that never has such an instant, by waiting in the queue.
        let locked = false;
        for (let i = 0; i < NOWAIT_TRIES && !locked; i += 1) {
          await tx.query('savepoint freeze_lock');
          frozenAt = performance.now();
          try {
            await tx.query(`lock table ${lockList} in exclusive mode nowait`);
            locked = true;
          } catch (error) {
            if (pgErrorCode(error) !== LOCK_NOT_AVAILABLE) throw error;
            await tx.query('rollback to savepoint freeze_lock');
            await sleep(2 + Math.random() * 8);
          }
        }
        if (!locked) {
          frozenAt = performance.now();
          await tx.query(`lock table ${lockList} in exclusive mode`);
        }
        const frozen = { entries: 0, keys: 0 };
        for (;;) {
          const round = await catchUpOnce(tx, target, byName, true, BATCH * 4);
          for (const name of round.tables) changed.add(name);
          frozen.entries += round.entries;
          frozen.keys += round.keys;
          if (round.entries === 0) break;
          if (round.keys === 0) throw new Error(`the catch-up cannot place ${round.kept} row(s) in the target (unique values collide)`);
        }
        const whole: MoveReport['tables'] = [];
        for (const table of keyless) {
          const started = performance.now();
          await target.transaction(async (write) => {
            await write.query('set local session_replication_role = replica');
            await write.query(`delete from ${quoteIdent(table.name)}`);
            whole.push({ table: table.name, rows: await copyPages(tx, write, table, pageRows), seconds: (performance.now() - started) / 1000 });
          });
        }
        for (const sequence of (await readSequences(tx)).filter((s) => !isMoveTable(s.name))) {
          await target.query('select setval($1::regclass, $2, $3)', [quoteIdent(sequence.name), sequence.lastValue, sequence.isCalled]).catch(() => undefined);
        }
        const verifyStarted = performance.now();
        // Nothing can write while the locks are held, so other connections read the frozen state too.
        const sourceView = source.kind === 'postgres' ? source : asDatabase(tx, source.kind);
        const again = tables.filter((t) => changed.has(t.name) || !pre.source.has(t.name));
        const kept = tables.filter((t) => !again.includes(t));
        const [sourceAgain, targetAgain] = await Promise.all([digestAll(sourceView, again, source.kind === 'postgres' ? 3 : 1), digestAll(target, again, 3)]);
        const sourceDigests = [...kept.flatMap((t) => pre.source.get(t.name)!), ...sourceAgain];
        const targetDigests = [...kept.flatMap((t) => pre.target.get(t.name)!), ...targetAgain];
        log(`verifying under the freeze: ${again.length} table(s) changed since the pre-verification or without a key; ${kept.length} unchanged`);
        const verifySeconds = (performance.now() - verifyStarted) / 1000;
        const differences = compareDigests(sourceDigests, targetDigests);
        if (differences.length === 0) {
          // The refusal triggers fire before the tracking ones, which are dropped after the commit: dropping a
          // trigger needs an ACCESS EXCLUSIVE lock, which would stop the shop's reads too while it waits.
          await refuseWrites(tx, tables, movedMessage(shownMove));
          // The same note as a full-stop move's (kernel/db/moved.ts): Souk refuses to start here from now on.
          await tx.query('create table if not exists souk_moved_to (url text not null, moved_at timestamptz not null default now())');
          await tx.query('insert into souk_moved_to (url) values ($1)', [options.shownTargetUrl]);
        }
        return { frozen, whole, verifySeconds, sourceDigests, differences };
      });
      const ok = outcome.differences.length === 0;
      if (ok) await options.host?.switched();
      release?.();
      const freezeSeconds = (performance.now() - (heldAt || frozenAt)) / 1000;
      report.push(...outcome.whole);
      copiedRows += outcome.whole.reduce((sum, t) => sum + t.rows, 0);
      await removeTracking(source);
      if (ok) await target.query(`drop table if exists ${PROGRESS_TABLES}`);
      return {
        ok,
        resumed,
        tables: report,
        skipped: [],
        source: outcome.sourceDigests,
        differences: outcome.differences,
        copiedRows,
        copySeconds,
        pausedSeconds: freezeSeconds,
        caughtUp,
        freeze: { seconds: freezeSeconds, entries: outcome.frozen.entries, keys: outcome.frozen.keys, verifySeconds: outcome.verifySeconds, attempts: attempt },
      };
    } catch (error) {
      release?.();
      const code = pgErrorCode(error);
      const busy = code === LOCK_NOT_AVAILABLE || code === PgErrorCode.deadlockDetected;
      if (!busy || attempt >= 5) throw error;
      log(`the freeze gave way to the shop's running writes (${(error as Error).message}); catching up and trying again`);
      await catchUp();
    }
  }
}

/** `souk db move --abort`: removes a move's change tracking from the source (the target is left as it is). */
export async function abortMove(source: Database): Promise<{ moveId: string; target: string; pending: number } | undefined> {
  const tracked = await trackedMove(source);
  const pending = tracked ? await pendingChanges(source).catch(() => 0) : 0;
  await removeTracking(source);
  return tracked ? { ...tracked, pending } : undefined;
}
