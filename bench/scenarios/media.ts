// Media (issue 17): how fast Souk answers the media server's publish callbacks, and how much video the
// product-video transcode gets through.
//   - callbacks: nginx-rtmp's on_publish, form-encoded, with a valid key of a live room (the retried
//     callback of the same connection: room, key and open session looked up, 200),
//     as fast as --connections concurrent keep-alive clients can send them, for --duration s per round;
//     the bare Fastify hello with the same client in the same rounds, so the figure reads as a ratio.
//   - transcode: a generated --clip-seconds clip (854x480, 25 fps, with sound) through the same pipeline
//     a product upload runs (ffprobe, H.264 MP4, HLS at 360p and 480p, poster); seconds of video per
//     second of wall time (ffmpeg uses every core it is given).
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { transcodeClip } from '../../src/modules/media/transcode.ts';
import { DEMO } from '../catalog/seed.ts';
import { httpRequest } from '../lib/http.ts';
import { waitForQuietIfAsked } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer, startSoukServer } from '../lib/servers.ts';
import { adminLogin } from '../lib/souk-api.ts';
import { latencyPercentiles, median, round, SampleBuffer } from '../lib/stats.ts';

const SECRET = 'bench-media-callback-secret-0123';

interface LoopResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

/** `connections` keep-alive clients sending the request back to back for `seconds`. */
async function loop(url: string, method: string, headers: Record<string, string>, body: string | undefined, connections: number, seconds: number): Promise<LoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const samples = new SampleBuffer();
  const statuses: Record<string, number> = {};
  const until = performance.now() + seconds * 1000;
  const began = performance.now();
  let done = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(url, { method, headers, agent }, (response) => {
        response.resume();
        response.on('end', () => {
          statuses[String(response.statusCode)] = (statuses[String(response.statusCode)] ?? 0) + 1;
          samples.push(performance.now() - started);
          done += 1;
          resolve();
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  await Promise.all(Array.from({ length: connections }, async () => {
    do await one();
    while (performance.now() < until);
  }));
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  const { p50Ms, p99Ms } = latencyPercentiles(samples, 2);
  return { perSecond: Math.round(done / elapsed), p50Ms, p99Ms, statuses };
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const { options, flags, cleanup, log } = context;
  const notes: string[] = [];
  const data: Record<string, unknown> = {};
  const tables: ScenarioReport['tables'] = [];

  // Publish callbacks vs the bare server, embedded database (the callback reads three rows).
  const bare = await startBareServer(cleanup);
  const souk = await startSoukServer({ engine: 'embedded', cleanup, env: { SOUK_MEDIA_CALLBACK_SECRET: SECRET } });
  const session = await adminLogin(souk.baseUrl, DEMO.admin.email, DEMO.admin.password);
  const auth = { authorization: `Bearer ${session.token}` };
  const room = await httpRequest(`${souk.baseUrl}/admin/platforms/souk-global/live/rooms`, { method: 'POST', headers: auth, json: { title: 'Bench stream' } });
  if (room.status !== 201) throw new Error(`creating the room failed: ${room.status} ${room.text}`);
  const roomId = (JSON.parse(room.text) as { id: string }).id;
  const made = await httpRequest(`${souk.baseUrl}/admin/platforms/souk-global/live/rooms/${roomId}/stream-key`, { method: 'POST', headers: auth });
  if (made.status !== 201) throw new Error(`making the key failed: ${made.status} ${made.text}`);
  const [name, args] = (JSON.parse(made.text) as { key: string }).key.split('?');
  const form = new URLSearchParams({ call: 'publish', app: 'live', name: name!, addr: '127.0.0.1', clientid: '1', ...Object.fromEntries(new URLSearchParams(args)) }).toString();
  const callbackUrl = `${souk.baseUrl}/media/rtmp/publish?secret=${SECRET}`;
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) };
  // The first publish opens the session and takes the room live; the measured ones are its retries.
  const first = await loop(callbackUrl, 'POST', formHeaders, form, 1, 0);
  if (!first.statuses['200']) throw new Error(`the first publish was not allowed: ${JSON.stringify(first.statuses)}`);

  const rounds: { bare: LoopResult[]; publish: LoopResult[] } = { bare: [], publish: [] };
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuietIfAsked(options.quietWaitSeconds, log);
    const b = await loop(`${bare.baseUrl}/`, 'GET', {}, undefined, options.connections, options.durationSeconds);
    const p = await loop(callbackUrl, 'POST', formHeaders, form, options.connections, options.durationSeconds);
    rounds.bare.push(b);
    rounds.publish.push(p);
    log(`  round ${r}/${options.rounds}: bare ${b.perSecond}/s (p99 ${b.p99Ms} ms); publish callbacks ${p.perSecond}/s (p99 ${p.p99Ms} ms) ${JSON.stringify(p.statuses)}`);
  }
  const med = (list: LoopResult[], pick: (r: LoopResult) => number) => median(list.map(pick));
  const bareRate = med(rounds.bare, (r) => r.perSecond);
  const publishRate = med(rounds.publish, (r) => r.perSecond);
  tables.push({
    title: `Publish authorisations (on_publish callbacks, embedded database), ${options.connections} connections, ${options.durationSeconds} s × ${options.rounds}, medians`,
    columns: ['target', 'req/s', 'p50 ms', 'p99 ms', 'of bare'],
    rows: [
      ['bare fastify hello', round(bareRate, 0), med(rounds.bare, (r) => r.p50Ms), med(rounds.bare, (r) => r.p99Ms), '100%'],
      ['souk on_publish (valid key, retried)', round(publishRate, 0), med(rounds.publish, (r) => r.p50Ms), med(rounds.publish, (r) => r.p99Ms), `${round((publishRate / bareRate) * 100, 1)}%`],
    ],
  });
  data.callbacks = rounds;

  // Transcode throughput, in this process (ffmpeg as children).
  const clipSeconds = Number(flags['clip-seconds']);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'souk-bench-media-'));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const clip = path.join(dir, 'clip.mp4');
  const generated = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=854x480:rate=25', '-f', 'lavfi', '-i', 'sine',
    '-t', String(clipSeconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  if (generated.status !== 0) throw new Error(`ffmpeg could not make the clip: ${generated.stderr?.toString()}`);
  const runs: Array<{ wallSeconds: number; videoPerWall: number }> = [];
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuietIfAsked(options.quietWaitSeconds, log);
    const out = path.join(dir, `out-${r}`);
    await mkdir(out);
    const began = performance.now();
    const result = await transcodeClip(clip, out, () => undefined);
    const wall = (performance.now() - began) / 1000;
    const videoSeconds = result.source.durationMs / 1000;
    runs.push({ wallSeconds: round(wall, 2), videoPerWall: round(videoSeconds / wall, 2) });
    log(`  transcode round ${r}: ${videoSeconds} s of video in ${round(wall, 2)} s (${round(videoSeconds / wall, 2)}× real time), renditions ${result.renditions.join('p, ')}p`);
  }
  tables.push({
    title: `Product video transcode (${clipSeconds} s clip, 854x480 25 fps + AAC → H.264 MP4 480p, HLS 360p + 480p, poster), medians`,
    columns: ['wall s', 'video s per wall s'],
    rows: [[median(runs.map((r) => r.wallSeconds)), median(runs.map((r) => r.videoPerWall))]],
  });
  data.transcode = { clipSeconds, runs, cpus: os.cpus().length };
  notes.push('Transcode runs ffmpeg with its default threads on every core of the machine; the figure is the machine\'s, not one core\'s.');
  return { tables, notes, data };
}

export const mediaScenario: Scenario = {
  name: 'media',
  description: 'publish authorisations/s (nginx-rtmp on_publish callbacks) vs bare Fastify; product video transcode throughput (video seconds per wall second)',
  flags: { 'clip-seconds': { description: 'length of the generated clip the transcode runs on', default: '10' } },
  run,
};
