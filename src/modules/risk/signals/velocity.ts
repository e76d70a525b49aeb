// Velocity counters over sliding windows, in process. Each key keeps, per window length, the count of the
// current fixed window and of the one before; the sliding count weighs the previous window by how much of
// it still overlaps the last W milliseconds. That is O(1) time and 9 numbers per key, accurate to within
// the previous window's share, which is plenty for "how many sign-ups from this device today".
//
// Keys live in one map per (platform, decision point, key kind), so the hot path looks a key up as the
// caller has it, without building a composite string per decision. All maps share one key budget.

export const VELOCITY_WINDOWS = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
export type VelocityWindow = keyof typeof VELOCITY_WINDOWS;
const WINDOW_MS = Object.values(VELOCITY_WINDOWS);
const SLOTS = 3; // per window: [start, current, previous]
const LONGEST = Math.max(...WINDOW_MS);

/** One key's windows, flat: [start, current, previous] per window length. */
type Entry = number[];

export class SlidingCounters {
  private readonly scopes = new Map<string, Map<string, Entry>[]>();
  private keys = 0;

  /**
   * maxKeys bounds memory under a flood of distinct keys: past it, a new key first drops the oldest tenth
   * of its own map (a flood fills the map it floods, so that is where the old keys are).
   */
  constructor(private readonly maxKeys = 500_000) {}

  get size(): number {
    return this.keys;
  }

  /** The maps of one scope (a platform's decision point), one per key kind; made on first use. */
  scope(name: string, kinds: number): Map<string, Entry>[] {
    let maps = this.scopes.get(name);
    if (!maps) {
      maps = Array.from({ length: kinds }, () => new Map<string, Entry>());
      this.scopes.set(name, maps);
    }
    return maps;
  }

  /** Counts one event for key at now and writes the sliding counts (1m, 1h, 24h, this event included) to out. */
  hit(map: Map<string, Entry>, key: string, now: number, out: number[]): void {
    let entry = map.get(key);
    if (entry === undefined) {
      if (this.keys >= this.maxKeys) this.evictOldest(map, Math.ceil(map.size / 10));
      entry = [0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (let w = 0; w < WINDOW_MS.length; w++) entry[w * SLOTS] = now - (now % WINDOW_MS[w]!);
      map.set(key, entry);
      this.keys += 1;
    }
    for (let w = 0; w < WINDOW_MS.length; w++) {
      const size = WINDOW_MS[w]!;
      const base = w * SLOTS;
      const start = now - (now % size);
      const elapsedWindows = (start - entry[base]!) / size;
      if (elapsedWindows === 1) {
        entry[base + 2] = entry[base + 1]!;
        entry[base + 1] = 0;
        entry[base] = start;
      } else if (elapsedWindows > 1) {
        entry[base + 2] = 0;
        entry[base + 1] = 0;
        entry[base] = start;
      }
      entry[base + 1]! += 1;
      const overlap = (size - (now - start)) / size;
      out[w] = Math.round(entry[base + 1]! + entry[base + 2]! * overlap);
    }
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
    this.keys = 0;
  }

  private evictOldest(map: Map<string, Entry>, count: number): void {
    for (const key of map.keys()) {
      if (count-- <= 0) break;
      map.delete(key);
      this.keys -= 1;
    }
  }
}
