// Velocity counters over sliding windows. Each key keeps, per window length, the count of the current
// fixed window and of the one before; the sliding count weighs the previous window by how much of it
// still overlaps the last W milliseconds. That is O(1) time and a few numbers per key, accurate to within
// the previous window's share, which is plenty for "how many sign-ups from this device today".
//
// Keys live in one map per (platform, decision point, key kind), so the hot path looks a key up as the
// caller has it, without building a composite string per decision. All maps share one key budget.
//
// Shared across nodes (velocity-redis.ts): the hot path still only touches memory. A hit marks its key
// dirty; a timer sends each dirty key's new hits to Redis (INCRBY per window) and keeps what the reply
// says the other nodes counted, which the next hits add in. Without sharing those slots stay 0.

export const VELOCITY_WINDOWS = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
export type VelocityWindow = keyof typeof VELOCITY_WINDOWS;
export const WINDOW_MS: readonly number[] = Object.values(VELOCITY_WINDOWS);
/** Per window: the window's start, this node's count in it and in the one before, the other nodes' counts
 * in both (as of the last sync), this node's hits already sent, and whether the previous window's cluster
 * total has been read since the window began. */
export const SLOT = { start: 0, current: 1, previous: 2, othersCurrent: 3, othersPrevious: 4, sent: 5, previousRead: 6 } as const;
export const SLOTS = 7;
/** After the windows: 1 while the key waits in the dirty queue. */
const DIRTY = WINDOW_MS.length * SLOTS;
const LONGEST = Math.max(...WINDOW_MS);

/** One key's windows, flat: SLOTS numbers per window length, then the dirty flag. */
export type Entry = number[];

/** The keys of one (platform, decision point, key kind); its label names it in Redis. */
export class KeyMap extends Map<string, Entry> {
  constructor(readonly label: string) {
    super();
  }
}

/** Hits not yet sent, for the sync: the keys touched, and windows that rolled over with hits unsent. */
export interface Unsent {
  maps: KeyMap[];
  keys: string[];
  entries: Entry[];
  late: { map: KeyMap; key: string; window: number; start: number; count: number }[];
}

const emptyUnsent = (): Unsent => ({ maps: [], keys: [], entries: [], late: [] });

export class SlidingCounters {
  private readonly scopes = new Map<string, KeyMap[]>();
  private readonly byPlatform = new Map<string, Map<string, KeyMap[]>>();
  private keys = 0;
  /** Set by a sync (velocity-redis.ts): hits are then queued for it. */
  private sharing = false;
  private unsent = emptyUnsent();

  /**
   * maxKeys bounds memory under a flood of distinct keys: past it, a new key first drops the oldest tenth
   * of its own map (a flood fills the map it floods, so that is where the old keys are).
   */
  constructor(private readonly maxKeys = 500_000) {}

  get size(): number {
    return this.keys;
  }

  /**
   * The maps of a platform's decision point, found through two Map reads on the strings the caller
   * already has (no scope name built per decision, which hashing a fresh string made a tenth of the
   * counters' cost); the same maps scope(`${platformId}|${point}`) gives.
   */
  scopeOf(platformId: string, point: string, kinds: number): KeyMap[] {
    let points = this.byPlatform.get(platformId);
    if (!points) this.byPlatform.set(platformId, (points = new Map()));
    let maps = points.get(point);
    if (!maps) points.set(point, (maps = this.scope(`${platformId}|${point}`, kinds)));
    return maps;
  }

  /** The maps of one scope (a platform's decision point), one per key kind; made on first use. */
  scope(name: string, kinds: number): KeyMap[] {
    let maps = this.scopes.get(name);
    if (!maps) {
      maps = Array.from({ length: kinds }, (_, kind) => new KeyMap(`${name}|${kind}`));
      this.scopes.set(name, maps);
    }
    return maps;
  }

  /** Counts one event for key at now and writes the sliding counts (1m, 1h, 24h, this event included) to out. */
  hit(map: KeyMap, key: string, now: number, out: number[]): void {
    let entry = map.get(key);
    if (entry === undefined) {
      if (this.keys >= this.maxKeys) this.evictOldest(map, Math.ceil(map.size / 10));
      entry = new Array<number>(DIRTY + 1).fill(0);
      for (let w = 0; w < WINDOW_MS.length; w++) entry[w * SLOTS] = now - (now % WINDOW_MS[w]!);
      map.set(key, entry);
      this.keys += 1;
    }
    for (let w = 0; w < WINDOW_MS.length; w++) {
      const size = WINDOW_MS[w]!;
      const base = w * SLOTS;
      const start = now - (now % size);
      if (start !== entry[base]) this.roll(map, key, entry, w, start);
      entry[base + 1]! += 1;
      const overlap = (size - (now - start)) / size;
      out[w] = Math.round(entry[base + 1]! + entry[base + 3]! + (entry[base + 2]! + entry[base + 4]!) * overlap);
    }
    if (this.sharing && entry[DIRTY] === 0) {
      entry[DIRTY] = 1;
      this.unsent.maps.push(map);
      this.unsent.keys.push(key);
      this.unsent.entries.push(entry);
    }
  }

  /** A window of the entry ends: the current counts become the previous ones (or nothing, after a gap). */
  private roll(map: KeyMap, key: string, entry: Entry, w: number, start: number): void {
    const base = w * SLOTS;
    const size = WINDOW_MS[w]!;
    const unsentHits = entry[base + 1]! - entry[base + 5]!;
    if (this.sharing && unsentHits > 0) this.unsent.late.push({ map, key, window: w, start: entry[base]!, count: unsentHits });
    const adjacent = start - entry[base]! === size;
    entry[base + 2] = adjacent ? entry[base + 1]! : 0;
    entry[base + 4] = adjacent ? entry[base + 3]! : 0;
    entry[base + 1] = 0;
    entry[base + 3] = 0;
    entry[base + 5] = 0;
    entry[base + 6] = 0;
    entry[base] = start;
  }

  /** Queues hits for a sync from now on (velocity-redis.ts). */
  share(): void {
    this.sharing = true;
  }

  /** What was hit since the last call, for the sync to send; the keys are no longer marked dirty. */
  takeUnsent(): Unsent {
    const taken = this.unsent;
    this.unsent = emptyUnsent();
    for (const entry of taken.entries) entry[DIRTY] = 0;
    return taken;
  }

  /** Puts a key back in the queue (its send failed). */
  requeue(map: KeyMap, key: string, entry: Entry): void {
    if (entry[DIRTY] === 1) return;
    entry[DIRTY] = 1;
    this.unsent.maps.push(map);
    this.unsent.keys.push(key);
    this.unsent.entries.push(entry);
  }

  requeueLate(late: Unsent['late']): void {
    this.unsent.late.push(...late);
  }

  /** Forgets keys not hit for longer than the longest window (a timer calls this). */
  sweep(now: number): number {
    let removed = 0;
    for (const maps of this.scopes.values()) {
      for (const map of maps) {
        for (const [key, entry] of map) {
          if (now - entry[(WINDOW_MS.length - 1) * SLOTS]! > 2 * LONGEST) {
            map.delete(key);
            removed += 1;
          }
        }
      }
    }
    this.keys -= removed;
    return removed;
  }

  clear(): void {
    this.scopes.clear();
    this.byPlatform.clear();
    this.keys = 0;
    this.unsent = emptyUnsent();
  }

  private evictOldest(map: Map<string, Entry>, count: number): void {
    for (const key of map.keys()) {
      if (count-- <= 0) break;
      map.delete(key);
      this.keys -= 1;
    }
  }
}
