// Admin actions on rooms: the database first (the room's truth), then the effect on the viewers of every
// node that serves the room (hub.effect: here directly, elsewhere through the fan-out).
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { insertMessages, newMessage } from './messages.ts';
import { deleteMessage, kick, mute, unmute } from './moderation.ts';
import { endRoom, getRoom, startRoom, type StateChange, type StoredRoom } from './rooms.ts';
import { roomNotInState } from './problems.ts';
import type { KickInput, Message, ModerationEntry, MuteInput, Room } from './schemas.ts';
import type { LiveRuntime } from './runtime.ts';

export class LiveService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly runtime: LiveRuntime,
  ) {}

  /** The room as the API shows it; likes and viewers as this node knows them when it serves the room. */
  async view(room: StoredRoom): Promise<Room> {
    const { platformId: _platform, ...rest } = room;
    const loaded = await this.runtime.hub.ifLoaded(room.platformId, room.id);
    return { ...rest, likes: loaded?.room.likes ?? room.likes, viewers: loaded?.totalViewers() ?? 0 };
  }

  async start(pdb: PlatformDb, roomId: string, actor: string): Promise<Room> {
    return this.applyState(await startRoom(this.ctx, pdb, roomId, actor));
  }

  async end(pdb: PlatformDb, roomId: string, actor: string): Promise<Room> {
    return this.applyState(await endRoom(this.ctx, pdb, roomId, actor));
  }

  /** A host's message: written, then sent in the critical lane (never dropped). */
  async hostMessage(pdb: PlatformDb, roomId: string, text: string, author: string): Promise<Message> {
    const room = await getRoom(pdb, roomId);
    if (room.state === 'ended') throw roomNotInState(roomId, room.state, 'scheduled or live');
    const message = newMessage('host', author, text);
    await insertMessages(pdb, roomId, [message]);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'message', message });
    const { customerId: _none, ...shown } = message;
    return shown;
  }

  async mute(pdb: PlatformDb, roomId: string, input: MuteInput, actor: string): Promise<ModerationEntry> {
    const entry = await mute(pdb, roomId, input, actor);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'mute', customerId: input.customerId, until: entry.until ? Date.parse(entry.until) : null });
    return entry;
  }

  async unmute(pdb: PlatformDb, roomId: string, customerId: string, actor: string): Promise<ModerationEntry> {
    const entry = await unmute(pdb, roomId, customerId, actor);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'unmute', customerId });
    return entry;
  }

  async kick(pdb: PlatformDb, roomId: string, input: KickInput, actor: string): Promise<ModerationEntry> {
    const entry = await kick(pdb, roomId, input, actor);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'kick', customerId: input.customerId });
    return entry;
  }

  /** Deleted for everyone: out of the table's history, out of every node's, and every viewer told to hide it. */
  async deleteMessage(pdb: PlatformDb, roomId: string, messageId: string, actor: string): Promise<ModerationEntry> {
    // Chat still waiting for its batch is written first, so a message just sent can be deleted too.
    await this.runtime.writer.flush();
    const entry = await deleteMessage(pdb, roomId, messageId, actor);
    await this.runtime.hub.effect(pdb.platformId, roomId, { kind: 'deleted', messageId });
    return entry;
  }

  private async applyState(change: StateChange): Promise<Room> {
    const { platformId, id } = change.room;
    await this.runtime.hub.effect(platformId, id, { kind: 'state', room: change.room });
    await this.runtime.hub.effect(platformId, id, { kind: 'message', message: change.notice });
    return this.view(change.room);
  }
}
