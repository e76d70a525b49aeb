// Small statistics helpers: percentiles of raw samples and medians across benchmark rounds.

/** The p-th percentile (0–100) of ascending-sorted values, nearest-rank method. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  const upper = finite[middle] ?? Number.NaN;
  if (finite.length % 2 === 1) return upper;
  const lower = finite[middle - 1] ?? Number.NaN;
  return (lower + upper) / 2;
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** Rounds to `digits` decimals, keeping NaN as is (it prints as "–" in tables and null in JSON). */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Grows a Float64Array as samples arrive; cheaper than a plain array for a few hundred thousand numbers. */
export class SampleBuffer {
  private data = new Float64Array(1 << 16);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  get size(): number {
    return this.length;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** Latency percentiles of one measurement, ms. */
export interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** p50, p90, p99 and max of the samples, rounded to `digits` decimals (NaN when there are none). */
export function latencyPercentiles(samples: SampleBuffer, digits: number): Percentiles {
  const sorted = samples.sorted();
  return {
    p50Ms: round(percentileOfSorted(sorted, 50), digits),
    p90Ms: round(percentileOfSorted(sorted, 90), digits),
    p99Ms: round(percentileOfSorted(sorted, 99), digits),
    maxMs: round(percentileOfSorted(sorted, 100), digits),
  };
}
