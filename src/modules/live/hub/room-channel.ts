// One room as this node serves it: its viewers, the recent messages a joiner or a resuming viewer gets,
// who is muted or kicked, and the like count. Frames are encoded once per broadcast and shared by every
// viewer's queue.
import type { Message } from '../schemas.ts';
import { RoomGuard } from './guard.ts';
import { encodeFrame, type Frame, type Lane } from './lanes.ts';
import type { ViewerQueue } from './viewer-queue.ts';

/** A node tallies its rooms every second; one not heard from for this long is taken to have none. */
export const REMOTE_TALLY_TTL_MS = 5000;

/** Viewers one broadcast writes to before the event loop may run other work (see broadcast). */
export const BROADCAST_SLICE = 1000;

/** Messages kept per room in memory: what join and resume are answered from. */
export const RECENT_MESSAGES = 500;

export interface RoomSnapshot {
  id: string;
  platformId: string;
  title: string;
  coverUrl: string | null;
  hosts: string[];
  productIds: string[];
  state: 'scheduled' | 'live' | 'ended';
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  likes: number;
}

/** A message as kept here: what viewers see, plus its author's customer id for moderation. */
export interface RoomMessage extends Message {
  customerId: string | null;
}

export interface Viewer {
  queue: ViewerQueue;
  customerId: string | null;
  /** Closes this viewer's socket (kick, shutdown). */
  close(code: number, reason: string): void;
}

export function publicMessage({ customerId: _hidden, ...message }: RoomMessage): Message {
  return message;
}

const laneOfKind: Record<Message['kind'], Lane> = { chat: 'low', host: 'critical', system: 'critical' };
const LANE_RANK: Record<Lane, number> = { critical: 0, high: 1, low: 2 };

export class RoomChannel {
  readonly viewers = new Set<Viewer>();
  private recent: RoomMessage[];
  /** Customer id → muted until (ms since epoch; Infinity: until unmuted). */
  readonly mutes = new Map<string, number>();
  readonly kicked = new Set<string>();
  /** Bans, the room's customer moderators and slow mode (guard.ts). */
  guard = new RoomGuard();
  /** Taps counted here and not yet written to the room row. */
  pendingLikes = 0;
  /** Taps counted here and not yet told to the other nodes. */
  untalliedLikes = 0;
  /** Other nodes' viewers of this room, by node, with when they last said so. */
  private readonly remoteViewers = new Map<string, { viewers: number; at: number }>();
  /** What the last counts frame said, so an unchanged second sends nothing. */
  private lastCounts = { likes: -1, viewers: -1 };
  /** Frames that stand for the room's current state (the pinned product card), given to every joiner. */
  readonly kept = new Map<string, unknown>();
  /** Broadcasts of a large room still being written, oldest first (broadcast). */
  private readonly sending: Array<{ frame: Frame; lane: Lane; viewers: Viewer[]; next: number; at: number }> = [];
  /** When the channel last had no viewers (for eviction), or null while it has some. */
  idleSince: number | null = Date.now();

  constructor(
    public room: RoomSnapshot,
    messages: RoomMessage[],
  ) {
    this.recent = messages.slice(-RECENT_MESSAGES);
  }

  join(viewer: Viewer): void {
    this.viewers.add(viewer);
    this.idleSince = null;
  }

  leave(viewer: Viewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.idleSince = Date.now();
  }

  /**
   * Sends a frame to every viewer. A room larger than BROADCAST_SLICE is written a slice at a time with
   * the event loop let go between slices: one frame to 10,000 sockets is ~130 ms of writes, which would
   * otherwise hold up every other room, the host's requests and pings, and read as loop lag. Broadcasts
   * leave in the order they were made (a later one waits for the earlier one to reach every viewer), and
   * each goes to the viewers present when it was made (a later joiner has it in its history or state).
   */
  broadcast(value: unknown, lane: Lane): void {
    const frame = encodeFrame(value);
    if (this.sending.length === 0 && this.viewers.size <= BROADCAST_SLICE) {
      for (const viewer of this.viewers) viewer.queue.send(frame, lane);
      return;
    }
    // A more important frame goes ahead of less important ones still being written (FIFO within a lane),
    // as each viewer's queue would put it ahead anyway.
    const entry = { frame, lane, viewers: [...this.viewers], next: 0, at: performance.now() };
    const ahead = this.sending.findIndex((e) => LANE_RANK[e.lane] > LANE_RANK[lane]);
    if (ahead < 0) this.sending.push(entry);
    else this.sending.splice(ahead, 0, entry);
    if (this.sending.length === 1) this.sendSlice();
  }

  /** How long the oldest broadcast still being written has waited (0: none): this room's fan-out delay. */
  backlogMs(): number {
    if (this.sending.length === 0) return 0;
    return performance.now() - Math.min(...this.sending.map((e) => e.at));
  }

  private sendSlice(): void {
    const current = this.sending[0];
    if (!current) return;
    const end = Math.min(current.next + BROADCAST_SLICE, current.viewers.length);
    for (let i = current.next; i < end; i += 1) current.viewers[i]!.queue.send(current.frame, current.lane);
    current.next = end;
    if (end === current.viewers.length) this.sending.splice(this.sending.indexOf(current), 1);
    if (this.sending.length > 0) setImmediate(() => this.sendSlice());
  }

  /** Keeps the message for joiners and sends it to every viewer in its kind's lane. */
  publish(message: RoomMessage): void {
    this.recent.push(message);
    if (this.recent.length > RECENT_MESSAGES * 2) this.recent = this.recent.slice(-RECENT_MESSAGES);
    this.broadcast({ type: 'message', message: publicMessage(message) }, laneOfKind[message.kind]);
  }

  /** The last n messages, oldest first. */
  last(n: number): RoomMessage[] {
    return n === 0 ? [] : this.recent.slice(-n);
  }

  /**
   * The messages after `since`, oldest first; undefined when `since` is not among the recent messages
   * (too old, deleted or unknown), so the caller can say the resume may have a gap.
   */
  after(since: string, max: number): RoomMessage[] | undefined {
    const at = this.recent.findIndex((m) => m.id === since);
    if (at < 0) return undefined;
    return this.recent.slice(at + 1).slice(-max);
  }

  find(messageId: string): RoomMessage | undefined {
    return this.recent.find((m) => m.id === messageId);
  }

  /** Removes a message for everyone: gone from history here, and every viewer told to hide it. */
  remove(messageId: string): void {
    this.recent = this.recent.filter((m) => m.id !== messageId);
    this.broadcast({ type: 'deleted', messageId }, 'critical');
  }

  isMuted(customerId: string, now = Date.now()): boolean {
    const until = this.mutes.get(customerId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.mutes.delete(customerId);
    return false;
  }

  addLikes(taps: number): void {
    this.room.likes += taps;
    this.pendingLikes += taps;
    this.untalliedLikes += taps;
  }

  /** Another node's count of viewers and its taps since its last tally (it stores those taps itself). */
  tally(node: string, viewers: number, likes: number): void {
    this.remoteViewers.set(node, { viewers, at: Date.now() });
    this.room.likes += likes;
  }

  /** Viewers on every node; a node silent for REMOTE_TALLY_TTL_MS (dead, or the room left it) counts no more. */
  totalViewers(now = Date.now()): number {
    let total = this.viewers.size;
    for (const [node, { viewers, at }] of this.remoteViewers) {
      if (now - at > REMOTE_TALLY_TTL_MS) this.remoteViewers.delete(node);
      else total += viewers;
    }
    return total;
  }

  /** A counts frame when likes or viewers changed since the last one (called at most once a second). */
  sendCounts(): void {
    const counts = { likes: this.room.likes, viewers: this.totalViewers() };
    if (counts.likes === this.lastCounts.likes && counts.viewers === this.lastCounts.viewers) return;
    this.lastCounts = counts;
    this.broadcast({ type: 'counts', ...counts }, 'high');
  }
}
