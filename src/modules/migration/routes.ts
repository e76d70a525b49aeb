// Migration routes: upload a file as an import job and follow it, and stream a platform's export.
// Import jobs run in the background on the node that received the file (runtime.ts); the upload is
// checked before the job exists, so a wrong file is a 422 and nothing is written.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { newId } from '../../kernel/ids.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, platformOf, principalOf } from '../../kernel/http/tenancy.ts';
import { emptyCounts } from './import/apply.ts';
import { moduleNeeded, type ImportFormat } from './import/run.ts';
import { exportCsv } from './export/csv.ts';
import { EXPORT_KINDS, exportJsonLines, kindAvailable, type ExportKind } from './export/lines.ts';
import { createJob, getJob, jobErrors, listJobs } from './jobs.ts';
import { exportKindNeeded, jobNotFound, moduleOff } from './problems.ts';
import { startJob, type MigrationRuntime } from './runtime.ts';
import { databaseMoveRoutes } from './move/routes.ts';
import { checkUpload, saveUpload, UploadBody } from './upload.ts';
import { ErrorsQuery, ExportQuery, ImportErrorPage, ImportJob, ImportJobList, ImportQuery, JobParams, PlatformParams } from './schemas.ts';

const base = '/admin/platforms/:platform/migration';

export function migrationRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: MigrationRuntime): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'migration');
  databaseMoveRoutes(app, ctx, runtime);

  // The file is the raw body (any content type): in this scope only, bodies are handed over as streams.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, new UploadBody(payload)));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(`${base}/imports`, {
      schema: doc('Upload a file to import (the raw file is the body); answers with the job to follow', {
        params: PlatformParams,
        querystring: ImportQuery,
        response: { 202: ImportJob, ...errorResponses(400, 401, 403, 404, 409, 413, 422) },
      }),
    }, async (request, reply) => {
      const platform = platformOf(request);
      const { dryRun = false, fileName } = request.query;
      const format: ImportFormat = request.query.format;
      const needed = moduleNeeded(format);
      if (needed && !platform.modules.includes(needed)) throw moduleOff(needed, `A ${format} import`);
      const file = join(tmpdir(), `souk-import-${newId()}`);
      const size = await saveUpload(request.body, file);
      try {
        await checkUpload(file, size, format, platform);
      } catch (error) {
        await rm(file, { force: true });
        throw error;
      }
      const pdb = pdbOf(request);
      const jobId = await createJob(pdb, { format, dryRun, fileName: fileName ?? null, bytesTotal: size, createdBy: actorIdOf(request) }, emptyCounts());
      startJob(ctx, runtime, { jobId, platform, format, dryRun, file, actor: { id: actorIdOf(request), label: principalOf(request).label } });
      return reply.code(202).send((await getJob(pdb, jobId))!);
    });
  });

  r.get(`${base}/imports`, {
    schema: doc('The platform\'s latest import jobs, newest first', { params: PlatformParams, response: { 200: ImportJobList, ...errorResponses(401, 403, 404) } }),
  }, async (request) => ({ items: await listJobs(pdbOf(request), 50) }));

  r.get(`${base}/imports/:jobId`, {
    schema: doc('An import job: status, progress, counts and the first refused rows', { params: JobParams, response: { 200: ImportJob, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request) => {
    const job = await getJob(pdbOf(request), request.params.jobId.toLowerCase());
    if (!job) throw jobNotFound(request.params.jobId);
    return job;
  });

  r.get(`${base}/imports/:jobId/errors`, {
    schema: doc('The refused rows of an import job with their row numbers and reasons', { params: JobParams, querystring: ErrorsQuery, response: { 200: ImportErrorPage, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request) => {
    const pdb = pdbOf(request);
    const jobId = request.params.jobId.toLowerCase();
    if (!(await getJob(pdb, jobId))) throw jobNotFound(request.params.jobId);
    const limit = request.query.limit ?? 1_000;
    const items = await jobErrors(pdb, jobId, request.query.after ?? 0, limit);
    return { items, nextAfter: items.length === limit ? items.at(-1)!.seq : null };
  });

  r.get(`${base}/export`, {
    schema: doc('Export the platform as JSON lines (everything, or one kind) or CSV (one kind)', {
      params: PlatformParams,
      querystring: ExportQuery,
      response: {
        200: {
          description: 'The export, streamed',
          content: { 'application/x-ndjson': { schema: Type.String() }, 'text/csv': { schema: Type.String() } },
        },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
  }, async (request, reply) => {
    const platform = platformOf(request);
    const format = request.query.format;
    const kind: ExportKind | undefined = request.query.kind;
    if (format === 'csv' && !kind) throw exportKindNeeded(EXPORT_KINDS);
    if (kind && !kindAvailable(platform, kind)) throw moduleOff(kind === 'products' ? 'catalog' : kind === 'coupons' ? 'promotions' : 'orders', `Exporting ${kind}`);
    const source = { deps: ctx, platform, pdb: pdbOf(request) };
    const body = format === 'jsonl' ? exportJsonLines(source, kind ? [kind] : EXPORT_KINDS) : exportCsv(source, kind!);
    return reply
      .type(format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${platform.slug}-${kind ?? 'all'}.${format}"`)
      // Streamed as it is read: the typed reply expects the documented string.
      .send(Readable.from(body) as unknown as string);
  });
}
