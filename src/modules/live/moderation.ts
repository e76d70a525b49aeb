// Moderation of a room: mute, unmute, kick and delete a message for everyone. Each action is one row of
// live_moderation (the log, newest first in the admin API), written in the transaction that does it;
// bans, slow mode, the keyword filter and changes of a room's staff are recorded through `record` too
// (platform-wide ones with no room). A kicked customer may not join the room again as a customer (it may
// still watch as a guest).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { newId } from '../../kernel/ids.ts';
import { getCustomer } from '../accounts/customer-service.ts';
import { markDeleted } from './messages.ts';
import { messageNotFound } from './problems.ts';
import { getRoom } from './rooms.ts';
import type { KickInput, ModerationEntry, MuteInput } from './schemas.ts';

export type Action =
  | 'mute'
  | 'unmute'
  | 'kick'
  | 'delete_message'
  | 'ban'
  | 'unban'
  | 'slow_mode'
  | 'keywords'
  | 'add_moderator'
  | 'remove_moderator'
  | 'invite_cohost'
  | 'accept_cohost'
  | 'remove_cohost'
  | 'handover';

interface EntryRow {
  id: string;
  room_id: string | null;
  action: Action;
  customer_id: string | null;
  message_id: string | null;
  until: string | null;
  reason: string;
  actor: string;
  details: Record<string, unknown>;
  created_at: string;
}

const COLUMNS = `id, room_id, action, customer_id, message_id, ${iso('until')} as until, reason, actor, details, ${iso('created_at')} as created_at`;

const toEntry = (row: EntryRow): ModerationEntry => ({
  id: row.id,
  roomId: row.room_id,
  action: row.action,
  customerId: row.customer_id,
  messageId: row.message_id,
  until: row.until,
  reason: row.reason,
  actor: row.actor,
  details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
  createdAt: row.created_at,
});

export interface RecordInput {
  action: Action;
  customerId: string | null;
  messageId?: string;
  until?: Date | null;
  reason?: string | undefined;
  actor: string;
  /** What else the action set (slow mode seconds, a ban's scope, the member added…). */
  details?: Record<string, unknown>;
}

/** One row of the log; roomId null for a platform-wide action (a platform ban, the keyword filter). */
export async function record(tx: PlatformDb, roomId: string | null, entry: RecordInput): Promise<ModerationEntry> {
  const [row] = await tx.query<EntryRow>(
    `insert into live_moderation (platform_id, id, room_id, action, customer_id, message_id, until, reason, actor, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) returning ${COLUMNS}`,
    [newId(), roomId, entry.action, entry.customerId, entry.messageId ?? null, entry.until ?? null, entry.reason ?? '', entry.actor, JSON.stringify(entry.details ?? {})],
  );
  return toEntry(row!);
}

/** A customer of this platform, in a room of this platform: anything else is a 404 naming it. */
async function checkTarget(tx: PlatformDb, roomId: string, customerId: string): Promise<void> {
  await getRoom(tx, roomId);
  await getCustomer(tx, customerId);
}

export function mute(pdb: PlatformDb, roomId: string, input: MuteInput, actor: string): Promise<ModerationEntry> {
  return pdb.transaction(async (tx) => {
    await checkTarget(tx, roomId, input.customerId);
    const until = input.minutes ? new Date(Date.now() + input.minutes * 60_000) : null;
    return record(tx, roomId, { action: 'mute', customerId: input.customerId, until, reason: input.reason, actor });
  });
}

export function unmute(pdb: PlatformDb, roomId: string, customerId: string, actor: string): Promise<ModerationEntry> {
  return pdb.transaction(async (tx) => {
    await checkTarget(tx, roomId, customerId);
    return record(tx, roomId, { action: 'unmute', customerId, actor });
  });
}

export function kick(pdb: PlatformDb, roomId: string, input: KickInput, actor: string): Promise<ModerationEntry> {
  return pdb.transaction(async (tx) => {
    await checkTarget(tx, roomId, input.customerId);
    return record(tx, roomId, { action: 'kick', customerId: input.customerId, reason: input.reason, actor });
  });
}

export function deleteMessage(pdb: PlatformDb, roomId: string, messageId: string, actor: string): Promise<ModerationEntry> {
  return pdb.transaction(async (tx) => {
    await getRoom(tx, roomId);
    const deleted = await markDeleted(tx, roomId, messageId);
    if (!deleted) throw messageNotFound(messageId);
    return record(tx, roomId, { action: 'delete_message', customerId: deleted.customerId, messageId, actor });
  });
}

export async function moderationLog(pdb: PlatformDb, roomId: string): Promise<ModerationEntry[]> {
  await getRoom(pdb, roomId);
  const rows = await pdb.query<EntryRow>(`select ${COLUMNS} from live_moderation where platform_id = $1 and room_id = $2 order by id desc limit 500`, [roomId]);
  return rows.map(toEntry);
}

/** The platform's log across rooms and platform-wide actions, newest first, optionally one action only. */
export async function platformModerationLog(pdb: PlatformDb, action: Action | undefined): Promise<ModerationEntry[]> {
  const rows = await pdb.query<EntryRow>(
    `select ${COLUMNS} from live_moderation where platform_id = $1 and ($2::text is null or action = $2) order by id desc limit 500`,
    [action ?? null],
  );
  return rows.map(toEntry);
}

/** Who is muted (until when; Infinity: until unmuted) and who was kicked, as a room is loaded. */
export async function restrictions(pdb: PlatformDb, roomId: string): Promise<{ mutes: Map<string, number>; kicked: Set<string> }> {
  const rows = await pdb.query<{ customer_id: string; action: Action; until: string | null }>(
    `select distinct on (customer_id, action = 'kick') customer_id, action, ${iso('until')} as until from live_moderation
     where platform_id = $1 and room_id = $2 and action in ('mute', 'unmute', 'kick')
     order by customer_id, action = 'kick', id desc`,
    [roomId],
  );
  const mutes = new Map<string, number>();
  const kicked = new Set<string>();
  const now = Date.now();
  for (const row of rows) {
    if (row.action === 'kick') kicked.add(row.customer_id);
    else if (row.action === 'mute') {
      const until = row.until ? Date.parse(row.until) : Infinity;
      if (until > now) mutes.set(row.customer_id, until);
    }
  }
  return { mutes, kicked };
}
