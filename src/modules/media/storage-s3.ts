// Finished product videos in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2, …), the
// scale-out choice to local disk (SOUK_MEDIA_S3_*): each file of a finished video is PUT under
// <prefix><platform>/<video>/<file> with its media type and long-lived, immutable caching (a video's files
// never change: a new upload is a new id), and viewers fetch them from the bucket's public URL or a CDN in
// front of it (SOUK_MEDIA_S3_PUBLIC_URL), which answer range requests themselves. Souk then serves no video
// bytes, and the api and worker nodes share only the upload work directory. The client is the AWS SDK's;
// checksums are sent only where S3 requires them, as S3-compatible servers do not all take the newer ones.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MediaS3Settings } from '../../kernel/module-settings.ts';
import { VIDEO_CACHE_CONTROL, type VideoStorage } from './storage.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
};
/** Files uploaded at once. */
const PARALLEL = 4;

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL) await Promise.all(items.slice(i, i + PARALLEL).map(work));
}

export class S3Storage implements VideoStorage {
  private readonly client: S3Client;

  constructor(private readonly settings: MediaS3Settings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(platformId: string, videoId: string, file = ''): string {
    return `${this.settings.prefix}${platformId}/${videoId}/${file}`;
  }

  async save(platformId: string, videoId: string, fromDir: string): Promise<void> {
    const files = (await readdir(fromDir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
    // Playlists last, so a player that finds one finds every segment it names.
    const playlists = files.filter((name) => name.endsWith('.m3u8'));
    const put = async (name: string) => {
      const path = join(fromDir, name);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.key(platformId, videoId, name),
          Body: createReadStream(path),
          ContentLength: (await stat(path)).size,
          ContentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
          CacheControl: VIDEO_CACHE_CONTROL,
        }),
      );
    };
    await inBatches(files.filter((name) => !playlists.includes(name)), put);
    await inBatches(playlists, put);
  }

  url(platformId: string, videoId: string, file: string): string {
    return `${this.settings.publicUrl}/${this.key(platformId, videoId, file)}`;
  }

  async remove(platformId: string, videoId: string): Promise<void> {
    const prefix = this.key(platformId, videoId);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token }));
      // One DELETE per object: the batch delete needs a checksum header that not every S3-compatible server takes.
      await inBatches((page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])), (Key) => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key })));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.client.destroy();
  }
}
