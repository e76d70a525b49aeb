// Product videos: the rows (media_videos) and the transcode worker. An upload is stored in the work
// directory and queued with media.video_uploaded in one transaction; the module's consumer of that event
// hands the video to this process's worker, which claims the row (a conditional update with a lease, so
// one worker transcodes it however often the event is delivered), runs ffmpeg outside any transaction,
// writes progress as it goes, then attaches the result to the product (catalog service) or records the
// failure, leaving the product as it was. A sweep at start and every minute picks up queued rows and
// rows whose worker died (lease expired).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { catalogService, type ProductVideo } from '../catalog/service.ts';
import { EVENT_VIDEO_FAILED, EVENT_VIDEO_READY } from './events.ts';
import type { MediaMetrics } from './metrics.ts';
import { MODULE_NAME } from './settings.ts';
import type { VideoStorage } from './storage.ts';
import { transcodeClip } from './transcode.ts';

const LEASE_MINUTES = 15;
const SWEEP_MS = 60_000;
const PROGRESS_EVERY_MS = 500;

export interface VideoRow {
  id: string;
  product_id: string;
  state: 'queued' | 'processing' | 'ready' | 'failed';
  progress: number;
  error: string | null;
  file_name: string;
  content_type: string;
  size_bytes: string | number;
  attempts: number;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  created_at: string;
  finished_at: string | null;
}

export const VIDEO_COLUMNS = `id, product_id, state, progress, error, file_name, content_type, size_bytes, attempts, duration_ms, width, height,
  ${iso('created_at')} as created_at, ${iso('finished_at')} as finished_at`;

/** Where an upload and its transcode outputs wait until the video is stored. */
export const workDirOf = (videoDir: string, platformId: string, videoId: string) => join(`${videoDir}.work`, platformId, videoId);
export const SOURCE_FILE = 'source';

export class VideoWorker {
  private readonly queue: Array<{ platformId: string; videoId: string }> = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly storage: VideoStorage,
    private readonly metrics: MediaMetrics,
  ) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  enqueue(platformId: string, videoId: string): void {
    if (this.stopped) return;
    if (!this.queue.some((job) => job.videoId === videoId)) this.queue.push({ platformId, videoId });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Queued videos and videos whose worker's lease ran out, on every platform with the module. */
  private async sweep(): Promise<void> {
    try {
      for (const platform of this.ctx.platforms.all()) {
        if (!platform.modules.includes(MODULE_NAME)) continue;
        const rows = await this.ctx.platformDb(platform.id).query<{ id: string }>(
          `select id from media_videos where platform_id = $1 and (state = 'queued' or (state = 'processing' and lease_until < now())) order by id limit 100`,
        );
        for (const row of rows) this.enqueue(platform.id, row.id);
      }
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'media: the video sweep failed; the next one retries');
    }
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job && !this.stopped; job = this.queue.shift()) {
      try {
        await this.process(this.ctx.platformDb(job.platformId), job.videoId);
      } catch (error) {
        this.ctx.log.error({ err: error, videoId: job.videoId }, 'media: a video job broke off; the sweep retries it');
      }
    }
  }

  private async process(pdb: PlatformDb, videoId: string): Promise<void> {
    const claimed = await pdb.maybeOne<VideoRow>(
      `update media_videos set state = 'processing', progress = 0, attempts = attempts + 1, lease_until = now() + interval '${LEASE_MINUTES} minutes', updated_at = now()
       where platform_id = $1 and id = $2 and (state = 'queued' or (state = 'processing' and lease_until < now())) returning ${VIDEO_COLUMNS}`,
      [videoId],
    );
    if (!claimed) return; // done, failed, or another worker has it
    const work = workDirOf(this.storageRoot(), pdb.platformId, videoId);
    const out = join(work, 'out');
    const end = this.metrics.jobSeconds.startTimer({ kind: 'product_video' });
    let lastWrite = 0;
    try {
      await mkdir(out, { recursive: true });
      const result = await transcodeClip(join(work, SOURCE_FILE), out, (percent) => {
        const now = Date.now();
        if (now - lastWrite < PROGRESS_EVERY_MS) return;
        lastWrite = now;
        void pdb.execute(`update media_videos set progress = $3, updated_at = now() where platform_id = $1 and id = $2 and state = 'processing'`, [videoId, percent]).catch(() => undefined);
      });
      await this.storage.save(pdb.platformId, videoId, out);
      await rm(work, { recursive: true, force: true });
      const video: ProductVideo = {
        id: videoId,
        mp4Url: this.storage.url(pdb.platformId, videoId, result.files.mp4),
        hlsUrl: this.storage.url(pdb.platformId, videoId, result.files.hls),
        posterUrl: this.storage.url(pdb.platformId, videoId, result.files.poster),
        durationMs: result.source.durationMs,
        width: result.width,
        height: result.height,
      };
      await catalogService(this.ctx).setProductVideo(pdb, claimed.product_id, video);
      await pdb.transaction(async (tx) => {
        await tx.execute(
          `update media_videos set state = 'ready', progress = 100, lease_until = null, duration_ms = $3, width = $4, height = $5, finished_at = now(), updated_at = now()
           where platform_id = $1 and id = $2`,
          [videoId, video.durationMs, video.width, video.height],
        );
        await this.ctx.events.emit(tx, EVENT_VIDEO_READY, { videoId, productId: claimed.product_id }, { key: claimed.product_id });
      });
      this.metrics.jobs.inc({ kind: 'product_video', outcome: 'done' });
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      // The upload goes before the row says failed, so nothing of it is left once the job is seen to end.
      await rm(work, { recursive: true, force: true });
      await pdb.transaction(async (tx) => {
        await tx.execute(
          `update media_videos set state = 'failed', error = $3, lease_until = null, finished_at = now(), updated_at = now() where platform_id = $1 and id = $2`,
          [videoId, message],
        );
        await this.ctx.events.emit(tx, EVENT_VIDEO_FAILED, { videoId, productId: claimed.product_id, error: message }, { key: claimed.product_id });
      });
      this.metrics.jobs.inc({ kind: 'product_video', outcome: 'failed' });
      this.ctx.log.warn({ videoId, error: message }, 'media: a product video failed to transcode');
    } finally {
      end();
    }
  }

  private storageRoot(): string {
    return this.ctx.config.media.videoDir;
  }
}
