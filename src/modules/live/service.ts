// Admin actions on rooms, with their effect on the viewers this node serves: the database first (the
// room's truth), then the room's channel if it is loaded here. Rooms served by other nodes learn of it
// when they load the room again (cross-node fan-out is a later phase).
import type { ModuleContext } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { encodeFrame } from './hub/lanes.ts';
import type { RoomChannel } from './hub/room-channel.ts';
import { errorFrame } from './frames.ts';
import { insertMessages, newMessage } from './messages.ts';
import { deleteMessage, kick, mute, unmute } from './moderation.ts';
import { endRoom, getRoom, startRoom, type StateChange, type StoredRoom } from './rooms.ts';
import { roomNotInState } from './problems.ts';
import type { KickInput, Message, ModerationEntry, MuteInput, Room } from './schemas.ts';
import type { LiveRuntime } from './runtime.ts';
import { CLOSE_KICKED } from './socket.ts';

export class LiveService {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly runtime: LiveRuntime,
  ) {}

  /** The room as the API shows it, with the viewers this node serves. */
  async view(room: StoredRoom): Promise<Room> {
    const { platformId: _platform, ...rest } = room;
    const loaded = await this.loaded(room.platformId, room.id);
    return { ...rest, likes: loaded?.room.likes ?? room.likes, viewers: loaded?.viewers.size ?? 0 };
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
    (await this.loaded(pdb.platformId, roomId))?.publish(message);
    const { customerId: _none, ...shown } = message;
    return shown;
  }

  async mute(pdb: PlatformDb, roomId: string, input: MuteInput, actor: string): Promise<ModerationEntry> {
    const entry = await mute(pdb, roomId, input, actor);
    const channel = await this.loaded(pdb.platformId, roomId);
    if (channel) {
      channel.mutes.set(input.customerId, entry.until ? Date.parse(entry.until) : Infinity);
      this.tell(channel, input.customerId, { type: 'moderation', action: 'mute', until: entry.until });
    }
    return entry;
  }

  async unmute(pdb: PlatformDb, roomId: string, customerId: string, actor: string): Promise<ModerationEntry> {
    const entry = await unmute(pdb, roomId, customerId, actor);
    const channel = await this.loaded(pdb.platformId, roomId);
    if (channel) {
      channel.mutes.delete(customerId);
      this.tell(channel, customerId, { type: 'moderation', action: 'unmute' });
    }
    return entry;
  }

  async kick(pdb: PlatformDb, roomId: string, input: KickInput, actor: string): Promise<ModerationEntry> {
    const entry = await kick(pdb, roomId, input, actor);
    const channel = await this.loaded(pdb.platformId, roomId);
    if (channel) {
      channel.kicked.add(input.customerId);
      for (const viewer of channel.viewers) {
        if (viewer.customerId !== input.customerId) continue;
        viewer.queue.send(encodeFrame(errorFrame('kicked', 'A moderator removed you from this room.')), 'critical');
        viewer.close(CLOSE_KICKED, 'kicked');
      }
    }
    return entry;
  }

  /** Deleted for everyone: out of the table's history, out of this node's, and every viewer told to hide it. */
  async deleteMessage(pdb: PlatformDb, roomId: string, messageId: string, actor: string): Promise<ModerationEntry> {
    // Chat still waiting for its batch is written first, so a message just sent can be deleted too.
    await this.runtime.writer.flush();
    const entry = await deleteMessage(pdb, roomId, messageId, actor);
    (await this.loaded(pdb.platformId, roomId))?.remove(messageId);
    return entry;
  }

  private async applyState(change: StateChange): Promise<Room> {
    const channel = await this.loaded(change.room.platformId, change.room.id);
    if (channel) {
      channel.room = { ...change.room, likes: channel.room.likes };
      channel.broadcast({ type: 'state', state: change.room.state }, 'critical');
      channel.publish(change.notice);
    }
    return this.view(change.room);
  }

  private loaded(platformId: string, roomId: string): Promise<RoomChannel | undefined> {
    return this.runtime.hub.ifLoaded(platformId, roomId);
  }

  /** A critical frame to every socket of one customer in the room. */
  private tell(channel: RoomChannel, customerId: string, value: unknown): void {
    const frame = encodeFrame(value);
    for (const viewer of channel.viewers) if (viewer.customerId === customerId) viewer.queue.send(frame, 'critical');
  }
}
