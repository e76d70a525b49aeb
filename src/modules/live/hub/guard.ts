// A room's guard on this node: who is banned (from this room or the whole platform, until when), which
// customers moderate it, and slow mode with each poster's last post. Loaded with the room, then kept in
// step by `guard` effects (from this node's admin actions or, through the fan-out, another node's).
import { errorFrame } from '../frames.ts';
import { encodeFrame, type Frame, type Lane } from './lanes.ts';

/** The part of a room's viewer the guard needs (room-channel.ts's Viewer). */
interface GuardedViewer {
  customerId: string | null;
  queue: { send(frame: Frame, lane: Lane): void };
  close(code: number, reason: string): void;
}

export const CLOSE_BANNED = 4403;

export interface GuardState {
  /** Customer id → banned until (ms since epoch, Infinity: until lifted), room bans and platform bans apart. */
  roomBans: Map<string, number>;
  platformBans: Map<string, number>;
  /** Customer ids of the room's moderators (admins moderate through the admin API). */
  moderators: Set<string>;
  slowModeSeconds: number;
}

/** A change to the guard, as it travels between nodes (until: ms since epoch, or null for "until lifted"). */
export type GuardChange =
  | { type: 'ban'; customerId: string; scope: 'room' | 'platform'; until: number | null }
  | { type: 'unban'; customerId: string; scope: 'room' | 'platform' }
  | { type: 'moderator'; customerId: string; on: boolean }
  | { type: 'slow_mode'; seconds: number };

export const emptyGuardState = (): GuardState => ({ roomBans: new Map(), platformBans: new Map(), moderators: new Set(), slowModeSeconds: 0 });

function activeUntil(map: Map<string, number>, customerId: string, now: number): boolean {
  const until = map.get(customerId);
  if (until === undefined) return false;
  if (until > now) return true;
  map.delete(customerId);
  return false;
}

export class RoomGuard {
  readonly state: GuardState;
  /** Customer id → when it last posted here (slow mode; per node, so two nodes may each let one post through). */
  private readonly lastPost = new Map<string, number>();

  constructor(state: GuardState = emptyGuardState()) {
    this.state = state;
  }

  isBanned(customerId: string, now = Date.now()): boolean {
    return activeUntil(this.state.roomBans, customerId, now) || activeUntil(this.state.platformBans, customerId, now);
  }

  isModerator(customerId: string): boolean {
    return this.state.moderators.has(customerId);
  }

  /** Seconds the customer still has to wait under slow mode (0: may post now, and the post is counted). */
  slowModeWait(customerId: string, now = Date.now()): number {
    const seconds = this.state.slowModeSeconds;
    if (seconds === 0 || this.isModerator(customerId)) return 0;
    const last = this.lastPost.get(customerId);
    if (last !== undefined && now - last < seconds * 1000) return Math.ceil((seconds * 1000 - (now - last)) / 1000);
    this.lastPost.set(customerId, now);
    if (this.lastPost.size > 50_000) this.forgetOldPosts(now);
    return 0;
  }

  /** Applies a change; a ban also closes the banned customer's sockets in the room. */
  apply(change: GuardChange, viewers: Iterable<GuardedViewer>): void {
    switch (change.type) {
      case 'ban': {
        const map = change.scope === 'room' ? this.state.roomBans : this.state.platformBans;
        map.set(change.customerId, change.until ?? Infinity);
        const frame = encodeFrame(errorFrame('banned', change.scope === 'room' ? 'You are banned from this room.' : 'You are banned from live rooms here.'));
        for (const viewer of viewers) {
          if (viewer.customerId !== change.customerId) continue;
          viewer.queue.send(frame, 'critical');
          viewer.close(CLOSE_BANNED, 'banned');
        }
        return;
      }
      case 'unban':
        (change.scope === 'room' ? this.state.roomBans : this.state.platformBans).delete(change.customerId);
        return;
      case 'moderator':
        if (change.on) this.state.moderators.add(change.customerId);
        else this.state.moderators.delete(change.customerId);
        return;
      case 'slow_mode':
        this.state.slowModeSeconds = change.seconds;
        return;
    }
  }

  private forgetOldPosts(now: number): void {
    const horizon = this.state.slowModeSeconds * 1000;
    for (const [customerId, at] of this.lastPost) if (now - at >= horizon) this.lastPost.delete(customerId);
  }
}
