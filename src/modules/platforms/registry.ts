// The in-memory platform directory: every storefront request resolves its platform here by host or
// publishable key with one Map lookup, so 1,000 platforms cost what one does. It is rebuilt after any
// platform write on this node, and polled (one cheap aggregate query) for writes made on other nodes.
import { sha256 } from '../../kernel/ids.ts';
import type { Database } from '../../kernel/db/types.ts';
import type { Platform, PlatformDirectory } from '../../kernel/context.ts';

/** The PostgreSQL channel on which nodes tell each other that platform metadata changed. */
export const PLATFORMS_CHANNEL = 'souk_platforms_changed';

interface PlatformRow {
  id: string;
  slug: string;
  name: string;
  default_currency: string;
  currencies: string[];
  default_locale: string;
  locales: string[];
  modules: string[];
  settings: Record<string, unknown>;
  status: 'active' | 'disabled';
  created_at: Date;
  updated_at: Date;
  hosts: string[] | null;
}

export function platformFromRow(row: PlatformRow): Platform {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    hosts: row.hosts ?? [],
    defaultCurrency: row.default_currency,
    currencies: row.currencies,
    defaultLocale: row.default_locale,
    locales: row.locales,
    modules: row.modules,
    settings: row.settings,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export const SELECT_PLATFORMS = `
  select p.*, (select array_agg(h.host order by h.host) from platform_hosts h where h.platform_id = p.id) as hosts
  from platforms p`;

export class PlatformRegistry implements PlatformDirectory {
  private byIdMap = new Map<string, Platform>();
  private bySlugMap = new Map<string, Platform>();
  private byHostMap = new Map<string, Platform>();
  private byKeyHash = new Map<string, Platform>();
  private stamp = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database) {}

  byId(id: string) {
    return this.byIdMap.get(id);
  }
  bySlug(slug: string) {
    return this.bySlugMap.get(slug);
  }
  byHost(host: string) {
    return this.byHostMap.get(host.toLowerCase());
  }
  byPublishableKey(key: string) {
    return this.byKeyHash.get(sha256(key));
  }
  all() {
    return [...this.byIdMap.values()];
  }

  private stopListening: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /**
   * Re-reads every platform. Reloads never overlap: two concurrent reloads could finish out of order and
   * leave the older snapshot in place (a platform created a moment ago answering 404). A call made while
   * one runs waits for the next reload, which starts after the running one and so sees the caller's
   * committed write; all calls made meanwhile share that next reload.
   */
  reload(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.readAll().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.reload();
      });
    return this.queued;
  }

  private async readAll(): Promise<void> {
    const [rows, keys, stamp] = await Promise.all([
      this.db.query<PlatformRow>(`${SELECT_PLATFORMS} order by p.slug`),
      this.db.query<{ platform_id: string; token_hash: string }>(
        'select platform_id, token_hash from platform_publishable_keys where revoked_at is null',
      ),
      this.readStamp(),
    ]);
    const byId = new Map<string, Platform>();
    const bySlug = new Map<string, Platform>();
    const byHost = new Map<string, Platform>();
    for (const row of rows) {
      const platform = platformFromRow(row);
      byId.set(platform.id, platform);
      bySlug.set(platform.slug, platform);
      for (const host of platform.hosts) byHost.set(host, platform);
    }
    const byKeyHash = new Map<string, Platform>();
    for (const key of keys) {
      const platform = byId.get(key.platform_id);
      if (platform) byKeyHash.set(key.token_hash, platform);
    }
    // Swap all maps at once so a request never sees half of a reload.
    this.byIdMap = byId;
    this.bySlugMap = bySlug;
    this.byHostMap = byHost;
    this.byKeyHash = byKeyHash;
    this.stamp = stamp;
  }

  /** Changes to platforms, hosts or keys all bump platforms.updated_at, so this detects any of them. */
  private async readStamp(): Promise<string> {
    const [row] = await this.db.query<{ stamp: string }>(
      `select count(*)::text || ':' || coalesce(max(updated_at)::text, '') as stamp from platforms`,
    );
    return row?.stamp ?? '';
  }

  /**
   * After a committed platform write on this node: reload here and, on PostgreSQL, tell the other nodes,
   * which reload at once instead of at their next poll (a shop created on one node, or its flash-sale
   * limits raised, would otherwise answer 404 or the old limits on the others for up to the poll
   * interval). A notification lost with a dying node is still caught by the poll.
   */
  async changed(): Promise<void> {
    await this.reload();
    if (this.db.kind === 'postgres') await this.db.execute(`select pg_notify('${PLATFORMS_CHANNEL}', '')`).catch(() => undefined);
  }

  /** Reloads on the other nodes' notifications (PostgreSQL; a no-op on PGlite, which is one process). */
  async startListening(onError: (error: unknown) => void): Promise<void> {
    if (!this.db.listen) return;
    const reload = () => void this.reload().catch(onError);
    this.stopListening = await this.db.listen(PLATFORMS_CHANNEL, reload, reload);
  }

  startPolling(intervalMs: number, onError: (error: unknown) => void): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.readStamp()
        .then((stamp) => (stamp !== this.stamp ? this.reload() : undefined))
        .catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.stopListening?.();
  }
}
