// Velocity counters shared by every node through Redis, without a Redis call on the hot path (the same
// idea as the synced rate limiter in kernel/rate-limit-redis.ts). Decisions count in memory
// (velocity.ts); every syncMs this sends each touched key's new hits as one pipelined INCRBY per window,
// whose reply is the cluster's total, so the node learns what the others counted and adds it to its own
// from the next decision on. The first sync of a new window also reads the previous window's total
// (the sliding count weighs it). Keys are `${prefix}rv:${scope}|${kind}:${windowMs}:${start}:${key}` and
// expire two windows after they start.
//
// The price: within one sync interval a node does not see the others' hits (a burst spread over N nodes
// is seen whole 100 ms later). While Redis is away, each node still counts its own hits and resends them
// when it is back.
import type { RedisClient } from '../../../kernel/redis.ts';
import { SLOT, SLOTS, WINDOW_MS, type Entry, type KeyMap, type SlidingCounters, type Unsent } from './velocity.ts';

export interface CounterSyncOptions {
  prefix: string;
  syncMs?: number;
  onError?: (error: unknown) => void;
}

type Step =
  | { kind: 'current'; map: KeyMap; key: string; entry: Entry; window: number; start: number; sentTotal: number; sent: number }
  | { kind: 'refresh'; entry: Entry; starts: number[]; sentTotals: number[] }
  | { kind: 'previous'; entry: Entry; window: number; start: number };

/**
 * A key this node sent is read back (one MGET of its windows) every REFRESH_MS for WATCH_MS after, even
 * without new hits here, so the next decision here sees the others' hits of the last minute too.
 */
const WATCH_MS = 60_000;
const REFRESH_MS = 1_000;

export class CounterSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly syncMs: number;
  /** Keys sent lately: read back on every sync for a while, so the others' hits show here too. */
  private readonly watched = new Map<Entry, { map: KeyMap; key: string; until: number }>();
  private lastRefresh = 0;

  constructor(
    private readonly counters: SlidingCounters,
    private readonly redis: RedisClient,
    private readonly options: CounterSyncOptions,
  ) {
    this.syncMs = options.syncMs ?? 100;
    counters.share();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.syncMs);
    this.timer.unref();
  }

  /** Sends what is pending and waits for the replies (stop and tests call it; refresh reads every watched key back now). */
  async sync(refresh = false): Promise<void> {
    while (this.running) await this.running;
    this.running = this.send(this.counters.takeUnsent(), refresh).finally(() => (this.running = undefined));
    await this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  private keyOf(map: KeyMap, key: string, window: number, start: number): string {
    return `${this.options.prefix}rv:${map.label}:${WINDOW_MS[window]}:${start}:${key}`;
  }

  private async send(unsent: Unsent, forceRefresh: boolean): Promise<void> {
    const now = Date.now();
    const refresh = this.watched.size > 0 && (forceRefresh || now - this.lastRefresh >= REFRESH_MS);
    if (unsent.entries.length === 0 && unsent.late.length === 0 && !refresh) return;
    if (refresh) this.lastRefresh = now;
    const pipeline = this.redis.pipeline();
    // Hits of windows that ended before they were sent go first, so a previous-window read below sees them.
    for (const late of unsent.late) {
      const k = this.keyOf(late.map, late.key, late.window, late.start);
      pipeline.incrby(k, late.count);
      pipeline.pexpire(k, 2 * WINDOW_MS[late.window]! + 5_000);
    }
    const steps: Step[] = [];
    const replyAt: number[] = [];
    let at = unsent.late.length * 2;
    for (let i = 0; i < unsent.entries.length; i++) {
      const entry = unsent.entries[i]!;
      const map = unsent.maps[i]!;
      const key = unsent.keys[i]!;
      for (let w = 0; w < WINDOW_MS.length; w++) {
        const base = w * SLOTS;
        const start = entry[base + SLOT.start]!;
        const sent = entry[base + SLOT.current]! - entry[base + SLOT.sent]!;
        if (sent > 0) {
          const k = this.keyOf(map, key, w, start);
          const first = entry[base + SLOT.sent] === 0;
          entry[base + SLOT.sent]! += sent;
          pipeline.incrby(k, sent);
          steps.push({ kind: 'current', map, key, entry, window: w, start, sentTotal: entry[base + SLOT.sent]!, sent });
          replyAt.push(at);
          at += 1;
          if (first) {
            pipeline.pexpire(k, 2 * WINDOW_MS[w]! + 5_000);
            at += 1;
          }
        }
        if (entry[base + SLOT.previousRead] === 0) {
          pipeline.get(this.keyOf(map, key, w, start - WINDOW_MS[w]!));
          steps.push({ kind: 'previous', entry, window: w, start });
          replyAt.push(at);
          at += 1;
        }
      }
      this.watched.set(entry, { map, key, until: now + WATCH_MS });
    }
    const sentNow = refresh ? new Set(unsent.entries) : undefined;
    for (const [entry, { map, key, until }] of refresh ? this.watched : []) {
      if (until < now) this.watched.delete(entry);
      if (until < now || sentNow!.has(entry)) continue;
      const starts = WINDOW_MS.map((_, w) => entry[w * SLOTS + SLOT.start]!);
      pipeline.mget(starts.map((start, w) => this.keyOf(map, key, w, start)));
      steps.push({ kind: 'refresh', entry, starts, sentTotals: starts.map((_, w) => entry[w * SLOTS + SLOT.sent]!) });
      replyAt.push(at);
      at += 1;
    }
    let replies: [Error | null, unknown][] | null = null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      this.options.onError?.(error);
    }
    const failedLate = replies ? unsent.late.filter((_, i) => replies[i * 2]?.[0]) : unsent.late;
    if (failedLate.length > 0) this.counters.requeueLate(failedLate);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const [error, value] = replies?.[replyAt[i]!] ?? [new Error('no reply'), null];
      const { entry } = step;
      if (step.kind === 'refresh') {
        if (error || !Array.isArray(value)) continue;
        for (let w = 0; w < step.starts.length; w++) {
          const base = w * SLOTS;
          const total = value[w] as string | null;
          if (total !== null && entry[base + SLOT.start] === step.starts[w]) {
            entry[base + SLOT.othersCurrent] = Math.max(entry[base + SLOT.othersCurrent]!, Number(total) - step.sentTotals[w]!);
          }
        }
        continue;
      }
      const base = step.window * SLOTS;
      if (step.kind === 'previous') {
        if (!error && entry[base + SLOT.start] === step.start) {
          entry[base + SLOT.othersPrevious] = Math.max(0, Number(value ?? 0) - entry[base + SLOT.previous]!);
          entry[base + SLOT.previousRead] = 1;
        }
        continue;
      }
      if (error || typeof value !== 'number') {
        // Not counted in Redis: unsend the hits (if their window is still current) and try again next time.
        if (entry[base + SLOT.start] === step.start) {
          entry[base + SLOT.sent]! -= step.sent;
          this.counters.requeue(step.map, step.key, entry);
        } else this.counters.requeueLate([{ map: step.map, key: step.key, window: step.window, start: step.start, count: step.sent }]);
        continue;
      }
      // The total includes every hit this node sent to that window, the others' are the rest.
      const others = Math.max(0, value - step.sentTotal);
      if (entry[base + SLOT.start] === step.start) entry[base + SLOT.othersCurrent] = Math.max(entry[base + SLOT.othersCurrent]!, others);
      else if (entry[base + SLOT.start] === step.start + WINDOW_MS[step.window]!) entry[base + SLOT.othersPrevious] = Math.max(entry[base + SLOT.othersPrevious]!, others);
    }
    const failed = replies?.find(([e]) => e)?.[0];
    if (failed) this.options.onError?.(failed);
  }
}
