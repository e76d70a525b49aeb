// Account links shared by every node through Redis (REDIS_URL), off the hot path like the velocity
// counters: every syncMs, one pipeline adds this node's new links to a Redis set per key (SADD, the set
// kept LINK_TTL_SECONDS after its last new member) and reads the size of every key touched here since the
// last sync (SCARD) and, once a second, of every key touched in the last minute, which links.ts then reports when it is larger than what this node saw. Two nodes
// that saw different accounts on one device thus both report the union after a sync. Keys are
// `${prefix}rl:${platform}|${kind}:${key}`. While Redis is away each node counts its own and resends.
import type { RedisClient } from '../../../kernel/redis.ts';
import { LINK_KINDS, MAX_ACCOUNTS, type AccountLinks, type LinkChanges } from './links.ts';

export const LINK_TTL_SECONDS = 7 * 86_400;
/** A key touched here is read back every REFRESH_MS for WATCH_MS after, so other nodes' new accounts show here too. */
const WATCH_MS = 60_000;
const REFRESH_MS = 1_000;

export interface LinkSyncOptions {
  prefix: string;
  syncMs?: number;
  onError?: (error: unknown) => void;
}

export class LinkSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly watched = new Map<LinkChanges['touched'][number]['entry'], { read: LinkChanges['touched'][number]; until: number }>();
  private lastRefresh = 0;

  constructor(
    private readonly links: AccountLinks,
    private readonly redis: RedisClient,
    private readonly options: LinkSyncOptions,
  ) {
    links.share();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.options.syncMs ?? 100);
    this.timer.unref();
  }

  /** Sends what is pending and reads counts back (refresh: every watched key now, not once a second). */
  async sync(refresh = false): Promise<void> {
    while (this.running) await this.running;
    this.running = this.send(refresh).finally(() => (this.running = undefined));
    await this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  private keyOf(platformId: string, kind: number, key: string): string {
    return `${this.options.prefix}rl:${platformId}|${LINK_KINDS[kind]}:${key}`;
  }

  private async send(forceRefresh: boolean): Promise<void> {
    const { added, touched: fresh } = this.links.takeChanges();
    const now = Date.now();
    for (const t of fresh) this.watched.set(t.entry, { read: t, until: now + WATCH_MS });
    let touched = fresh;
    if (forceRefresh || now - this.lastRefresh >= REFRESH_MS) {
      this.lastRefresh = now;
      touched = [];
      for (const [entry, w] of this.watched) {
        if (w.until < now) this.watched.delete(entry);
        else touched.push(w.read);
      }
    }
    if (added.length === 0 && touched.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const a of added) {
      const k = this.keyOf(a.platformId, a.kind, a.key);
      pipeline.sadd(k, a.account);
      pipeline.expire(k, LINK_TTL_SECONDS);
    }
    for (const t of touched) pipeline.scard(this.keyOf(t.platformId, t.kind, t.key));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      this.links.requeue(added);
      this.options.onError?.(error);
      return;
    }
    if (!replies) return;
    const failed = replies.slice(0, added.length * 2).some(([error]) => error !== null);
    if (failed) this.links.requeue(added);
    const counts = replies.slice(added.length * 2);
    for (let i = 0; i < touched.length; i++) {
      const [error, count] = counts[i] ?? [null, 0];
      if (error === null && typeof count === 'number') touched[i]!.entry.cluster = Math.min(count, MAX_ACCOUNTS);
    }
  }
}
