// Moderation beyond phase 1 (bans, slow mode, the keyword filter) and a room's staff (moderators,
// co-hosts, hand-over): the database first, in one transaction with its moderation log row, then the
// effect on every node's viewers, then a system message in the room where viewers should know. The
// admin API (routes-moderation.ts) and moderators' socket frames (moderation-socket.ts) both come here.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { getCustomer } from '../accounts/customer-service.ts';
import { liftBan, putBan, type BanScope } from './bans.ts';
import type { GuardChange } from './hub/guard.ts';
import { listKeywords, replaceKeywords, type Keyword } from './keywords.ts';
import { insertMessages, systemMessage, type SystemParams } from './messages.ts';
import { record } from './moderation.ts';
import { platformAdminOnly } from './problems.ts';
import { getRoom } from './rooms.ts';
import type { LiveRuntime } from './runtime.ts';
import type { BanInput, ModerationEntry } from './schemas.ts';
import { authorName } from './names.ts';
import {
  acceptCohost,
  addModerator,
  handOver,
  hostUserMember,
  inviteCohost,
  listStaff,
  customerMemberOf,
  removeStaff,
  type StaffMember,
} from './staff.ts';

/** Who acts: "<kind>:<id>", and whether it may act platform-wide (hosts and customer moderators may not). */
export interface Actor {
  id: string;
  platformWide: boolean;
}

const customerOf = (member: string) => (member.startsWith('customer:') ? member.slice('customer:'.length) : null);

export class LiveModeration {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly runtime: LiveRuntime,
  ) {}

  /** A system message in the room's history and to every viewer (critical lane): its key and params, and the English text. */
  async notice(pdb: PlatformDb, roomId: string, key: string, text: string, params?: SystemParams): Promise<void> {
    const message = systemMessage(key, text, params);
    await insertMessages(pdb, roomId, [message]);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'message', message });
  }

  /** The customer's shown name, for system messages ("W*** was muted"). */
  async nameOf(pdb: PlatformDb, customerId: string): Promise<string> {
    return authorName(await getCustomer(pdb, customerId));
  }

  private guard(pdb: PlatformDb, roomId: string, change: GuardChange): Promise<void> {
    return this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'guard', change });
  }

  /** A ban of this room or, for platform admins, of every room of the platform. */
  async ban(pdb: PlatformDb, roomId: string | null, input: BanInput, actor: Actor): Promise<ModerationEntry> {
    const scope: BanScope = roomId === null || input.scope === 'platform' ? 'platform' : 'room';
    if (scope === 'platform' && !actor.platformWide) throw platformAdminOnly('A platform-wide ban');
    const until = input.minutes ? new Date(Date.now() + input.minutes * 60_000) : null;
    const entry = await pdb.transaction(async (tx) => {
      if (roomId !== null) await getRoom(tx, roomId);
      await getCustomer(tx, input.customerId);
      await putBan(tx, { customerId: input.customerId, roomId: scope === 'room' ? roomId : null, until, reason: input.reason ?? '', actor: actor.id });
      return record(tx, roomId, { action: 'ban', customerId: input.customerId, until, reason: input.reason, actor: actor.id, details: { scope } });
    });
    const change: GuardChange = { type: 'ban', customerId: input.customerId, scope, until: until?.getTime() ?? null };
    if (scope === 'platform') await this.runtime.hub.platformEffect(pdb.platformId, { kind: 'guard', change });
    else await this.guard(pdb, roomId!, change);
    if (roomId !== null) {
      const name = await this.nameOf(pdb, input.customerId);
      await this.notice(pdb, roomId, `banned_${scope}`, `${name} was banned${scope === 'platform' ? ' from live rooms here' : ' from this room'}.`, { name });
    }
    return entry;
  }

  async unban(pdb: PlatformDb, roomId: string | null, customerId: string, scope: BanScope, actor: Actor): Promise<ModerationEntry> {
    if (scope === 'platform' && !actor.platformWide) throw platformAdminOnly('Lifting a platform-wide ban');
    const entry = await pdb.transaction(async (tx) => {
      if (roomId !== null) await getRoom(tx, roomId);
      await liftBan(tx, customerId, scope === 'room' ? roomId : null);
      return record(tx, roomId, { action: 'unban', customerId, actor: actor.id, details: { scope } });
    });
    const change: GuardChange = { type: 'unban', customerId, scope };
    if (scope === 'platform') await this.runtime.hub.platformEffect(pdb.platformId, { kind: 'guard', change });
    else await this.guard(pdb, roomId!, change);
    return entry;
  }

  /** Seconds between two posts of one customer (0: off); moderators and hosts are not slowed. */
  async slowMode(pdb: PlatformDb, roomId: string, seconds: number, actor: Actor): Promise<ModerationEntry> {
    const entry = await pdb.transaction(async (tx) => {
      const { rowCount } = await tx.execute('update live_rooms set slow_mode_seconds = $3, updated_at = now() where platform_id = $1 and id = $2', [roomId, seconds]);
      if (rowCount === 0) await getRoom(tx, roomId);
      return record(tx, roomId, { action: 'slow_mode', customerId: null, actor: actor.id, details: { seconds } });
    });
    await this.guard(pdb, roomId, { type: 'slow_mode', seconds });
    if (seconds === 0) await this.notice(pdb, roomId, 'slow_mode_off', 'Slow mode is off.');
    else await this.notice(pdb, roomId, 'slow_mode_on', `Slow mode is on: one message every ${seconds} s.`, { seconds });
    return entry;
  }

  keywords(pdb: PlatformDb): Promise<Keyword[]> {
    return listKeywords(pdb);
  }

  async setKeywords(pdb: PlatformDb, keywords: readonly Keyword[], actor: Actor): Promise<Keyword[]> {
    const list = await replaceKeywords(pdb, keywords);
    await record(pdb, null, { action: 'keywords', customerId: null, actor: actor.id, details: { count: list.length } });
    this.runtime.keywords.forget(pdb.platformId);
    return list;
  }

  staff(pdb: PlatformDb, roomId: string): Promise<StaffMember[]> {
    return getRoom(pdb, roomId).then(() => listStaff(pdb, roomId));
  }

  async addModerator(pdb: PlatformDb, roomId: string, target: { customerId?: string | undefined; adminUserId?: string | undefined }, actor: Actor): Promise<StaffMember> {
    // admin_users is read before the transaction: PGlite has one connection, which the transaction holds.
    const hostMember = target.adminUserId !== undefined ? await hostUserMember(this.ctx.db, pdb.platformId, target.adminUserId) : undefined;
    const added = await pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const member = hostMember ?? (await customerMemberOf(tx, target.customerId!));
      const staff = await addModerator(tx, roomId, member, actor.id);
      await record(tx, roomId, { action: 'add_moderator', customerId: customerOf(member), actor: actor.id, details: { member } });
      return staff;
    });
    const customerId = customerOf(added.member);
    if (customerId) {
      await this.guard(pdb, roomId, { type: 'moderator', customerId, on: true });
      const name = await this.nameOf(pdb, customerId);
      await this.notice(pdb, roomId, 'moderator_added', `${name} is now a moderator.`, { name });
    }
    return added;
  }

  async removeModerator(pdb: PlatformDb, roomId: string, memberId: string, actor: Actor): Promise<StaffMember> {
    const removed = await pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const staff = await removeStaff(tx, roomId, memberId, 'moderator');
      await record(tx, roomId, { action: 'remove_moderator', customerId: customerOf(staff.member), actor: actor.id, details: { member: staff.member } });
      return staff;
    });
    const customerId = customerOf(removed.member);
    if (customerId) await this.guard(pdb, roomId, { type: 'moderator', customerId, on: false });
    return removed;
  }

  async inviteCohost(pdb: PlatformDb, roomId: string, adminUserId: string, actor: Actor): Promise<StaffMember> {
    const member = await hostUserMember(this.ctx.db, pdb.platformId, adminUserId);
    const invited = await pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const staff = await inviteCohost(tx, roomId, member, actor.id);
      await record(tx, roomId, { action: 'invite_cohost', customerId: null, actor: actor.id, details: { member } });
      return staff;
    });
    await this.notice(pdb, roomId, 'cohost_invited', 'The host invited a co-host.');
    return invited;
  }

  async acceptCohost(pdb: PlatformDb, roomId: string, actor: Actor): Promise<StaffMember> {
    const accepted = await pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const staff = await acceptCohost(tx, roomId, actor.id);
      await record(tx, roomId, { action: 'accept_cohost', customerId: null, actor: actor.id, details: { member: actor.id } });
      return staff;
    });
    await this.notice(pdb, roomId, 'cohost_joined', 'A co-host joined the room.');
    return accepted;
  }

  async removeCohost(pdb: PlatformDb, roomId: string, memberId: string, actor: Actor): Promise<StaffMember> {
    return pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const staff = await removeStaff(tx, roomId, memberId, 'cohost');
      await record(tx, roomId, { action: 'remove_cohost', customerId: null, actor: actor.id, details: { member: staff.member } });
      return staff;
    });
  }

  async handOver(pdb: PlatformDb, roomId: string, adminUserId: string, actor: Actor): Promise<StaffMember[]> {
    const staff = await pdb.transaction(async (tx) => {
      await getRoom(tx, roomId);
      const to = `admin_user:${adminUserId}`;
      const from = await handOver(tx, roomId, to);
      await record(tx, roomId, { action: 'handover', customerId: null, actor: actor.id, details: { from, to } });
      return listStaff(tx, roomId);
    });
    await this.notice(pdb, roomId, 'handed_over', 'The host handed the room over to a co-host.');
    return staff;
  }
}
