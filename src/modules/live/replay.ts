// A room's replay after it ended (GET /store/live/rooms/:roomId/replay?since=&limit=): its messages as
// viewers saw them (deleted ones left out, no customer ids), oldest first, in pages keyed by message id
// (UUIDv7, so later messages sort after). With NATS the replay is read from the room's JetStream history
// (history.ts), merged with the table, which covers messages older than the stream keeps; the merged
// list of a room is kept for a minute, so paging through it reads the stream once. Without NATS, each
// page is one keyset query on the table. A room still scheduled or live answers 409 (no replay yet).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { publicMessage, type RoomMessage } from './hub/room-channel.ts';
import { mergeHistory, type RoomHistory } from './history.ts';
import { messageOfRow } from './messages.ts';
import { roomNotFound, roomNotInState } from './problems.ts';
import { findRoom } from './rooms.ts';
import type { Message } from './schemas.ts';

/** The most a replay holds from the stream (a longer room's older messages come from the table only). */
const MAX_STREAM_ENTRIES = 200_000;
const KEEP_MS = 60_000;
const DEFAULT_LIMIT = 100;

export interface ReplayPage {
  items: Message[];
  /** The since of the next page; null on the last one. */
  nextSince: string | null;
}

/** Merged replays by room, for a minute. */
export class ReplayCache {
  private readonly kept = new Map<string, { at: number; messages: Promise<RoomMessage[]> }>();

  get(key: string, load: () => Promise<RoomMessage[]>): Promise<RoomMessage[]> {
    const now = Date.now();
    for (const [k, entry] of this.kept) if (now - entry.at > KEEP_MS) this.kept.delete(k);
    let entry = this.kept.get(key);
    if (!entry) {
      entry = { at: now, messages: load() };
      entry.messages.catch(() => this.kept.delete(key));
      this.kept.set(key, entry);
    }
    return entry.messages;
  }
}

async function tableMessages(pdb: PlatformDb, roomId: string, since: string | null, limit: number): Promise<RoomMessage[]> {
  const rows = await pdb.query<Parameters<typeof messageOfRow>[0]>(
    `select id, kind, author, body, ${iso('created_at')} as at, text_key, text_params from live_messages
     where platform_id = $1 and room_id = $2 and deleted_at is null and ($3::uuid is null or id > $3) order by id limit $4`,
    [roomId, since, limit],
  );
  return rows.map(messageOfRow);
}

/** What a replay reads of the module's runtime (a narrow view, so runtime.ts can own the cache without a loop). */
export interface ReplaySources {
  history?: RoomHistory | undefined;
  replays: ReplayCache;
  writer: { flush(): Promise<void> };
}

export async function replayPage(pdb: PlatformDb, runtime: ReplaySources, roomId: string, query: { since?: string; limit?: number }): Promise<ReplayPage> {
  const room = await findRoom(pdb, roomId);
  if (!room) throw roomNotFound(roomId);
  if (room.state !== 'ended') throw roomNotInState(roomId, room.state, 'ended (the replay opens when the room ends)');
  const limit = query.limit ?? DEFAULT_LIMIT;
  const since = query.since?.toLowerCase() ?? null;
  let page: RoomMessage[];
  const history = runtime.history;
  if (history) {
    const all = await runtime.replays.get(`${pdb.platformId}:${roomId}`, async () => {
      await runtime.writer.flush();
      const [table, stream] = await Promise.all([tableMessages(pdb, roomId, null, MAX_STREAM_ENTRIES), history.all(pdb.platformId, roomId, MAX_STREAM_ENTRIES)]);
      return mergeHistory(table, stream, Infinity);
    });
    const from = since === null ? 0 : all.findIndex((m) => m.id > since);
    page = from < 0 ? [] : all.slice(from, from + limit + 1);
  } else {
    await runtime.writer.flush();
    page = await tableMessages(pdb, roomId, since, limit + 1);
  }
  const more = page.length > limit;
  const items = page.slice(0, limit);
  return { items: items.map(publicMessage), nextSince: more ? items.at(-1)!.id : null };
}
