// The media server's side of a live room (nginx-rtmp callbacks, routes-callbacks.ts):
// - publish: the stream name is <platform id>_<room id> and the secret comes as its argument (the form
//   field `key`; keys.ts). The room's usable secret, for a room that may go live now, is allowed (2xx): a
//   session opens, the room gets its playback URL and goes live. Anything else is refused (403) and
//   recorded. A retried callback of the same connection finds its open session and gets the same answer
//   without a second session or start. (nginx-rtmp's 3xx rename is not used: its HLS module keeps the
//   name it was published under.)
// - publish done: the connection's open session closes (once: a conditional update); after the grace
//   period, a room with no new session ends (a durable timer on the event backbone, media.stream_gone).
// - record done: the recording is remuxed to MP4 and a poster taken by ffmpeg, then both become the
//   room's replay (recordingUrl, posterUrl).
import { basename, resolve as resolvePath, sep } from 'node:path';
import { existsSync } from 'node:fs';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { PgErrorCode, pgErrorCode } from '../../kernel/db/types.ts';
import { isHttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import type { MediaEnvSettings } from '../../kernel/module-settings.ts';
import { findRoom, setRoomMedia } from '../live/rooms.ts';
import type { LiveService } from '../live/service.ts';
import { EVENT_STREAM_GONE } from './events.ts';
import { runFfmpeg } from './ffmpeg.ts';
import { findUsableKey, parseStreamName, publishRefusal, streamNameOf } from './keys.ts';
import type { MediaMetrics } from './metrics.ts';
import { keyWindowOf, MODULE_NAME } from './settings.ts';

/** What nginx-rtmp posts (form fields); only these are read. */
export interface RtmpCall {
  name: string;
  /** The secret, from the stream key's `?key=` argument. */
  key: string;
  addr: string;
  clientId: string;
  /** record done only: the file the recorder closed. */
  path?: string;
}

export type PublishAnswer = { allowed: true; replayed: boolean } | { allowed: false; reason: string };

interface OpenSession {
  id: string;
  client_id: string;
  addr: string;
}

export class Ingest {
  /** ffmpeg work started by record-done callbacks, awaited on stop. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly settings: MediaEnvSettings,
    private readonly metrics: MediaMetrics,
    private readonly live: () => LiveService,
  ) {}

  private platformFor(platformId: string | undefined) {
    const platform = platformId ? this.ctx.platforms.byId(platformId) : undefined;
    if (!platform || platform.status !== 'active' || !platform.modules.includes(MODULE_NAME) || !platform.modules.includes('live')) return undefined;
    return platform;
  }

  private async refuse(pdb: PlatformDb | undefined, roomId: string | null, reason: string, call: RtmpCall): Promise<PublishAnswer> {
    this.metrics.publishes.inc({ outcome: 'refused', reason });
    this.ctx.log.warn({ reason, roomId, platformId: pdb?.platformId, addr: call.addr }, 'media: publish refused');
    if (pdb) await pdb.execute('insert into media_publish_refusals (platform_id, id, room_id, reason, addr) values ($1, $2, $3, $4, $5)', [newId(), roomId, reason, call.addr.slice(0, 100)]);
    return { allowed: false, reason };
  }

  /** Counts a callback refused before its fields were read (bad secret, source not allowed). */
  refusedCallback(reason: string, addr: string): void {
    this.metrics.publishes.inc({ outcome: 'refused', reason });
    this.ctx.log.warn({ reason, addr }, 'media: callback refused');
  }

  async publish(call: RtmpCall): Promise<PublishAnswer> {
    const named = parseStreamName(call.name);
    const platform = this.platformFor(named?.platformId);
    if (!named || !platform) return this.refuse(undefined, null, named ? 'unknown_platform' : 'malformed_name', call);
    const pdb = this.ctx.platformDb(platform.id);
    const room = await findRoom(pdb, named.roomId);
    if (!room) return this.refuse(pdb, null, 'unknown_room', call);
    const key = call.key ? await findUsableKey(pdb, room.id, call.key) : undefined;
    if (!key) return this.refuse(pdb, room.id, 'invalid_key', call);
    const why = publishRefusal(room, keyWindowOf(platform.settings), Date.now());
    if (why) return this.refuse(pdb, room.id, why, call);
    const streamName = streamNameOf(platform.id, room.id);

    const sessionId = newId();
    const opened = await this.openSession(pdb, room.id, key.id, streamName, sessionId, call);
    if (opened !== true) {
      // The same connection asking again (a retried callback) gets the same answer and changes nothing.
      if (opened.client_id === call.clientId && opened.addr === call.addr) {
        this.metrics.publishes.inc({ outcome: 'allowed', reason: 'replayed' });
        return { allowed: true, replayed: true };
      }
      return this.refuse(pdb, room.id, 'already_publishing', call);
    }
    await setRoomMedia(pdb, room.id, { playbackUrl: `${this.settings.playbackBaseUrl}/hls/${streamName}.m3u8` });
    if (room.state === 'scheduled') {
      try {
        await this.live().start(pdb, room.id, `media:${sessionId}`);
      } catch (error) {
        // Started meanwhile by an admin: the room is live all the same.
        if (!(isHttpProblem(error) && error.status === 409)) throw error;
      }
    }
    this.metrics.publishes.inc({ outcome: 'allowed', reason: 'ok' });
    this.metrics.liveStreams.inc();
    this.ctx.log.info({ roomId: room.id, platformId: platform.id, sessionId, addr: call.addr }, 'media: publish allowed');
    return { allowed: true, replayed: false };
  }

  /** true when a new session opened; otherwise the room's open session (one per room, a unique index). */
  private async openSession(pdb: PlatformDb, roomId: string, keyId: string, streamName: string, sessionId: string, call: RtmpCall): Promise<true | OpenSession> {
    const open = () => pdb.maybeOne<OpenSession>('select id, client_id, addr from media_sessions where platform_id = $1 and room_id = $2 and ended_at is null', [roomId]);
    const existing = await open();
    if (existing) return existing;
    try {
      await pdb.execute(
        'insert into media_sessions (platform_id, id, room_id, key_id, stream_name, client_id, addr) values ($1, $2, $3, $4, $5, $6, $7)',
        [sessionId, roomId, keyId, streamName, call.clientId.slice(0, 100), call.addr.slice(0, 100)],
      );
      return true;
    } catch (error) {
      if (pgErrorCode(error) !== PgErrorCode.uniqueViolation) throw error;
      const raced = await open();
      if (!raced) throw error;
      return raced;
    }
  }

  private target(name: string): { pdb: PlatformDb; roomId: string } | undefined {
    const named = parseStreamName(name);
    const platform = this.platformFor(named?.platformId);
    return named && platform ? { pdb: this.ctx.platformDb(platform.id), roomId: named.roomId } : undefined;
  }

  async publishDone(call: RtmpCall): Promise<void> {
    const target = this.target(call.name);
    if (!target) return;
    const { pdb, roomId } = target;
    const grace = this.settings.endGraceSeconds;
    const closed = await pdb.transaction(async (tx) => {
      const row = await tx.maybeOne<{ id: string }>(
        `update media_sessions set ended_at = now(), end_reason = 'publish_done'
         where platform_id = $1 and room_id = $2 and client_id = $3 and ended_at is null returning id`,
        [roomId, call.clientId],
      );
      if (row && grace > 0) await this.ctx.events.schedule(tx, new Date(Date.now() + grace * 1000), EVENT_STREAM_GONE, { roomId, sessionId: row.id }, { key: roomId });
      return row;
    });
    if (!closed) return; // a late or repeated callback: the session had already closed
    this.metrics.liveStreams.dec();
    this.ctx.log.info({ roomId, platformId: pdb.platformId, sessionId: closed.id }, 'media: stream stopped');
    if (grace === 0) await this.endIfNoStream(pdb, roomId);
  }

  /**
   * The grace period after a stream stopped is over: a room whose stream did not come back ends. With
   * `sessionId` (the timer of that session's stop), a stream that came back after it and stopped again
   * leaves the room to its own timer, so the room always gets a whole grace period after its last drop.
   */
  async endIfNoStream(pdb: PlatformDb, roomId: string, sessionId?: string): Promise<void> {
    const latest = await pdb.maybeOne<{ id: string; open: boolean }>(
      'select id, ended_at is null as open from media_sessions where platform_id = $1 and room_id = $2 order by started_at desc, id desc limit 1',
      [roomId],
    );
    if (latest?.open) return;
    if (sessionId && latest && latest.id !== sessionId) return;
    const room = await findRoom(pdb, roomId);
    if (room?.state !== 'live') return;
    await setRoomMedia(pdb, roomId, { playbackUrl: null });
    try {
      await this.live().end(pdb, roomId, 'media:stream_gone');
      this.ctx.log.info({ roomId, platformId: pdb.platformId, sessionId, graceSeconds: this.settings.endGraceSeconds }, 'media: the stream did not come back; the room ended');
    } catch (error) {
      if (!(isHttpProblem(error) && error.status === 409)) throw error;
    }
  }

  async recordDone(call: RtmpCall): Promise<void> {
    const target = this.target(call.name);
    if (!target || !call.path) return;
    const { pdb, roomId } = target;
    const file = resolvePath(call.path);
    if (!file.startsWith(this.settings.recordingDir + sep) || !existsSync(file)) {
      this.ctx.log.warn({ path: call.path, recordingDir: this.settings.recordingDir }, 'media: a recording outside SOUK_MEDIA_RECORDING_DIR (or missing) is ignored');
      return;
    }
    const session = await pdb.maybeOne<{ id: string }>(
      `update media_sessions set recording_path = $4 where platform_id = $1 and id = (
         select id from media_sessions where platform_id = $1 and room_id = $2 and client_id = $3 order by id desc limit 1)
       and recording_path is distinct from $4 returning id`,
      [roomId, call.clientId, file],
    );
    if (!session) return; // no such session, or this recording was already handled
    const work = this.finishRecording(pdb, roomId, session.id, file).catch((error: unknown) => {
      this.ctx.log.error({ err: error, roomId, sessionId: session.id }, 'media: the recording could not be prepared for replay');
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** MP4 beside the recording (a remux, no re-encode) and a poster still; then the room's replay points at them. */
  private async finishRecording(pdb: PlatformDb, roomId: string, sessionId: string, file: string): Promise<void> {
    const stem = file.replace(/\.[a-z0-9]+$/i, '');
    const mp4 = `${stem}.mp4`;
    const poster = `${stem}.jpg`;
    await this.timed('remux', () => runFfmpeg(['-i', file, '-c', 'copy', '-movflags', '+faststart', mp4]));
    // A still one second in; a recording shorter than that gets its first frame.
    await this.timed('poster', async () => {
      await runFfmpeg(['-ss', '1', '-i', mp4, '-frames:v', '1', '-q:v', '3', poster]);
      if (!existsSync(poster)) await runFfmpeg(['-i', mp4, '-frames:v', '1', '-q:v', '3', poster]);
    });
    await pdb.execute('update media_sessions set poster_path = $3 where platform_id = $1 and id = $2', [sessionId, poster]);
    const base = `${this.settings.playbackBaseUrl}/recordings`;
    await setRoomMedia(pdb, roomId, { recordingUrl: `${base}/${basename(mp4)}`, posterUrl: `${base}/${basename(poster)}` });
  }

  private async timed(kind: string, job: () => Promise<void>): Promise<void> {
    const end = this.metrics.jobSeconds.startTimer({ kind });
    try {
      await job();
      this.metrics.jobs.inc({ kind, outcome: 'done' });
    } catch (error) {
      this.metrics.jobs.inc({ kind, outcome: 'failed' });
      throw error;
    } finally {
      end();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
