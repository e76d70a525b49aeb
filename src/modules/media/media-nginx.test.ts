// Live ingest with the real tools: nginx with the RTMP module (Debian's nginx + libnginx-mod-rtmp),
// started as a child process on free ports with the configuration `souk media config` writes, and
// ffmpeg publishing a generated test pattern with the room's key. The room goes live, its HLS playlist
// appears and segments download; a wrong key, a forged one and the ended room's key are refused;
// stopping ffmpeg ends the room; the recording (remuxed to MP4) and a poster taken by ffmpeg become the
// room's replay. Needs nginx, the RTMP module and ffmpeg (.ci/run installs them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBearer, createTestPlatform, engines, loginAsNewOwner, startTestSouk, TEST_METRICS_TOKEN, type StartedSouk, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { freePort } from '../../../test/private-server.ts';
import { waitFor } from '../../../test/wait.ts';
import { loadModuleSettings } from '../../kernel/module-settings.ts';
import { DEBIAN_RTMP_MODULE, nginxConfig } from './nginx-config.ts';

const SECRET = 'nginx-test-secret-0123456789';
const haveTools = existsSync(DEBIAN_RTMP_MODULE) && spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('nginx', ['-v']).status === 0;
if (!haveTools && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('nginx, libnginx-mod-rtmp and ffmpeg are needed (apt-get install nginx libnginx-mod-rtmp ffmpeg); .ci/run installs them.');
}

/** ffmpeg pushing a test pattern (1 s keyframes, small, so one-second HLS segments) to the RTMP URL. */
function push(url: string, seconds: number): ChildProcess {
  return spawn('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '25',
    '-c:a', 'aac', '-f', 'flv', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
  else child.once('exit', (code) => resolve(code));
});

for (const engine of haveTools ? engines() : []) {
  describe(`media: real nginx-rtmp and ffmpeg [${engine}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-nginx-'));
    const hlsDir = join(dir, 'hls');
    const recordingDir = join(dir, 'recordings');
    let started: StartedSouk;
    let nginx: ChildProcess | undefined;
    const pushes: ChildProcess[] = [];
    let env: TestEnv;
    let shop: TestPlatform & { slug: string };
    let rtmp: string;

    before(async () => {
      // nginx's workers run as an unprivileged user when the tests run as root: they write HLS and recordings.
      chmodSync(dir, 0o755);
      for (const d of [hlsDir, recordingDir]) {
        mkdirSync(d);
        chmodSync(d, 0o777);
      }
      const [rtmpPort, httpPort] = [await freePort(), await freePort()];
      const media = { ...loadModuleSettings({}).media, callbackSecret: SECRET, endGraceSeconds: 0, hlsDir, recordingDir, playbackBaseUrl: `http://127.0.0.1:${httpPort}`, ingestUrl: `rtmp://127.0.0.1:${rtmpPort}/live` };
      started = await startTestSouk(engine, { media });
      env = { engine, souk: started.souk, app: started.souk.app, ownerToken: await loginAsNewOwner(started.souk) };
      await env.app.listen({ port: 0, host: '127.0.0.1' });
      const soukPort = (env.app.server.address() as { port: number }).port;
      writeFileSync(join(dir, 'nginx.conf'), nginxConfig({ soukUrl: `http://127.0.0.1:${soukPort}`, callbackSecret: SECRET, rtmpPort, httpPort, hlsDir, recordingDir, modulePath: DEBIAN_RTMP_MODULE }));
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let nginxErrors = '';
      nginx.stderr!.on('data', (chunk: Buffer) => (nginxErrors += chunk.toString()));
      await waitFor(`nginx on port ${httpPort} (${nginxErrors})`, async () => {
        if (nginx!.exitCode !== null) throw new Error(`nginx exited: ${nginxErrors}`);
        return fetch(`http://127.0.0.1:${httpPort}/hls/`).then(() => true, () => false);
      }, 10_000, 100);
      rtmp = `rtmp://127.0.0.1:${rtmpPort}/live`;
      shop = { ...(await createTestPlatform(env, { slug: `nginx-${engine}`, modules: ['live', 'media'] })), slug: `nginx-${engine}` };
    });

    after(async () => {
      for (const child of pushes) child.kill('SIGKILL');
      if (nginx && nginx.exitCode === null) {
        nginx.kill('SIGTERM');
        await exited(nginx);
      }
      await started?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
    const rooms = () => `/admin/platforms/${shop.slug}/live/rooms`;
    const roomOf = async (roomId: string) => (await admin({ method: 'GET', url: `${rooms()}/${roomId}` })).json();

    it('goes live on a push, serves HLS, ends when ffmpeg stops, and keeps the recording and a poster as the replay', async () => {
      const created = await admin({ method: 'POST', url: rooms(), payload: { title: 'Pattern show' } });
      assert.equal(created.statusCode, 201, created.body);
      const roomId = created.json().id as string;
      const made = await admin({ method: 'POST', url: `${rooms()}/${roomId}/stream-key` });
      assert.equal(made.statusCode, 201, made.body);
      const { key, publishUrl } = made.json();
      assert.equal(publishUrl, `${rtmp}/${key}`);

      const ffmpeg = push(publishUrl, 60);
      pushes.push(ffmpeg);
      const live = await waitFor('the room to go live', async () => {
        const room = await roomOf(roomId);
        return room.state === 'live' ? room : undefined;
      }, 20_000, 100);
      assert.equal(live.playbackUrl, `${live.playbackUrl.split('/hls/')[0]}/hls/${shop.platform.id}_${roomId}.m3u8`);
      assert.ok(!live.playbackUrl.includes(key.split('?key=')[1]), 'the secret is not in the public URL');

      const playlist = await waitFor('the HLS playlist with two segments', async () => {
        const res = await fetch(live.playbackUrl);
        if (res.status !== 200) return '';
        assert.equal(res.headers.get('cache-control'), 'no-cache', 'a live playlist is never cached');
        const text = await res.text();
        return text.split('\n').filter((line) => line.endsWith('.ts')).length >= 2 ? text : '';
      }, 30_000, 250);
      assert.match(playlist, /#EXTM3U/);
      const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
      assert.ok(durations.every((d) => d <= 2.5), `short segments: ${durations.join(', ')}`);
      const segment = playlist.split('\n').find((line) => line.endsWith('.ts'))!;
      const media = await fetch(new URL(segment, live.playbackUrl));
      assert.equal(media.status, 200);
      const bytes = Buffer.from(await media.arrayBuffer());
      assert.ok(bytes.length > 1000 && bytes[0] === 0x47, 'an MPEG-TS segment');

      // A second push with the same key while live: refused by Souk (one publisher per room).
      const second = push(publishUrl, 5);
      pushes.push(second);
      assert.notEqual(await exited(second), 0, 'the second publisher is refused');

      ffmpeg.kill('SIGINT');
      await exited(ffmpeg);
      const ended = await waitFor('the room to end', async () => {
        const room = await roomOf(roomId);
        return room.state === 'ended' ? room : undefined;
      }, 20_000, 100);
      assert.equal(ended.playbackUrl, null);

      const replay = await waitFor('the recording and poster', async () => {
        const room = await roomOf(roomId);
        return room.recordingUrl && room.posterUrl ? room : undefined;
      }, 60_000, 250);
      const poster = await fetch(replay.posterUrl);
      assert.equal(poster.status, 200);
      assert.equal(poster.headers.get('content-type'), 'image/jpeg');
      const jpeg = Buffer.from(await poster.arrayBuffer());
      assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
      const recording = await fetch(replay.recordingUrl);
      assert.equal(recording.status, 200);
      assert.match(String(recording.headers.get('cache-control')), /max-age=3600/);
      const seek = await fetch(replay.recordingUrl, { headers: { range: 'bytes=0-99' } });
      assert.equal(seek.status, 206, 'the replay seeks with range requests');
      assert.equal((await seek.arrayBuffer()).byteLength, 100);
      const metrics = (await env.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).body;
      for (const kind of ['remux', 'poster']) assert.match(metrics, new RegExp(`souk_media_transcode_jobs_total\\{kind="${kind}",outcome="done"\\} 1\\n`));
      assert.match(metrics, /souk_media_transcode_seconds_count\{kind="remux"\} 1\n/);
      assert.match(metrics, /souk_media_live_streams 0\n/, 'no stream left');
      const file = join(recordingDir, replay.recordingUrl.split('/').pop()!);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' });
      const info = JSON.parse(probe.stdout) as { streams: Array<{ codec_name: string; width: number; height: number }>; format: { duration: string } };
      assert.deepEqual([info.streams[0]!.codec_name, info.streams[0]!.width, info.streams[0]!.height], ['h264', 320, 180]);
      assert.ok(Number(info.format.duration) > 2, `recorded ${info.format.duration} s`);

      // The ended room's key, a wrong secret, no secret, and another platform's key for this room are refused.
      const other = await createTestPlatform(env, { slug: `nginx-other-${engine}`, modules: ['live', 'media'] });
      const otherRoom = await asBearer(env.app, other.adminToken, { method: 'POST', url: `/admin/platforms/nginx-other-${engine}/live/rooms`, payload: { title: 'Other' } });
      const otherKey = (await asBearer(env.app, other.adminToken, { method: 'POST', url: `/admin/platforms/nginx-other-${engine}/live/rooms/${otherRoom.json().id}/stream-key` })).json().key as string;
      const streamName = key.split('?')[0]!;
      for (const streamKey of [key, `${streamName}?key=wrong`, streamName, `${streamName}?${otherKey.split('?')[1]}`]) {
        const refused = push(`${rtmp}/${streamKey}`, 5);
        pushes.push(refused);
        assert.notEqual(await exited(refused), 0, `${streamKey} refused`);
      }
      assert.equal((await roomOf(roomId)).state, 'ended');
      const log = (await admin({ method: 'GET', url: `${rooms()}/${roomId}/publishes` })).json();
      assert.equal(log.sessions.length, 1);
      assert.equal(log.sessions[0].recorded, true);
      assert.deepEqual(log.refusals.map((r: { reason: string }) => r.reason).sort(), ['already_publishing', 'invalid_key', 'invalid_key', 'invalid_key', 'room_ended']);
    });
  });
}
