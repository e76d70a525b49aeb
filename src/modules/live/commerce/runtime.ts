// What the rooms' commerce keeps per process: the rooms this node serves viewers of, card clicks not yet
// written, and a clock. Every second it adds the clicks to the room rows (one UPDATE per room, never one
// per click) and raises a room's stored peak when its viewers (all nodes) passed it; every
// CARD_REFRESH_TICKS seconds it re-reads the pinned cards of those rooms and sends a card whose price or
// stock changed to this node's viewers (each node refreshes its own, so nothing crosses nodes).
import type { ModuleContext } from '../../../kernel/context.ts';
import type { RoomChannel } from '../hub/room-channel.ts';
import { CARD, cardFrame, pinnedCard } from './cards.ts';
import { CustomTypes } from './custom-types.ts';

const TICK_MS = 1000;
const CARD_REFRESH_TICKS = 2;

export class CommerceRuntime {
  /** Validators of the platforms' custom message types. */
  readonly customTypes = new CustomTypes();
  private readonly watched = new Set<RoomChannel>();
  private readonly peaks = new Map<RoomChannel, number>();
  private clicks = new Map<string, { platformId: string; roomId: string; n: number }>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: ModuleContext) {}

  /** A room this node serves a viewer of: its peak and card are looked after while it has viewers. */
  watch(channel: RoomChannel): void {
    this.watched.add(channel);
  }

  click(platformId: string, roomId: string): void {
    const key = `${platformId}:${roomId}`;
    const entry = this.clicks.get(key);
    if (entry) entry.n += 1;
    else this.clicks.set(key, { platformId, roomId, n: 1 });
  }

  /** Clicks counted here and not yet written, for a room's numbers. */
  pendingClicks(platformId: string, roomId: string): number {
    return this.clicks.get(`${platformId}:${roomId}`)?.n ?? 0;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick()).catch((error: unknown) => this.ctx.log.warn({ err: error }, 'live commerce clock'));
    }, TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.flushClicks();
  }

  private async tick(): Promise<void> {
    this.ticks += 1;
    await this.flushClicks();
    for (const channel of this.watched) {
      if (channel.viewers.size === 0) {
        this.watched.delete(channel);
        this.peaks.delete(channel);
        continue;
      }
      await this.peak(channel);
      if (this.ticks % CARD_REFRESH_TICKS === 0 && channel.kept.has(CARD)) await this.refreshCard(channel);
    }
  }

  private async flushClicks(): Promise<void> {
    const batch = this.clicks;
    this.clicks = new Map();
    for (const { platformId, roomId, n } of batch.values()) {
      try {
        await this.ctx.platformDb(platformId).execute('update live_rooms set card_clicks = card_clicks + $3 where platform_id = $1 and id = $2', [roomId, n]);
      } catch (error) {
        this.ctx.log.warn({ err: error, roomId, lost: n }, 'live card clicks could not be written');
      }
    }
  }

  private async peak(channel: RoomChannel): Promise<void> {
    const viewers = channel.totalViewers();
    if (viewers <= (this.peaks.get(channel) ?? 0)) return;
    this.peaks.set(channel, viewers);
    await this.ctx.platformDb(channel.room.platformId).execute('update live_rooms set peak_viewers = greatest(peak_viewers, $3) where platform_id = $1 and id = $2', [channel.room.id, viewers]);
  }

  private async refreshCard(channel: RoomChannel): Promise<void> {
    const platform = this.ctx.platforms.byId(channel.room.platformId);
    const shown = channel.kept.get(CARD) as { card: unknown } | undefined;
    if (!platform || !shown?.card) return;
    const frame = cardFrame(await pinnedCard(this.ctx, platform, channel.room.id));
    if (JSON.stringify(frame) === JSON.stringify(shown)) return;
    channel.kept.set(CARD, frame);
    channel.broadcast(frame, 'high');
  }
}
