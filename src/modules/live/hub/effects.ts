// What can happen to a room, as one value: applied to this node's channel and, through the fan-out, to
// the same room's channel on every other node. Admin actions and posts change a room only through these,
// so a viewer sees the same room whichever node it is connected to.
import { errorFrame } from '../frames.ts';
import type { GuardChange } from './guard.ts';
import { encodeFrame, type Lane } from './lanes.ts';
import type { RoomChannel, RoomMessage, RoomSnapshot } from './room-channel.ts';

export const CLOSE_KICKED = 4403;

export type RoomEffect =
  | { kind: 'message'; message: RoomMessage }
  | { kind: 'deleted'; messageId: string }
  | { kind: 'state'; room: RoomSnapshot }
  /** until: ms since epoch, or null for "until unmuted" (JSON has no Infinity). */
  | { kind: 'mute'; customerId: string; until: number | null }
  | { kind: 'unmute'; customerId: string }
  | { kind: 'kick'; customerId: string }
  /** Bans, moderators, slow mode (guard.ts); a platform ban travels to every room of the platform. */
  | { kind: 'guard'; change: GuardChange }
  /** Another node's viewers of the room and the taps it counted since its last tally (remote only). */
  | { kind: 'tally'; viewers: number; likes: number }
  /**
   * A frame for every viewer, in a lane (gifts, product cards, purchase notices). With keep, it is also
   * the room's current state under that name (the pinned card), given to joiners.
   */
  | { kind: 'broadcast'; frame: unknown; lane: Lane; keep?: string };

/** A critical frame to every socket of one customer in the room. */
function tell(channel: RoomChannel, customerId: string, value: unknown): void {
  const frame = encodeFrame(value);
  for (const viewer of channel.viewers) if (viewer.customerId === customerId) viewer.queue.send(frame, 'critical');
}

export function applyEffect(channel: RoomChannel, effect: RoomEffect, origin: string): void {
  switch (effect.kind) {
    case 'message':
      channel.publish(effect.message);
      return;
    case 'deleted':
      channel.remove(effect.messageId);
      return;
    case 'state':
      // Likes are counted per node; the room row's count may lag this node's.
      channel.room = { ...effect.room, likes: channel.room.likes };
      channel.broadcast({ type: 'state', state: effect.room.state }, 'critical');
      return;
    case 'mute':
      channel.mutes.set(effect.customerId, effect.until ?? Infinity);
      tell(channel, effect.customerId, { type: 'moderation', action: 'mute', until: effect.until === null ? null : new Date(effect.until).toISOString() });
      return;
    case 'unmute':
      channel.mutes.delete(effect.customerId);
      tell(channel, effect.customerId, { type: 'moderation', action: 'unmute' });
      return;
    case 'kick':
      channel.kicked.add(effect.customerId);
      for (const viewer of channel.viewers) {
        if (viewer.customerId !== effect.customerId) continue;
        viewer.queue.send(encodeFrame(errorFrame('kicked', 'A moderator removed you from this room.')), 'critical');
        viewer.close(CLOSE_KICKED, 'kicked');
      }
      return;
    case 'guard':
      channel.guard.apply(effect.change, channel.viewers);
      return;
    case 'tally':
      channel.tally(origin, effect.viewers, effect.likes);
      return;
    case 'broadcast':
      if (effect.keep) channel.kept.set(effect.keep, effect.frame);
      channel.broadcast(effect.frame, effect.lane);
      return;
  }
}
