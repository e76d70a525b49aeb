// Where finished product videos live. The default keeps them on local disk under SOUK_MEDIA_VIDEO_DIR
// and Souk serves them (routes-videos.ts: range requests, long-lived caching, since a video's files never
// change: a new upload is a new video id). At scale, S3Storage (storage-s3.ts, SOUK_MEDIA_S3_*) puts them
// in an S3-compatible bucket and answers that bucket's (or its CDN's) URLs; nothing else in the module
// reads the files.
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface VideoStorage {
  /** Copies every file of a finished video's local directory into storage. */
  save(platformId: string, videoId: string, fromDir: string): Promise<void>;
  /** The public URL of one stored file. */
  url(platformId: string, videoId: string, file: string): string;
  remove(platformId: string, videoId: string): Promise<void>;
  /** Lets go of connections (on stop). */
  close?(): void;
}

/** How long players and CDNs may keep a video's files: for ever, as they never change. */
export const VIDEO_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** URL path under which Souk serves the local disk storage. */
export const LOCAL_VIDEO_PREFIX = '/media/videos/';

export class LocalDiskStorage implements VideoStorage {
  constructor(
    readonly root: string,
    /** Souk's public base URL (SOUK_PUBLIC_URL). */
    private readonly publicUrl: string,
  ) {}

  async save(platformId: string, videoId: string, fromDir: string): Promise<void> {
    const target = join(this.root, platformId, videoId);
    await mkdir(target, { recursive: true });
    await cp(fromDir, target, { recursive: true });
  }

  url(platformId: string, videoId: string, file: string): string {
    return `${this.publicUrl.replace(/\/+$/, '')}${LOCAL_VIDEO_PREFIX}${platformId}/${videoId}/${file}`;
  }

  async remove(platformId: string, videoId: string): Promise<void> {
    await rm(join(this.root, platformId, videoId), { recursive: true, force: true });
  }
}
