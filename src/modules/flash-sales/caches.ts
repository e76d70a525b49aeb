// Node-local caches of the hot path, so a purchase reads neither the sale nor the session table:
// - live sales by id, trusted for SALE_CACHE_TTL_MS (a change on this node invalidates at once; a change
//   on another node is seen within the TTL — and the ticket insert re-checks status and epoch anyway);
// - customers by session token for SESSION_CACHE_TTL_MS (a revoked session may buy for that long);
// - the sold-out flag per variant for SOLD_OUT_FLAG_MS, so units that come back are seen soon.
// Concurrent misses for one key share one load, so a rush on a cold node makes one query, not thousands;
// misses for different session tokens are batched, so a rush of first-time customers makes one query per
// batch, not one per customer.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { customersByTokens, type Customer } from '../accounts/customer-service.ts';
import { Batcher } from './batcher.ts';
import { readSaleRow, type SaleRecord } from './sales.ts';
import { SALE_CACHE_TTL_MS, SESSION_CACHE_TTL_MS, SOLD_OUT_FLAG_MS } from './settings.ts';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A TTL map whose misses share one pending load per key; bounded by sweeping expired entries. */
class LoadingCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  async get(key: string, ttlMs: (value: T) => number, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    const now = Date.now();
    if (hit && hit.expiresAt > now) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const promise = load().then(
      (value) => {
        this.loading.delete(key);
        if (this.entries.size >= this.maxEntries) this.sweep();
        this.entries.set(key, { value, expiresAt: Date.now() + ttlMs(value) });
        return value;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    // Still full of live entries: drop the oldest inserted half rather than grow without bound.
    if (this.entries.size >= this.maxEntries) {
      let drop = Math.floor(this.maxEntries / 2);
      for (const k of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(k);
      }
    }
  }
}

export class SaleCache {
  private readonly cache = new LoadingCache<SaleRecord | null>(10_000);

  /** The sale as of at most SALE_CACHE_TTL_MS ago; fresh: read the database now. */
  get(pdb: PlatformDb, saleId: string, fresh = false): Promise<SaleRecord | null> {
    const key = `${pdb.platformId}:${saleId}`;
    if (fresh) this.cache.delete(key);
    return this.cache.get(key, () => SALE_CACHE_TTL_MS, async () => (await readSaleRow(pdb, saleId)) ?? null);
  }

  invalidate(platformId: string, saleId: string): void {
    this.cache.delete(`${platformId}:${saleId}`);
  }
}

export class SessionCache {
  private readonly cache = new LoadingCache<Customer | null>(200_000);
  private readonly lookups = new Batcher<{ pdb: PlatformDb; token: string }, Customer | null>({
    maxBatch: 500,
    maxInFlight: 2,
    run: async (_platformId, items) => {
      const found = await customersByTokens(items[0]!.pdb, items.map((i) => i.token));
      return items.map((i) => found.get(i.token) ?? null);
    },
  });

  get(pdb: PlatformDb, token: string): Promise<Customer | null> {
    // An unknown token is remembered briefly only, so a customer who just logged in is not kept out.
    return this.cache.get(`${pdb.platformId}:${token}`, (c) => (c ? SESSION_CACHE_TTL_MS : 1000), () => this.lookups.submit(pdb.platformId, { pdb, token }));
  }

  clear(): void {
    this.cache.clear();
  }
}

export class SoldOutFlags {
  private readonly flags = new Map<string, number>();

  isSoldOut(saleId: string, variantId: string): boolean {
    const key = `${saleId}:${variantId}`;
    const until = this.flags.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.flags.delete(key);
    return false;
  }

  mark(saleId: string, variantId: string): void {
    this.flags.set(`${saleId}:${variantId}`, Date.now() + SOLD_OUT_FLAG_MS);
  }

  clear(saleId: string): void {
    for (const key of this.flags.keys()) if (key.startsWith(`${saleId}:`)) this.flags.delete(key);
  }
}

/** A small per-key value remembered for a short time (unpaid units outstanding, store remaining). */
export class ShortMemo<T> {
  private readonly cache = new LoadingCache<T>(10_000);
  constructor(private readonly ttlMs: number) {}
  get(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.get(key, () => this.ttlMs, load);
  }
  delete(key: string): void {
    this.cache.delete(key);
  }
}
