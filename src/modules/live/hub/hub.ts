// The room hub of one node: the rooms it serves and the clock that aggregates them. Once a second it
// sends each room's counts (likes, viewers) when they changed and hands the likes tapped since to
// `persistLikes`, so a thousand taps become one frame and one UPDATE, never one of each per tap. Every
// 30 s it pings the sockets (a viewer that did not answer the previous ping is cut) and forgets rooms
// nobody has watched for a minute. Every change to a room goes through effect(): applied here and
// published through the fan-out, so the room's channel on every other node changes the same way; each
// node also tallies its viewers and taps per room once a second, and the others sum them.
import { applyEffect, type RoomEffect } from './effects.ts';
import type { Fanout, RoomEnvelope } from './fanout.ts';
import { RoomGuard, type GuardState } from './guard.ts';
import type { Lane } from './lanes.ts';
import { RoomChannel, type RoomMessage, type RoomSnapshot } from './room-channel.ts';

export interface LoadedRoom {
  room: RoomSnapshot;
  messages: RoomMessage[];
  mutes: Map<string, number>;
  kicked: Set<string>;
  /** Bans, moderators and slow mode; none when left out. */
  guard?: GuardState;
}

export interface HubPorts {
  /** The room with its recent messages and moderation state, or undefined when the platform has no such room. */
  load(platformId: string, roomId: string): Promise<LoadedRoom | undefined>;
  /** Adds taps to the room's stored count. */
  persistLikes(platformId: string, roomId: string, taps: number): Promise<void>;
  onError(error: unknown, context: Record<string, unknown>): void;
  /** Keeps an effect made on this node for history beyond the table (JetStream); not called for remote ones. */
  record?(platformId: string, roomId: string, effect: RoomEffect): void;
  /** Seconds an effect took to reach every viewer queue here (metrics). */
  observeFanout?(path: 'local' | 'remote', seconds: number): void;
  /** Another node's broadcast that keeps state (a `keep` key: the flash-sale card), once applied here. */
  onRemoteKept?(platformId: string, roomId: string, effect: Extract<RoomEffect, { kind: 'broadcast' }>): void;
}

const COUNTS_EVERY_MS = 1000;
/** A node repeats an unchanged tally this often, so the others know its viewers are still there. */
const TALLY_REFRESH_MS = 2000;
const HEARTBEAT_EVERY_MS = 30_000;
const IDLE_ROOM_MS = 60_000;

const key = (platformId: string, roomId: string) => `${platformId}:${roomId}`;
/** The room id of an envelope meant for every room of its platform (a NATS subject token, never a uuid). */
export const ALL_ROOMS = 'all_rooms';

export class RoomHub {
  private readonly channels = new Map<string, Promise<RoomChannel | undefined>>();
  private countsTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly heartbeats = new Set<() => void>();

  private readonly tallied = new Map<RoomChannel, { viewers: number; at: number }>();

  constructor(
    private readonly ports: HubPorts,
    private readonly fanout: Fanout,
    /** This node's name in envelopes (its own echoes are ignored). */
    readonly nodeId: string,
  ) {}

  async start(): Promise<void> {
    await this.fanout.start((envelope) => this.remote(envelope));
    this.countsTimer = setInterval(() => this.tick(), COUNTS_EVERY_MS);
    this.countsTimer.unref();
    this.heartbeatTimer = setInterval(() => this.beat(), HEARTBEAT_EVERY_MS);
    this.heartbeatTimer.unref();
  }

  /** Stops the clocks, writes the last likes and closes every viewer (going away: they reconnect elsewhere). */
  async stop(): Promise<void> {
    clearInterval(this.countsTimer);
    clearInterval(this.heartbeatTimer);
    await this.flushLikes();
    for (const channel of await this.loaded()) {
      for (const viewer of channel.viewers) viewer.close(1001, 'server shutting down');
    }
    this.channels.clear();
    await this.fanout.stop();
  }

  /** Changes the room here (when this node serves it) and on every other node. */
  async effect(platformId: string, roomId: string, effect: RoomEffect): Promise<void> {
    const channel = await this.ifLoaded(platformId, roomId);
    const sentAt = Date.now();
    if (channel) {
      const started = performance.now();
      applyEffect(channel, effect, this.nodeId);
      this.ports.observeFanout?.('local', (performance.now() - started) / 1000);
    }
    this.fanout.publish({ origin: this.nodeId, platformId, roomId, effect, sentAt });
    this.ports.record?.(platformId, roomId, effect);
  }

  /**
   * A frame for this node's viewers of the room only (when it serves the room): for what every node
   * works out for its own viewers, such as a flash sale's countdown, so no one node's death stops it.
   */
  async local(platformId: string, roomId: string, frame: unknown, lane: Lane, keep?: string): Promise<void> {
    const channel = await this.ifLoaded(platformId, roomId);
    if (channel) applyEffect(channel, { kind: 'broadcast', frame, lane, ...(keep ? { keep } : {}) }, this.nodeId);
  }

  /** An effect on every room of the platform, here and on every other node (a platform ban). */
  async platformEffect(platformId: string, effect: RoomEffect): Promise<void> {
    for (const channel of await this.loadedOf(platformId)) applyEffect(channel, effect, this.nodeId);
    this.fanout.publish({ origin: this.nodeId, platformId, roomId: ALL_ROOMS, effect });
  }

  private async loadedOf(platformId: string): Promise<RoomChannel[]> {
    return (await this.loaded()).filter((channel) => channel.room.platformId === platformId);
  }

  private remote(envelope: RoomEnvelope): void {
    if (envelope.origin === this.nodeId) return;
    if (envelope.roomId === ALL_ROOMS) {
      this.loadedOf(envelope.platformId)
        .then((channels) => channels.forEach((channel) => applyEffect(channel, envelope.effect, envelope.origin)))
        .catch((error: unknown) => this.ports.onError(error, { during: 'live remote effect' }));
      return;
    }
    // A room nobody watches here is not loaded; it reads the table when a viewer comes.
    this.ifLoaded(envelope.platformId, envelope.roomId)
      .then((channel) => {
        if (!channel) return;
        applyEffect(channel, envelope.effect, envelope.origin);
        if (envelope.effect.kind === 'broadcast' && envelope.effect.keep) this.ports.onRemoteKept?.(envelope.platformId, envelope.roomId, envelope.effect);
        if (envelope.sentAt !== undefined && envelope.effect.kind !== 'tally') this.ports.observeFanout?.('remote', Math.max(0, Date.now() - envelope.sentAt) / 1000);
      })
      .catch((error: unknown) => this.ports.onError(error, { during: 'live remote effect' }));
  }

  /** This node's viewers and new taps of each room it serves, for the other nodes (when changed, or to refresh). */
  private tally(channels: RoomChannel[]): void {
    const now = Date.now();
    for (const channel of channels) {
      const last = this.tallied.get(channel);
      const viewers = channel.viewers.size;
      if (channel.untalliedLikes === 0 && last && last.viewers === viewers && now - last.at < TALLY_REFRESH_MS) continue;
      if (viewers === 0 && channel.untalliedLikes === 0 && last?.viewers === 0) continue;
      this.fanout.publish({ origin: this.nodeId, platformId: channel.room.platformId, roomId: channel.room.id, effect: { kind: 'tally', viewers, likes: channel.untalliedLikes } });
      channel.untalliedLikes = 0;
      this.tallied.set(channel, { viewers, at: now });
    }
  }

  /** The room's channel on this node, loading it on first use; undefined for a room the platform does not have. */
  channel(platformId: string, roomId: string): Promise<RoomChannel | undefined> {
    const k = key(platformId, roomId);
    let channel = this.channels.get(k);
    if (!channel) {
      channel = this.ports.load(platformId, roomId).then((loaded) => {
        if (!loaded) {
          this.channels.delete(k);
          return undefined;
        }
        const made = new RoomChannel(loaded.room, loaded.messages);
        for (const [customerId, until] of loaded.mutes) made.mutes.set(customerId, until);
        for (const customerId of loaded.kicked) made.kicked.add(customerId);
        if (loaded.guard) made.guard = new RoomGuard(loaded.guard);
        return made;
      });
      channel.catch(() => this.channels.delete(k));
      this.channels.set(k, channel);
    }
    return channel;
  }

  /** The channel if this node serves the room now (admin actions change it in place), else undefined. */
  async ifLoaded(platformId: string, roomId: string): Promise<RoomChannel | undefined> {
    return this.channels.get(key(platformId, roomId));
  }

  /** Frames waiting in this node's viewers' queues: all together and the longest one (metrics). */
  async queueDepths(): Promise<{ total: number; max: number }> {
    let total = 0;
    let max = 0;
    for (const channel of await this.loaded()) {
      for (const viewer of channel.viewers) {
        total += viewer.queue.depth;
        if (viewer.queue.depth > max) max = viewer.queue.depth;
      }
    }
    return { total, max };
  }

  /** Registers a viewer's heartbeat (called every 30 s); returns the function that removes it. */
  onHeartbeat(beat: () => void): () => void {
    this.heartbeats.add(beat);
    return () => this.heartbeats.delete(beat);
  }

  private async loaded(): Promise<RoomChannel[]> {
    const settled = await Promise.allSettled(this.channels.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
  }

  private tick(): void {
    this.loaded()
      .then((channels) => {
        this.tally(channels);
        for (const channel of channels) channel.sendCounts();
        return this.flushLikes(channels);
      })
      .catch((error: unknown) => this.ports.onError(error, { during: 'live counts' }));
  }

  private async flushLikes(channels?: RoomChannel[]): Promise<void> {
    for (const channel of channels ?? (await this.loaded())) {
      const taps = channel.pendingLikes;
      if (taps === 0) continue;
      channel.pendingLikes = 0;
      try {
        await this.ports.persistLikes(channel.room.platformId, channel.room.id, taps);
      } catch (error) {
        // Kept for the next second rather than lost.
        channel.pendingLikes += taps;
        this.ports.onError(error, { during: 'live likes', roomId: channel.room.id });
      }
    }
  }

  private beat(): void {
    for (const beat of this.heartbeats) beat();
    const now = Date.now();
    this.loaded()
      .then((channels) => {
        for (const channel of channels) {
          if (channel.idleSince !== null && now - channel.idleSince > IDLE_ROOM_MS && channel.pendingLikes === 0) {
            this.channels.delete(key(channel.room.platformId, channel.room.id));
            this.tallied.delete(channel);
          }
        }
      })
      .catch((error: unknown) => this.ports.onError(error, { during: 'live heartbeat' }));
  }
}
