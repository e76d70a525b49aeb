// Live rooms of one platform: create, read, list, and the state machine scheduled → live → ended. Going
// live or ending writes the state, a system message for the room's history and the event in one
// transaction.
import { rowsToFetch, takePage } from '../../kernel/page.ts';
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, iso } from '../../kernel/cursor.ts';
import { newId } from '../../kernel/ids.ts';
import { EVENT_ROOM_ENDED, EVENT_ROOM_STARTED } from './events.ts';
import type { RoomMessage, RoomSnapshot } from './hub/room-channel.ts';
import { insertMessages, systemMessage } from './messages.ts';
import { roomNotFound, roomNotInState } from './problems.ts';
import type { RoomInput, RoomsQuery, RoomState } from './schemas.ts';

interface RoomRow {
  id: string;
  platform_id: string;
  title: string;
  cover_url: string | null;
  hosts: string[];
  product_ids: string[];
  state: RoomState;
  scheduled_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  likes: string | number;
  created_at: string;
  playback_url: string | null;
  recording_url: string | null;
  poster_url: string | null;
}

const COLUMNS = `id, platform_id, title, cover_url, hosts, product_ids, state, ${iso('scheduled_at')} as scheduled_at,
  ${iso('started_at')} as started_at, ${iso('ended_at')} as ended_at, likes, ${iso('created_at')} as created_at,
  playback_url, recording_url, poster_url`;

export interface StoredRoom extends RoomSnapshot, RoomMedia {
  createdAt: string;
}

/** The room's video, set by the media module: the HLS playlist while live, the recording and its poster after. */
export interface RoomMedia {
  playbackUrl: string | null;
  recordingUrl: string | null;
  posterUrl: string | null;
}

function toRoom(row: RoomRow): StoredRoom {
  return {
    id: row.id,
    platformId: row.platform_id,
    title: row.title,
    coverUrl: row.cover_url,
    hosts: row.hosts,
    productIds: row.product_ids,
    state: row.state,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    likes: Number(row.likes),
    createdAt: row.created_at,
    playbackUrl: row.playback_url,
    recordingUrl: row.recording_url,
    posterUrl: row.poster_url,
  };
}

export async function createRoom(pdb: PlatformDb, input: RoomInput): Promise<StoredRoom> {
  const [row] = await pdb.query<RoomRow>(
    `insert into live_rooms (platform_id, id, title, cover_url, scheduled_at, hosts, product_ids)
     values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
    [newId(), input.title, input.coverUrl ?? null, input.scheduledAt ?? null, input.hosts ?? [], input.productIds ?? []],
  );
  return toRoom(row!);
}

export async function findRoom(pdb: PlatformDb, roomId: string): Promise<StoredRoom | undefined> {
  const row = await pdb.maybeOne<RoomRow>(`select ${COLUMNS} from live_rooms where platform_id = $1 and id = $2`, [roomId]);
  return row ? toRoom(row) : undefined;
}

export async function getRoom(pdb: PlatformDb, roomId: string): Promise<StoredRoom> {
  const room = await findRoom(pdb, roomId);
  if (!room) throw roomNotFound(roomId);
  return room;
}

/** Newest first, by state if asked; keyset pages on the id. */
export async function listRooms(pdb: PlatformDb, query: RoomsQuery): Promise<{ items: StoredRoom[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const [after] = query.cursor ? decodeCursor(query.cursor, 1) : [null];
  const rows = await pdb.query<RoomRow>(
    `select ${COLUMNS} from live_rooms where platform_id = $1 and ($2::text is null or state = $2) and ($3::uuid is null or id < $3)
     order by id desc limit $4`,
    [query.state ?? null, after, rowsToFetch(limit)],
  );
  return takePage(rows, limit, toRoom, (last) => encodeCursor([last.id]));
}

/** What the storefront lists: live rooms, then upcoming ones soonest first (at most 100). */
export async function listLiveAndUpcoming(pdb: PlatformDb): Promise<StoredRoom[]> {
  const rows = await pdb.query<RoomRow>(
    `select ${COLUMNS} from live_rooms where platform_id = $1 and state in ('live', 'scheduled')
     order by state = 'live' desc, coalesce(started_at, scheduled_at) nulls last, id limit 100`,
  );
  return rows.map(toRoom);
}

export interface StateChange {
  room: StoredRoom;
  /** The system message the change wrote to the room's history. */
  notice: RoomMessage;
}

/** scheduled → live: the room opens for chat. */
export function startRoom(ctx: ModuleContext, pdb: PlatformDb, roomId: string, actor: string): Promise<StateChange> {
  return changeState(pdb, roomId, 'scheduled', 'live', 'started_at', ['room_live', 'The room is live.'], async (tx, room) => {
    await ctx.events.emit(tx, EVENT_ROOM_STARTED, { roomId, title: room.title, startedAt: room.startedAt!, actor }, { key: roomId });
  });
}

/** live → ended: chat closes; history stays. */
export function endRoom(ctx: ModuleContext, pdb: PlatformDb, roomId: string, actor: string): Promise<StateChange> {
  return changeState(pdb, roomId, 'live', 'ended', 'ended_at', ['room_ended', 'The room has ended. Thank you for watching!'], async (tx, room) => {
    await ctx.events.emit(tx, EVENT_ROOM_ENDED, { roomId, endedAt: room.endedAt!, likes: room.likes, actor }, { key: roomId });
  });
}

async function changeState(
  pdb: PlatformDb,
  roomId: string,
  from: RoomState,
  to: RoomState,
  stamp: 'started_at' | 'ended_at',
  [key, text]: [key: string, text: string],
  emit: (tx: PlatformDb, room: StoredRoom) => Promise<void>,
): Promise<StateChange> {
  return pdb.transaction(async (tx) => {
    // A conditional update, so two admins pressing "start" at once make one start and one 409.
    const [row] = await tx.query<RoomRow>(
      `update live_rooms set state = $3, ${stamp} = now(), updated_at = now() where platform_id = $1 and id = $2 and state = $4 returning ${COLUMNS}`,
      [roomId, to, from],
    );
    if (!row) {
      const current = await findRoom(tx, roomId);
      if (!current) throw roomNotFound(roomId);
      throw roomNotInState(roomId, current.state, from);
    }
    const room = toRoom(row);
    const notice = systemMessage(key, text);
    await insertMessages(tx, roomId, [notice]);
    await emit(tx, room);
    return { room, notice };
  });
}

export async function addLikes(pdb: PlatformDb, roomId: string, taps: number): Promise<void> {
  await pdb.execute('update live_rooms set likes = likes + $3 where platform_id = $1 and id = $2', [roomId, taps]);
}

/** Sets the fields given (the media module: playback URL when the stream is authorised, recording and poster after). */
export async function setRoomMedia(pdb: PlatformDb, roomId: string, media: Partial<RoomMedia>): Promise<void> {
  const value = (key: keyof RoomMedia) => (key in media ? (media[key] ?? null) : undefined);
  await pdb.execute(
    `update live_rooms set playback_url = case when $3 then $4 else playback_url end,
       recording_url = case when $5 then $6 else recording_url end,
       poster_url = case when $7 then $8 else poster_url end, updated_at = now()
     where platform_id = $1 and id = $2`,
    [roomId, 'playbackUrl' in media, value('playbackUrl') ?? null, 'recordingUrl' in media, value('recordingUrl') ?? null, 'posterUrl' in media, value('posterUrl') ?? null],
  );
}
