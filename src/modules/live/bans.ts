// Bans (live_bans): a customer kept out of one room or every room of the platform, until a time or until
// lifted. A banned customer cannot join as that customer (it may still watch as a guest, like a kicked
// one) and its open sockets are closed. A new ban of the same customer and scope replaces the old one.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { iso } from '../../kernel/cursor.ts';
import { newId } from '../../kernel/ids.ts';
import { banNotFound } from './problems.ts';

export type BanScope = 'room' | 'platform';

export interface BanRow {
  customer_id: string;
  room_id: string | null;
  until: string | null;
}

export async function putBan(
  tx: PlatformDb,
  input: { customerId: string; roomId: string | null; until: Date | null; reason: string; actor: string },
): Promise<void> {
  // Replacing is delete then insert: the partial unique indexes differ by scope, so one upsert cannot name both.
  await tx.execute(
    `delete from live_bans where platform_id = $1 and customer_id = $2 and room_id is not distinct from $3::uuid`,
    [input.customerId, input.roomId],
  );
  await tx.execute(
    `insert into live_bans (platform_id, id, customer_id, room_id, until, reason, actor) values ($1, $2, $3, $4, $5, $6, $7)`,
    [newId(), input.customerId, input.roomId, input.until, input.reason, input.actor],
  );
}

/** Lifts a ban; 404 when there is none in that scope. */
export async function liftBan(tx: PlatformDb, customerId: string, roomId: string | null): Promise<void> {
  const { rowCount } = await tx.execute(
    `delete from live_bans where platform_id = $1 and customer_id = $2 and room_id is not distinct from $3::uuid`,
    [customerId, roomId],
  );
  if (rowCount === 0) throw banNotFound(customerId, roomId === null ? 'platform' : 'room');
}

/** The bans still in force for one room: its own and the platform's (ms since epoch; Infinity: until lifted). */
export async function bansOf(pdb: PlatformDb, roomId: string): Promise<{ room: Map<string, number>; platform: Map<string, number> }> {
  const rows = await pdb.query<BanRow>(
    `select customer_id, room_id, ${iso('until')} as until from live_bans
     where platform_id = $1 and (room_id = $2 or room_id is null) and (until is null or until > now())`,
    [roomId],
  );
  const room = new Map<string, number>();
  const platform = new Map<string, number>();
  for (const row of rows) (row.room_id === null ? platform : room).set(row.customer_id, row.until ? Date.parse(row.until) : Infinity);
  return { room, platform };
}

export interface BanView {
  customerId: string;
  roomId: string | null;
  until: string | null;
  reason: string;
  actor: string;
  createdAt: string;
}

/** The platform's bans in force, newest first (the latest 500), optionally of one room (and the platform's). */
export async function listBans(pdb: PlatformDb, roomId: string | null): Promise<BanView[]> {
  const rows = await pdb.query<{ customer_id: string; room_id: string | null; until: string | null; reason: string; actor: string; created_at: string }>(
    `select customer_id, room_id, ${iso('until')} as until, reason, actor, ${iso('created_at')} as created_at from live_bans
     where platform_id = $1 and ($2::uuid is null or room_id = $2 or room_id is null) and (until is null or until > now())
     order by id desc limit 500`,
    [roomId],
  );
  return rows.map((r) => ({ customerId: r.customer_id, roomId: r.room_id, until: r.until, reason: r.reason, actor: r.actor, createdAt: r.created_at }));
}
