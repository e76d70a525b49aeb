// What the migration module keeps per running Souk: the import jobs this node is running. An upload is
// written to a temporary file first (the request ends with the job's id), checked, then read again by
// the job, so a file of any size is streamed twice and never held in memory. stop() ends every running
// job (its file stream is destroyed, the job reads as failed) and waits for them to let go.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import { isHttpProblem } from '../../kernel/http/problem.ts';
import type { Actor } from '../inventory/service.ts';
import { emptyCounts, type ImportCounts, type ImportError } from './import/apply.ts';
import { countingBytes, runImport, type ImportFormat } from './import/run.ts';
import { SHUTDOWN, type RunningMove } from './move/in-server.ts';
import { finishJob, markRunning, saveProgress } from './jobs.ts';

export interface RunningJob {
  done: Promise<void>;
  abort(): void;
}

export interface MigrationRuntime {
  jobs: Map<string, RunningJob>;
  stopping: boolean;
  /** The database move this server runs or ran last (move/in-server.ts). */
  move?: RunningMove;
}

export const createMigrationRuntime = (): MigrationRuntime => ({ jobs: new Map(), stopping: false });

export interface JobStart {
  jobId: string;
  platform: Platform;
  format: ImportFormat;
  dryRun: boolean;
  file: string;
  actor: Actor;
}

/** Runs an import job in the background; its progress and refused rows go to its row. */
export function startJob(ctx: ModuleContext, runtime: MigrationRuntime, job: JobStart): void {
  const pdb = ctx.platformDb(job.platform.id);
  const stream = createReadStream(job.file);
  let bytesDone = 0;
  let errorsSaved = 0;
  let pendingErrors: ImportError[] = [];
  let last: { rowsDone: number; counts: ImportCounts } = { rowsDone: 0, counts: emptyCounts() };
  const run = async () => {
    await markRunning(pdb, job.jobId);
    await runImport(
      { deps: ctx, platform: job.platform, pdb, dryRun: job.dryRun, actor: job.actor, reference: `import:${job.jobId}` },
      job.format,
      countingBytes(stream, (n) => (bytesDone = n)),
      {
        onError: (error) => {
          pendingErrors.push(error);
        },
        onProgress: async ({ rowsDone, counts }) => {
          last = { rowsDone, counts };
          const errors = pendingErrors;
          pendingErrors = [];
          await saveProgress(pdb, job.jobId, { bytesDone, rowsDone, counts }, errors, errorsSaved);
          errorsSaved += errors.length;
        },
      },
    );
  };
  const done = run().then(
    () => finishJob(pdb, job.jobId, { failure: null }),
    async (error: unknown) => {
      const failure = runtime.stopping
        ? 'The server stopped during the import. Run it again; it is idempotent.'
        : isHttpProblem(error)
          ? error.detail
          : 'The import stopped on an internal error (logged on the server). Rows before it were imported; run it again, it is idempotent.';
      if (!isHttpProblem(error) && !runtime.stopping) ctx.log.error({ err: error, jobId: job.jobId }, 'import job failed');
      await saveProgress(pdb, job.jobId, { bytesDone, ...last }, pendingErrors, errorsSaved).catch(() => undefined);
      await finishJob(pdb, job.jobId, { failure });
    },
  ).catch((error: unknown) => ctx.log.error({ err: error, jobId: job.jobId }, 'could not record the end of an import job'))
    .finally(async () => {
      runtime.jobs.delete(job.jobId);
      await rm(job.file, { force: true });
    });
  runtime.jobs.set(job.jobId, { done, abort: () => stream.destroy(new Error('stopped')) });
}

export async function stopJobs(runtime: MigrationRuntime): Promise<void> {
  runtime.stopping = true;
  const running = [...runtime.jobs.values()];
  for (const job of running) job.abort();
  // A move stopped by the shutdown keeps its change tracking: POST it again after the restart to resume.
  if (runtime.move?.view.status === 'running') runtime.move.abort.abort(SHUTDOWN);
  await Promise.all([...running.map((job) => job.done), runtime.move?.done]);
}
