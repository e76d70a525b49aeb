// Import jobs of the admin API: the row a client polls (status, progress by bytes and rows, counts) and
// the refused rows. A running job writes its progress at most every 250 ms; a job whose node stopped
// writing for JOB_STALE_SECONDS reads as failed ("interrupted"), so no job stays "running" forever.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { iso } from '../../kernel/cursor.ts';
import { emptyCounts, type ImportCounts, type ImportError } from './import/apply.ts';
import type { ImportFormat } from './import/run.ts';
import type { ImportJob, ImportJobSummary } from './schemas.ts';

/** Refused rows kept per job (the total is always counted); the CLI's report file keeps them all. */
export const MAX_STORED_ERRORS = 10_000;
/** Refused rows shown with a job; all of them (up to MAX_STORED_ERRORS) are on its errors route. */
export const ERRORS_IN_VIEW = 100;
const JOB_STALE_SECONDS = 120;

export interface NewJob {
  format: ImportFormat;
  dryRun: boolean;
  fileName: string | null;
  bytesTotal: number;
  createdBy: string;
}

interface JobRow {
  id: string;
  format: string;
  dry_run: boolean;
  status: ImportJob['status'];
  stale: boolean;
  file_name: string | null;
  bytes_total: number;
  bytes_done: number;
  rows_done: number;
  counts: ImportCounts;
  errors_total: number;
  failure: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const COLUMNS = `id, format, dry_run, status, file_name, bytes_total, bytes_done, rows_done, counts, errors_total, failure, created_by,
  status in ('queued', 'running') and heartbeat_at < now() - interval '${JOB_STALE_SECONDS} seconds' as stale,
  ${iso('created_at')} as created_at, ${iso('started_at')} as started_at, ${iso('finished_at')} as finished_at`;

function toSummary(row: JobRow): ImportJobSummary {
  const stale = row.stale;
  return {
    id: row.id,
    format: row.format as ImportFormat,
    dryRun: row.dry_run,
    status: stale ? 'failed' : row.status,
    fileName: row.file_name,
    progress: {
      bytesDone: Number(row.bytes_done),
      bytesTotal: Number(row.bytes_total),
      rowsDone: row.rows_done,
      percent: row.status === 'succeeded' ? 100 : row.bytes_total > 0 ? Math.min(100, Math.floor((Number(row.bytes_done) * 100) / Number(row.bytes_total))) : 0,
    },
    // A job written before coupons and orders were imported has no counts for them.
    counts: { ...emptyCounts(), ...row.counts },
    errorsTotal: row.errors_total,
    failure: stale ? `Interrupted: no progress for ${JOB_STALE_SECONDS} s (the server running it stopped?). Run the import again; it is idempotent.` : row.failure,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export async function createJob(pdb: PlatformDb, job: NewJob, counts: ImportCounts): Promise<string> {
  const id = newId();
  await pdb.execute(
    `insert into migration_jobs (platform_id, id, format, dry_run, status, file_name, bytes_total, counts, created_by)
     values ($1, $2, $3, $4, 'queued', $5, $6, $7, $8)`,
    [id, job.format, job.dryRun, job.fileName, job.bytesTotal, JSON.stringify(counts), job.createdBy],
  );
  return id;
}

export async function markRunning(pdb: PlatformDb, jobId: string): Promise<void> {
  await pdb.execute("update migration_jobs set status = 'running', started_at = now(), heartbeat_at = now() where platform_id = $1 and id = $2", [jobId]);
}

export interface JobProgress {
  bytesDone: number;
  rowsDone: number;
  counts: ImportCounts;
}

/** Progress and the refused rows since the last call, in one transaction. */
export async function saveProgress(pdb: PlatformDb, jobId: string, progress: JobProgress, errors: readonly ImportError[], errorsBefore: number): Promise<void> {
  await pdb.transaction(async (tx) => {
    const keep = errors.slice(0, Math.max(0, MAX_STORED_ERRORS - errorsBefore));
    if (keep.length > 0) {
      const records = keep.map((e, i) => ({ seq: errorsBefore + i + 1, first_row: e.firstRow, last_row: e.lastRow, item_key: e.key, reason: e.reason }));
      await tx.execute(
        `insert into migration_job_errors (platform_id, job_id, seq, first_row, last_row, item_key, reason)
         select $1::uuid, $2::uuid, r.seq, r.first_row, r.last_row, r.item_key, r.reason
         from jsonb_to_recordset($3::jsonb) as r(seq integer, first_row integer, last_row integer, item_key text, reason text)`,
        [jobId, JSON.stringify(records)],
      );
    }
    await tx.execute(
      `update migration_jobs set bytes_done = $3, rows_done = $4, counts = $5, errors_total = $6, heartbeat_at = now()
       where platform_id = $1 and id = $2`,
      [jobId, progress.bytesDone, progress.rowsDone, JSON.stringify(progress.counts), errorsBefore + errors.length],
    );
  });
}

export async function finishJob(pdb: PlatformDb, jobId: string, outcome: { failure: string | null }): Promise<void> {
  await pdb.execute(
    `update migration_jobs set status = $3, failure = $4, finished_at = now(), heartbeat_at = now()
     where platform_id = $1 and id = $2`,
    [jobId, outcome.failure === null ? 'succeeded' : 'failed', outcome.failure],
  );
}

export async function getJob(pdb: PlatformDb, jobId: string): Promise<ImportJob | undefined> {
  const row = await pdb.maybeOne<JobRow>(`select ${COLUMNS} from migration_jobs where platform_id = $1 and id = $2`, [jobId]);
  if (!row) return undefined;
  const errors = await pdb.query<{ first_row: number; last_row: number; item_key: string | null; reason: string }>(
    `select first_row, last_row, item_key, reason from migration_job_errors where platform_id = $1 and job_id = $2 order by seq limit ${ERRORS_IN_VIEW}`,
    [jobId],
  );
  return { ...toSummary(row), errors: errors.map((e) => ({ firstRow: e.first_row, lastRow: e.last_row, key: e.item_key, reason: e.reason })) };
}

export async function listJobs(pdb: PlatformDb, limit: number): Promise<ImportJobSummary[]> {
  const rows = await pdb.query<JobRow>(`select ${COLUMNS} from migration_jobs where platform_id = $1 order by created_at desc, id desc limit $2`, [limit]);
  return rows.map(toSummary);
}

export interface StoredError extends ImportError {
  seq: number;
}

/** Refused rows of a job after seq, in order. */
export async function jobErrors(pdb: PlatformDb, jobId: string, after: number, limit: number): Promise<StoredError[]> {
  const rows = await pdb.query<{ seq: number; first_row: number; last_row: number; item_key: string | null; reason: string }>(
    `select seq, first_row, last_row, item_key, reason from migration_job_errors
     where platform_id = $1 and job_id = $2 and seq > $3 order by seq limit $4`,
    [jobId, after, limit],
  );
  return rows.map((e) => ({ seq: e.seq, firstRow: e.first_row, lastRow: e.last_row, key: e.item_key, reason: e.reason }));
}
