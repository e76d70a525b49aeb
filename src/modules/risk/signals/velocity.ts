// Velocity counters over sliding windows, in process. Each key keeps, per window length, the count of the
// current fixed window and of the one before; the sliding count weighs the previous window by how much of
// it still overlaps the last W milliseconds. That is O(1) time and 9 numbers per key, accurate to within
// the previous window's share, which is plenty for "how many sign-ups from this device today".

export const VELOCITY_WINDOWS = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
export type VelocityWindow = keyof typeof VELOCITY_WINDOWS;
const WINDOW_MS = Object.values(VELOCITY_WINDOWS);
const SLOTS = 3; // per window: [start, current, previous]
const LONGEST = Math.max(...WINDOW_MS);

export class SlidingCounters {
  private readonly entries = new Map<string, Float64Array>();

  /** maxKeys bounds memory under a flood of distinct keys: past it, the oldest-inserted tenth is dropped. */
  constructor(private readonly maxKeys = 200_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Counts one event for key at now and writes the sliding counts (1m, 1h, 24h, this event included) to out. */
  hit(key: string, now: number, out: Float64Array): void {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxKeys) this.evictOldest(Math.ceil(this.maxKeys / 10));
      entry = new Float64Array(WINDOW_MS.length * SLOTS);
      for (let w = 0; w < WINDOW_MS.length; w++) entry[w * SLOTS] = now - (now % WINDOW_MS[w]!);
      this.entries.set(key, entry);
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
    for (const [key, entry] of this.entries) {
      if (now - entry[(WINDOW_MS.length - 1) * SLOTS]! > 2 * LONGEST) {
        this.entries.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOldest(count: number): void {
    for (const key of this.entries.keys()) {
      if (count-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
