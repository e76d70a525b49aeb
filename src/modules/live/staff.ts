// Who runs a room besides platform admins: its main host, co-hosts and moderators (live_room_staff).
// A member is "admin_user:<id>" or "api_key:<id>" (a principal with the host role) or "customer:<id>" (a
// moderator who acts from the chat socket). Co-hosts are invited and become co-hosts when they accept;
// a hand-over makes an active co-host the main host and the old main host a co-host.
import type { AdminPrincipal } from '../../kernel/context.ts';
import type { Database } from '../../kernel/db/types.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { getCustomer } from '../accounts/customer-service.ts';
import { notHostUser, staffConflict, staffNotFound } from './problems.ts';
import { createRoom, type StoredRoom } from './rooms.ts';
import type { RoomInput } from './schemas.ts';

export type StaffRole = 'host' | 'cohost' | 'moderator';
export type StaffState = 'invited' | 'active';

export interface StaffMember {
  member: string;
  role: StaffRole;
  state: StaffState;
  addedBy: string;
  createdAt: string;
}

interface StaffRow {
  member: string;
  role: StaffRole;
  state: StaffState;
  added_by: string;
  created_at: string;
}

const COLUMNS = `member, role, state, added_by, ${iso('created_at')} as created_at`;
const toMember = (row: StaffRow): StaffMember => ({ member: row.member, role: row.role, state: row.state, addedBy: row.added_by, createdAt: row.created_at });

export const customerMember = (customerId: string) => `customer:${customerId}`;

export async function listStaff(pdb: PlatformDb, roomId: string): Promise<StaffMember[]> {
  const rows = await pdb.query<StaffRow>(`select ${COLUMNS} from live_room_staff where platform_id = $1 and room_id = $2 order by role, created_at`, [roomId]);
  return rows.map(toMember);
}

export async function staffOf(pdb: PlatformDb, roomId: string, member: string): Promise<StaffMember | undefined> {
  const row = await pdb.maybeOne<StaffRow>(`select ${COLUMNS} from live_room_staff where platform_id = $1 and room_id = $2 and member = $3`, [roomId, member]);
  return row ? toMember(row) : undefined;
}

/** Customer ids of the room's customer moderators, as a room is loaded. */
export async function customerModerators(pdb: PlatformDb, roomId: string): Promise<Set<string>> {
  const rows = await pdb.query<{ member: string }>(
    `select member from live_room_staff where platform_id = $1 and room_id = $2 and role = 'moderator' and member like 'customer:%'`,
    [roomId],
  );
  return new Set(rows.map((r) => r.member.slice('customer:'.length)));
}

async function insert(tx: PlatformDb, roomId: string, member: string, role: StaffRole, state: StaffState, addedBy: string): Promise<StaffMember> {
  const [row] = await tx.query<StaffRow>(
    `insert into live_room_staff (platform_id, room_id, member, role, state, added_by) values ($1, $2, $3, $4, $5, $6)
     on conflict (platform_id, room_id, member) do nothing returning ${COLUMNS}`,
    [roomId, member, role, state, addedBy],
  );
  if (!row) throw staffConflict(member, (await staffOf(tx, roomId, member))?.role ?? 'staff');
  return toMember(row);
}

/** Creates a room; a creator with the host role becomes its main host (a platform admin's room has none yet). */
export function createRoomAs(pdb: PlatformDb, input: RoomInput, principal: AdminPrincipal): Promise<StoredRoom> {
  return pdb.transaction(async (tx) => {
    const room = await createRoom(tx, input);
    if (principal.role === 'host') {
      const member = `${principal.kind}:${principal.id}`;
      await insert(tx, room.id, member, 'host', 'active', member);
    }
    return room;
  });
}

/**
 * An admin user with the host role on this platform, as a member key; anything else (unknown, another
 * role, not on this platform, disabled) is a 422 naming it. admin_users is global: read through the
 * system database.
 */
export async function hostUserMember(db: Database, platformId: string, adminUserId: string): Promise<string> {
  const [row] = await db.query<{ role: string; platform_ids: string[]; disabled_at: Date | null }>(
    'select role, platform_ids, disabled_at from admin_users where id = $1',
    [adminUserId],
  );
  if (!row || row.role !== 'host' || row.disabled_at !== null || !row.platform_ids.includes(platformId)) throw notHostUser(adminUserId);
  return `admin_user:${adminUserId}`;
}

/** A customer of this platform (404 otherwise), as a member key. */
export async function customerMemberOf(tx: PlatformDb, customerId: string): Promise<string> {
  await getCustomer(tx, customerId);
  return customerMember(customerId);
}

export function addModerator(tx: PlatformDb, roomId: string, member: string, addedBy: string): Promise<StaffMember> {
  return insert(tx, roomId, member, 'moderator', 'active', addedBy);
}

export function inviteCohost(tx: PlatformDb, roomId: string, member: string, addedBy: string): Promise<StaffMember> {
  return insert(tx, roomId, member, 'cohost', 'invited', addedBy);
}

/** Removes a moderator or co-host (the main host leaves only by handing over). */
export async function removeStaff(tx: PlatformDb, roomId: string, memberId: string, role: 'moderator' | 'cohost'): Promise<StaffMember> {
  const [row] = await tx.query<StaffRow>(
    `delete from live_room_staff where platform_id = $1 and room_id = $2 and role = $3 and member in ($4, $5, $6) returning ${COLUMNS}`,
    [roomId, role, `customer:${memberId}`, `admin_user:${memberId}`, `api_key:${memberId}`],
  );
  if (!row) throw staffNotFound(memberId, role);
  return toMember(row);
}

/** The invitee accepts: invited → active. */
export async function acceptCohost(tx: PlatformDb, roomId: string, member: string): Promise<StaffMember> {
  const [row] = await tx.query<StaffRow>(
    `update live_room_staff set state = 'active' where platform_id = $1 and room_id = $2 and member = $3 and role = 'cohost' and state = 'invited' returning ${COLUMNS}`,
    [roomId, member],
  );
  if (!row) throw staffNotFound(member, 'invited co-host');
  return toMember(row);
}

/**
 * An active co-host becomes the main host; the main host before becomes a co-host. A room without a
 * main host (created by a platform admin) gets one. Returns the previous main host, if any.
 */
export async function handOver(tx: PlatformDb, roomId: string, to: string): Promise<string | null> {
  const target = await staffOf(tx, roomId, to);
  if (!target || target.role !== 'cohost' || target.state !== 'active') throw staffNotFound(to, 'active co-host');
  const [previous] = await tx.query<{ member: string }>(
    `update live_room_staff set role = 'cohost' where platform_id = $1 and room_id = $2 and role = 'host' returning member`,
    [roomId],
  );
  await tx.execute(`update live_room_staff set role = 'host' where platform_id = $1 and room_id = $2 and member = $3`, [roomId, to]);
  return previous?.member ?? null;
}
