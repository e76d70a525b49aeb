// A product clip's transcode, all by ffmpeg: probe the upload, an H.264/AAC MP4 (at most 720 lines,
// faststart so players start before the end arrives), HLS renditions at one or two sizes with a master
// playlist, and a poster still. Progress is the MP4's share of the work (most of it), then the rest.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeVideo, runFfmpeg, type ProbedVideo } from './ffmpeg.ts';

const MAX_HEIGHT = 720;
const SMALL_HEIGHT = 360;

export interface TranscodeResult {
  source: ProbedVideo;
  /** Of the MP4. */
  width: number;
  height: number;
  /** Heights of the HLS renditions. */
  renditions: number[];
  /** File names written in the output directory. */
  files: { mp4: string; hls: string; poster: string };
}

const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

export async function transcodeClip(sourceFile: string, outDir: string, onProgress: (percent: number) => void): Promise<TranscodeResult> {
  const source = await probeVideo(sourceFile);
  const height = even(Math.min(MAX_HEIGHT, source.height));
  const width = even((source.width * height) / source.height);
  const audio = (bitrate: string) => (source.hasAudio ? ['-c:a', 'aac', '-b:a', bitrate] : ['-an']);

  const mp4 = 'video.mp4';
  await runFfmpeg(
    ['-i', sourceFile, '-map', '0:v:0', '-map', '0:a:0?', '-vf', `scale=${width}:${height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23',
      '-pix_fmt', 'yuv420p', '-g', '48', ...audio('128k'), '-movflags', '+faststart', join(outDir, mp4)],
    { onProgress: (ms) => onProgress(Math.min(70, Math.floor((ms / source.durationMs) * 70))) },
  );

  // The full size is the MP4's streams cut into segments (no second encode); a smaller one is encoded.
  const renditions = [...new Set([Math.min(SMALL_HEIGHT, height), height])];
  const variants: string[] = [];
  for (const [i, h] of renditions.entries()) {
    const w = even((width * h) / height);
    const name = `${h}p`;
    const codec = h === height ? ['-c', 'copy'] : ['-vf', `scale=${w}:${h}`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '25', '-g', '48', ...audio('96k')];
    await runFfmpeg(['-i', join(outDir, mp4), ...codec, '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
      '-hls_segment_filename', join(outDir, `${name}_%03d.ts`), join(outDir, `${name}.m3u8`)]);
    const bytes = statSync(join(outDir, h === height ? mp4 : `${name}_000.ts`)).size;
    const bandwidth = h === height ? Math.ceil((bytes * 8) / (source.durationMs / 1000)) : 800_000;
    variants.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=${w}x${h}\n${name}.m3u8`);
    onProgress(70 + Math.floor(((i + 1) / renditions.length) * 25));
  }
  const hls = 'master.m3u8';
  writeFileSync(join(outDir, hls), `#EXTM3U\n#EXT-X-VERSION:3\n${variants.join('\n')}\n`);

  const poster = 'poster.jpg';
  const at = Math.min(1, source.durationMs / 2000);
  await runFfmpeg(['-ss', at.toFixed(2), '-i', join(outDir, mp4), '-frames:v', '1', '-q:v', '3', join(outDir, poster)]);
  onProgress(100);
  return { source, width, height, renditions, files: { mp4, hls, poster } };
}
