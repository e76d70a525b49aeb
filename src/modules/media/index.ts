// The media module: Souk drives a real media server (nginx with the RTMP module) and ffmpeg, and owns
// the commerce side of video: who may publish to which live room (stream keys), when a room is live
// (the media server's callbacks), what viewers play (the HLS URL in the room's state) and the replay
// (the recording and a poster). It does not touch video bytes itself.
import type { SoukModule } from '../../kernel/context.ts';
import { liveModule } from '../live/index.ts';
import { LiveService } from '../live/service.ts';
import { EVENT_STREAM_GONE, EVENT_VIDEO_UPLOADED } from './events.ts';
import { Ingest } from './ingest.ts';
import { createMediaMetrics, type MediaMetrics } from './metrics.ts';
import { mediaDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { callbackRoutes } from './routes-callbacks.ts';
import { videoRoutes } from './routes-videos.ts';
import { LocalDiskStorage, type VideoStorage } from './storage.ts';
import { S3Storage } from './storage-s3.ts';
import { VideoWorker } from './videos.ts';
import { MODULE_NAME, platformSettingsSchema } from './settings.ts';

export interface MediaRuntime {
  metrics: MediaMetrics;
  ingest: Ingest;
  /** Transcodes product videos; on nodes that run the event consumers (role worker or all). */
  videos: VideoWorker | undefined;
  /** Where the worker puts finished videos: local disk, or an S3-compatible bucket (SOUK_MEDIA_S3_*). */
  storage: VideoStorage | undefined;
}

export const mediaModule: SoukModule<MediaRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Live video through nginx-rtmp (stream keys, publish authorisation, HLS playback, recording and poster as the replay) and product videos transcoded by ffmpeg.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['media_stream_keys', 'media_sessions', 'media_publish_refusals', 'media_videos'],
  settingsSchema: platformSettingsSchema,
  openapi: mediaDocs,
  dependsOn: ['events', 'live', 'catalog'],
  createRuntime(ctx) {
    const metrics = createMediaMetrics(ctx.metrics);
    // The live module's service is bound when first used: runtimes are made in dependency order.
    let live: LiveService | undefined;
    const liveService = () => (live ??= new LiveService(ctx, ctx.runtimeOf(liveModule)));
    const { s3, videoDir } = ctx.config.media;
    const storage = ctx.config.eventsWorker ? (s3 ? new S3Storage(s3) : new LocalDiskStorage(videoDir, ctx.config.publicUrl)) : undefined;
    return {
      metrics,
      ingest: new Ingest(ctx, ctx.config.media, metrics, liveService),
      videos: storage ? new VideoWorker(ctx, storage, metrics) : undefined,
      storage,
    };
  },
  start: (_ctx, { videos }) => videos?.start(),
  stop: async (_ctx, { ingest, videos, storage }) => {
    await Promise.all([ingest.stop(), videos?.stop()]);
    storage?.close?.();
  },
  async routes(app, ctx, { ingest }) {
    adminRoutes(app, ctx, ctx.config.media);
    callbackRoutes(app, ctx.config.media, ingest);
    await videoRoutes(app, ctx);
  },
  subscribe(ctx, { ingest, videos }) {
    ctx.events.subscribe(
      'media.transcode',
      [EVENT_VIDEO_UPLOADED],
      async (event) => {
        // The worker claims the row itself, outside this transaction, so a redelivery queues nothing twice.
        if (event.platformId) videos?.enqueue(event.platformId, event.payload.videoId);
      },
      { forModule: MODULE_NAME },
    );
    ctx.events.subscribe(
      'media.end-after-grace',
      [EVENT_STREAM_GONE],
      // In the delivery's own transaction: on PGlite (one connection) a query outside it would wait for it for ever.
      async (event, tx) => {
        if (event.platformId) await ingest.endIfNoStream(tx.platform(event.platformId), event.payload.roomId, event.payload.sessionId);
      },
      { forModule: MODULE_NAME },
    );
  },
};
