// Product videos: the admin upload (multipart/form-data, one part "file"), the transcode job's state,
// and the finished files (local disk storage) served with range requests and long-lived caching.
// Limits come first: a declared length over SOUK_MEDIA_VIDEO_MAX_MB is refused before the body is read,
// a part of another type before a byte is written, and a body that runs over the limit is cut off and
// its partial file deleted; only a complete upload becomes a row and a job. An Idempotency-Key makes a
// retried upload answer the first one (no second job).
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf } from '../../kernel/http/tenancy.ts';
import { newId } from '../../kernel/ids.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { catalogService } from '../catalog/service.ts';
import { EVENT_VIDEO_UPLOADED } from './events.ts';
import { notMultipart, productNotFound, videoMissing, videoNotFound, videoTooLarge, videoType } from './problems.ts';
import { ProductParams, Video, VIDEO_TYPES, VideoList, VideoParams } from './schemas.ts';
import { LOCAL_VIDEO_PREFIX } from './storage.ts';
import { SOURCE_FILE, VIDEO_COLUMNS, workDirOf, type VideoRow } from './videos.ts';

/** Room for the multipart framing around the file. */
const FORM_OVERHEAD = 64 * 1024;

const toVideo = (row: VideoRow) => ({
  id: row.id,
  productId: row.product_id,
  state: row.state,
  progress: row.progress,
  error: row.error,
  fileName: row.file_name,
  contentType: row.content_type,
  sizeBytes: Number(row.size_bytes),
  durationMs: row.duration_ms,
  width: row.width,
  height: row.height,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

const byIdempotencyKey = (pdb: PlatformDb, productId: string, key: string) =>
  pdb.maybeOne<VideoRow>(`select ${VIDEO_COLUMNS} from media_videos where platform_id = $1 and product_id = $2 and idempotency_key = $3`, [productId, key]);

export async function videoRoutes(app: FastifyInstance, ctx: ModuleContext): Promise<void> {
  const settings = ctx.config.media;
  const maxBytes = settings.videoMaxBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 11 } });
  // Finished files: immutable (a new upload is a new id), ranges for seeking, ETags.
  await app.register(fastifyStatic, { root: settings.videoDir, prefix: LOCAL_VIDEO_PREFIX, decorateReply: false, maxAge: '365d', immutable: true, dotfiles: 'deny', index: false, schemaHide: true });
  const { r, doc, pdbOf: db } = adminRouteKit(app, ctx, 'media');
  const catalog = catalogService(ctx);

  r.post('/admin/platforms/:platform/products/:productId/videos', {
    // The body is multipart: read by the handler, not validated as JSON.
    bodyLimit: maxBytes + FORM_OVERHEAD,
    schema: doc('Upload a product video (multipart, part "file"); transcoded in the background', {
      params: ProductParams,
      response: { 200: Video, 202: Video, ...errorResponses(400, 401, 403, 404, 413, 415) },
    }),
    onRequest: async (request) => {
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes + FORM_OVERHEAD) throw videoTooLarge(maxBytes);
    },
  }, async (request, reply) => {
    const pdb = db(request);
    const productId = request.params.productId.toLowerCase();
    if (!request.isMultipart()) throw notMultipart();
    if (!(await catalog.getAdminProduct(pdb, productId))) throw productNotFound(productId);
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' && header.length > 0 && header.length <= 200 ? header : null;
    if (key) {
      const first = await byIdempotencyKey(pdb, productId, key);
      if (first) return reply.code(200).send(toVideo(first));
    }
    const part = await request.file();
    if (!part) throw videoMissing();
    if (!(VIDEO_TYPES as readonly string[]).includes(part.mimetype)) {
      part.file.resume();
      throw videoType(part.mimetype, VIDEO_TYPES);
    }
    const videoId = newId();
    const work = workDirOf(settings.videoDir, pdb.platformId, videoId);
    await mkdir(work, { recursive: true });
    let size = 0;
    part.file.on('data', (chunk: Buffer) => (size += chunk.length));
    try {
      await pipeline(part.file, createWriteStream(`${work}/${SOURCE_FILE}`));
      if (part.file.truncated) throw videoTooLarge(maxBytes);
      const row = await pdb.transaction(async (tx) => {
        const inserted = await tx.maybeOne<VideoRow>(
          `insert into media_videos (platform_id, id, product_id, file_name, content_type, size_bytes, idempotency_key, created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing returning ${VIDEO_COLUMNS}`,
          [videoId, productId, (part.filename || 'upload').slice(0, 300), part.mimetype, size, key, actorIdOf(request)],
        );
        if (inserted) await ctx.events.emit(tx, EVENT_VIDEO_UPLOADED, { videoId, productId }, { key: productId });
        return inserted;
      });
      if (!row) {
        // The same key raced in first: its upload is the answer.
        await rm(work, { recursive: true, force: true });
        return reply.code(200).send(toVideo((await byIdempotencyKey(pdb, productId, key!))!));
      }
      return reply.code(202).send(toVideo(row));
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  });

  r.get('/admin/platforms/:platform/products/:productId/videos', {
    schema: doc('A product\'s uploaded videos and their transcode jobs, newest first', { params: ProductParams, response: { 200: VideoList, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    const rows = await db(request).query<VideoRow>(
      `select ${VIDEO_COLUMNS} from media_videos where platform_id = $1 and product_id = $2 order by id desc limit 50`,
      [request.params.productId.toLowerCase()],
    );
    return { items: rows.map(toVideo) };
  });

  r.get('/admin/platforms/:platform/media/videos/:videoId', {
    schema: doc('One product video: its job\'s state, progress and error', { params: VideoParams, response: { 200: Video, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    const row = await db(request).maybeOne<VideoRow>(`select ${VIDEO_COLUMNS} from media_videos where platform_id = $1 and id = $2`, [request.params.videoId.toLowerCase()]);
    if (!row) throw videoNotFound(request.params.videoId);
    return toVideo(row);
  });
}
