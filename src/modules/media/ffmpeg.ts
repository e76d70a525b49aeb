// Running ffmpeg and ffprobe (Debian's): Souk never decodes video itself. A run has a deadline and fails
// with the last lines ffmpeg wrote, so a job's error says what ffmpeg objected to.
import { spawn } from 'node:child_process';

export class FfmpegError extends Error {
  override name = 'FfmpegError';
}

interface RunOptions {
  timeoutMs?: number;
  /** Called with the output time reached (ms), from ffmpeg's -progress lines. */
  onProgress?: (outTimeMs: number) => void;
}

function run(tool: 'ffmpeg' | 'ffprobe', args: readonly string[], options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errors = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!options.onProgress) {
        out += chunk;
        return;
      }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const match = /^out_time_us=(\d+)/.exec(line);
        if (match) options.onProgress(Number(match[1]) / 1000);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      errors = (errors + chunk).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new FfmpegError(`${tool} could not be started (${error.message}); install ffmpeg (Debian: apt-get install ffmpeg)`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else {
        const why = errors.trim().split('\n').slice(-3).join(' / ') || 'no message';
        reject(new FfmpegError(`${tool} ${signal ? `was stopped (${signal}, over ${timeoutMs} ms)` : `exited with ${code}`}: ${why}`));
      }
    });
  });
}

/** Runs `ffmpeg -hide_banner -nostdin -loglevel error -y <args>`; resolves when it exits 0. */
export async function runFfmpeg(args: readonly string[], options: RunOptions = {}): Promise<void> {
  const progress = options.onProgress ? ['-progress', 'pipe:1', '-nostats'] : [];
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...progress, ...args], options);
}

export interface ProbedVideo {
  durationMs: number;
  width: number;
  height: number;
  hasAudio: boolean;
}

/** What ffprobe reads of a file's first video stream; fails when there is none. */
export async function probeVideo(file: string): Promise<ProbedVideo> {
  const text = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file], { timeoutMs: 60_000 });
  const info = JSON.parse(text) as { streams?: Array<{ codec_type?: string; width?: number; height?: number; duration?: string }>; format?: { duration?: string } };
  const video = info.streams?.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!video) throw new FfmpegError('ffprobe found no video stream in the file');
  const seconds = Number(info.format?.duration ?? video.duration);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new FfmpegError('ffprobe could not read the video\'s duration');
  return { durationMs: Math.round(seconds * 1000), width: video.width!, height: video.height!, hasAudio: info.streams!.some((s) => s.codec_type === 'audio') };
}
