// An in-process cache of serialized storefront responses. Entries live for the configured TTL; every
// catalog write on this node bumps its platform's generation, which retires all of that platform's
// entries at once (so this node never serves what it has just changed, and other nodes catch up within
// the TTL). A reader takes the generation before it queries and stores under that generation, so a
// response read while a write was committing can never outlive the write.
// The cache is bounded by entry count and by bytes: list queries are client-controlled (q, filters,
// cursors), so without a byte budget a crawler could make it grow without limit.
//
// load() is what the routes use, and it keeps a hot key from stampeding the database in a rush:
//  - single flight: concurrent misses of one key share one query;
//  - refresh ahead: an entry less than one TTL past its expiry (and of the current generation) is still
//    served while one background query replaces it, so readers never queue behind a hot entry's expiry;
//  - jittered TTLs, so entries filled together do not all expire in the same millisecond.
// Staleness from other nodes' writes stays bounded by twice the TTL; this node's own writes are never
// served stale (the generation check comes first).

import type { PlatformDb } from '../../kernel/db/scoped.ts';

interface Entry {
  generation: number;
  expiresAt: number;
  body: string;
}

export interface CacheLimits {
  maxEntries: number;
  /** Approximate: string length (UTF-16 code units), which is what the heap holds. */
  maxChars: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, { generation: number; body: Promise<string | undefined> }>();
  private readonly generations = new Map<string, number>();
  private chars = 0;

  constructor(
    private readonly limits: CacheLimits = { maxEntries: 20_000, maxChars: 32 * 1024 * 1024 },
    /** The clock; tests pass their own to step over a TTL without sleeping. */
    private readonly clock: () => number = Date.now,
  ) {}

  generation(platformId: string): number {
    return this.generations.get(platformId) ?? 0;
  }

  /**
   * The body of `key` when fresh and of the platform's current generation, else undefined; never queries.
   * An expired entry stays: load() serves it while it refreshes (and set or eviction replaces it).
   */
  get(platformId: string, key: string): string | undefined {
    const entry = this.entries.get(`${platformId}\n${key}`);
    if (entry === undefined || entry.generation !== this.generation(platformId) || entry.expiresAt <= this.clock()) return undefined;
    return entry.body;
  }

  set(platformId: string, key: string, generation: number, body: string, ttlMs: number): void {
    if (ttlMs <= 0 || generation !== this.generation(platformId)) return;
    // One response may not take more than a sixteenth of the budget.
    if (body.length > this.limits.maxChars / 16) return;
    const fullKey = `${platformId}\n${key}`;
    const previous = this.entries.get(fullKey);
    if (previous) this.remove(fullKey, previous);
    this.evictUntilFits(body.length);
    this.entries.set(fullKey, { generation, expiresAt: this.clock() + ttlMs, body });
    this.chars += body.length;
  }

  /**
   * The cached body of `key`, or the one `loader` produces (undefined: nothing to cache, e.g. not found).
   * See the header for how this behaves under a rush.
   */
  async load(platformId: string, key: string, ttlMs: number, loader: () => Promise<string | undefined>): Promise<string | undefined> {
    const fullKey = `${platformId}\n${key}`;
    const generation = this.generation(platformId);
    const entry = this.entries.get(fullKey);
    if (entry !== undefined && entry.generation === generation) {
      const now = this.clock();
      if (entry.expiresAt > now) return entry.body;
      // Recently expired but not invalidated: serve it while one refresh runs. Older than that, it is a miss.
      if (now - entry.expiresAt < ttlMs) {
        if (!this.inFlight.has(fullKey)) this.fill(platformId, fullKey, key, generation, ttlMs, loader).catch(() => undefined);
        return entry.body;
      }
    }
    const running = this.inFlight.get(fullKey);
    if (running !== undefined && running.generation === generation) return running.body;
    return this.fill(platformId, fullKey, key, generation, ttlMs, loader);
  }

  private fill(platformId: string, fullKey: string, key: string, generation: number, ttlMs: number, loader: () => Promise<string | undefined>): Promise<string | undefined> {
    const flight = { generation, body: Promise.resolve<string | undefined>(undefined) };
    flight.body = (async () => {
      try {
        const value = await loader();
        if (value !== undefined) this.set(platformId, key, generation, value, ttlMs * (0.9 + Math.random() * 0.2));
        return value;
      } finally {
        if (this.inFlight.get(fullKey) === flight) this.inFlight.delete(fullKey);
      }
    })();
    this.inFlight.set(fullKey, flight);
    return flight.body;
  }

  /** Every platform's entries: after a gap in the change notifications, nothing cached can be trusted. */
  invalidateAll(): void {
    const platformIds = new Set(this.generations.keys());
    // Platforms never invalidated before have entries (or loads in flight) but no generation yet.
    for (const fullKey of [...this.entries.keys(), ...this.inFlight.keys()]) platformIds.add(fullKey.slice(0, fullKey.indexOf('\n')));
    for (const platformId of platformIds) this.invalidate(platformId);
    this.entries.clear();
    this.chars = 0;
  }

  invalidate(platformId: string): void {
    this.generations.set(platformId, this.generation(platformId) + 1);
  }

  get size(): { entries: number; chars: number } {
    return { entries: this.entries.size, chars: this.chars };
  }

  private remove(fullKey: string, entry: Entry): void {
    this.entries.delete(fullKey);
    this.chars -= entry.body.length;
  }

  private evictUntilFits(incoming: number): void {
    // Map iterates in insertion order, so the first entries are the oldest.
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.limits.maxEntries && this.chars + incoming <= this.limits.maxChars) return;
      this.remove(key, entry);
    }
  }
}

/**
 * The caches of the Souks running in this process (each catalog runtime owns one, attached while the
 * module runs). The service functions write with only a PlatformDb in hand (also outside HTTP, e.g. demo
 * seeding), so a write retires the platform's entries in every attached cache: the in-process
 * counterpart of the NOTIFY channel below. Platform ids are unique, so other Souks lose nothing.
 */
const attachedCaches = new Set<ResponseCache>();

/** Lets this process's catalogue writes reach `cache` until the returned function detaches it. */
export function attachCache(cache: ResponseCache): () => void {
  attachedCaches.add(cache);
  return () => void attachedCaches.delete(cache);
}

export function invalidateCatalog(platformId: string): void {
  for (const cache of attachedCaches) cache.invalidate(platformId);
}

/** The PostgreSQL channel on which nodes tell each other that a platform's catalogue changed. */
export const CATALOG_CHANNEL = 'souk_catalog_changed';

/**
 * After a committed catalogue write: retire this node's entries for the platform at once and, on
 * PostgreSQL, tell the other nodes (they listen, see catalog/index.ts). If this process dies between the
 * commit and the NOTIFY, the other nodes still catch up within their TTL.
 */
export async function catalogChanged(pdb: PlatformDb): Promise<void> {
  invalidateCatalog(pdb.platformId);
  if (pdb.engine !== 'postgres') return;
  await pdb.execute(`select pg_notify('${CATALOG_CHANNEL}', $1::text)`).catch(() => undefined);
}
