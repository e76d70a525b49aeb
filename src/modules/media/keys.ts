// Stream keys: one usable publish key per live room. What a host pastes into OBS or ffmpeg as the stream
// key is `<platform id>_<room id>?key=<secret>`: the part before `?` is the stream's public name (the
// media server names the HLS playlist and the recording after it, and passes the part after `?` to the
// callback as a form field), the secret is 24 random bytes of which only the SHA-256 is stored, so it is
// shown once, when it is made. Making a new key revokes the old one in the same transaction (rotation);
// revoking leaves the room without a key.
import { randomBytes } from 'node:crypto';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { newId, sha256 } from '../../kernel/ids.ts';
import type { StoredRoom } from '../live/rooms.ts';
import type { KeyWindow } from './settings.ts';

const STREAM_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface StreamKeyRecord {
  id: string;
  roomId: string;
  hint: string;
  createdAt: string;
  revokedAt: string | null;
}

interface KeyRow {
  id: string;
  room_id: string;
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

const COLUMNS = `id, room_id, hint, ${iso('created_at')} as created_at, ${iso('revoked_at')} as revoked_at`;
const toRecord = (row: KeyRow): StreamKeyRecord => ({ id: row.id, roomId: row.room_id, hint: row.hint, createdAt: row.created_at, revokedAt: row.revoked_at });

/** The public name a room's stream is published under: the HLS playlist's and the recording's name. */
export const streamNameOf = (platformId: string, roomId: string) => `${platformId}_${roomId}`;

/** The platform and room a stream name stands for, or undefined for any other text. */
export function parseStreamName(name: string): { platformId: string; roomId: string } | undefined {
  const match = STREAM_RE.exec(name);
  return match ? { platformId: match[1]!, roomId: match[2]! } : undefined;
}

/** What the host's tool takes as its stream key: the stream's name and the secret as its argument. */
export const streamKeyText = (platformId: string, roomId: string, secret: string) => `${streamNameOf(platformId, roomId)}?key=${secret}`;

const hashKey = (secret: string) => sha256(secret);

/** A new secret for the room, replacing (revoking) the one it had. Returns the secret: the only time it is seen. */
export async function issueKey(pdb: PlatformDb, roomId: string, actor: string): Promise<{ key: string; record: StreamKeyRecord }> {
  const key = randomBytes(24).toString('base64url');
  const record = await pdb.transaction(async (tx) => {
    await tx.execute('update media_stream_keys set revoked_at = now() where platform_id = $1 and room_id = $2 and revoked_at is null', [roomId]);
    const [row] = await tx.query<KeyRow>(
      `insert into media_stream_keys (platform_id, id, room_id, key_hash, hint, created_by) values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
      [newId(), roomId, hashKey(key), key.slice(-4), actor],
    );
    return toRecord(row!);
  });
  return { key, record };
}

export async function activeKey(pdb: PlatformDb, roomId: string): Promise<StreamKeyRecord | undefined> {
  const row = await pdb.maybeOne<KeyRow>(`select ${COLUMNS} from media_stream_keys where platform_id = $1 and room_id = $2 and revoked_at is null`, [roomId]);
  return row ? toRecord(row) : undefined;
}

export async function revokeKey(pdb: PlatformDb, roomId: string): Promise<StreamKeyRecord | undefined> {
  const row = await pdb.maybeOne<KeyRow>(
    `update media_stream_keys set revoked_at = now() where platform_id = $1 and room_id = $2 and revoked_at is null returning ${COLUMNS}`,
    [roomId],
  );
  return row ? toRecord(row) : undefined;
}

/** The room's usable key, if this is its secret. */
export async function findUsableKey(pdb: PlatformDb, roomId: string, secret: string): Promise<StreamKeyRecord | undefined> {
  const row = await pdb.maybeOne<KeyRow>(
    `select ${COLUMNS} from media_stream_keys where platform_id = $1 and room_id = $2 and key_hash = $3 and revoked_at is null`,
    [roomId, hashKey(secret)],
  );
  return row ? toRecord(row) : undefined;
}

/** When a room's key works: around its schedule; an unscheduled room's key works until the room ends. */
export function keyWindow(room: Pick<StoredRoom, 'scheduledAt'>, window: KeyWindow): { opensAt: string | null; closesAt: string | null } {
  if (!room.scheduledAt) return { opensAt: null, closesAt: null };
  const at = Date.parse(room.scheduledAt);
  return { opensAt: new Date(at - window.beforeMs).toISOString(), closesAt: new Date(at + window.afterMs).toISOString() };
}

/** Why a room may not go live on a publish now, or undefined when it may (a live room may resume). */
export function publishRefusal(room: Pick<StoredRoom, 'state' | 'scheduledAt'>, window: KeyWindow, now: number): string | undefined {
  if (room.state === 'ended') return 'room_ended';
  if (room.state === 'live') return undefined;
  const { opensAt, closesAt } = keyWindow(room, window);
  if (opensAt && now < Date.parse(opensAt)) return 'too_early';
  if (closesAt && now > Date.parse(closesAt)) return 'too_late';
  return undefined;
}
