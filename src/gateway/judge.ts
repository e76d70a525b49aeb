// The statistics a rollout step is judged by. Mann-Whitney U (two samples, normal approximation with tie
// and continuity correction, as scipy's `mannwhitneyu(method='asymptotic')`): does the canary's latency
// tend to be larger than the stable track's? No maintained npm package offers the rank-sum test with a
// p-value (@stdlib/stats-wilcoxon is the signed-rank test for paired samples; simple-statistics gives the
// statistic only), so it is written here and checked against scipy's values in judge.test.ts.

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface UTest {
  /** U of the first sample. */
  u: number;
  z: number;
  p: number;
}

/** erfc with a relative error below 1.2e-7 (Chebyshev fit, Numerical Recipes' erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export const normalSurvival = (z: number) => 0.5 * erfc(z / Math.SQRT2);

/** Mann-Whitney U test of x against y. `greater`: x tends to be larger than y. */
export function mannWhitneyU(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided'): UTest {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('both samples need at least one value');
  const all = [...x.map((value) => ({ value, first: true })), ...y.map((value) => ({ value, first: false }))].sort((a, b) => a.value - b.value);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.value === all[i]!.value) j++;
    const rank = (i + j + 2) / 2; // average of ranks i+1 … j+1
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += rank;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1 || 1))));
  if (sd === 0) return { u, z: 0, p: 1 };
  let z: number;
  let p: number;
  if (alternative === 'two-sided') {
    z = (Math.abs(u - mean) - 0.5) / sd;
    p = Math.min(1, 2 * normalSurvival(z));
  } else if (alternative === 'greater') {
    z = (u - mean - 0.5) / sd;
    p = normalSurvival(z);
  } else {
    z = (u - mean + 0.5) / sd;
    p = 1 - normalSurvival(z);
  }
  return { u, z, p };
}

export interface StepSample {
  requests: number;
  errors: number;
  /** Latencies (seconds) of the step's requests, or a bounded sample of them. */
  latencies: readonly number[];
}

export interface Thresholds {
  /** The canary's error rate may exceed stable's by at most this (absolute, e.g. 0.01 = one point). */
  maxErrorRateIncrease: number;
  /** Significance for the latency test (canary slower than stable). */
  alpha: number;
  /** A significant slowdown only counts when the canary's median is this much slower (ratio, e.g. 1.2). */
  maxMedianLatencyRatio: number;
  /** Requests per track before a step may be judged at all. */
  minSamples: number;
}

export type Verdict = { verdict: 'pass' | 'fail' | 'wait'; reason: string };

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Judges one step: canary against stable on error rate (threshold) and latency (U test plus threshold). */
export function judgeStep(canary: StepSample, stable: StepSample, t: Thresholds): Verdict {
  const canaryRate = canary.requests ? canary.errors / canary.requests : 0;
  const stableRate = stable.requests ? stable.errors / stable.requests : 0;
  // Errors fail a step as soon as they are clear, even before the sample is complete: a broken canary
  // should not keep serving until the step's minimum is reached.
  const errorExcess = canaryRate - stableRate;
  if (canary.requests >= Math.min(t.minSamples, 20) && errorExcess > t.maxErrorRateIncrease) {
    return { verdict: 'fail', reason: `canary error rate ${(canaryRate * 100).toFixed(2)} % against stable ${(stableRate * 100).toFixed(2)} % (${canary.errors}/${canary.requests}); allowed +${(t.maxErrorRateIncrease * 100).toFixed(2)} points` };
  }
  if (canary.requests < t.minSamples || stable.requests < t.minSamples) {
    return { verdict: 'wait', reason: `samples canary ${canary.requests}, stable ${stable.requests}; need ${t.minSamples} each` };
  }
  if (canary.latencies.length && stable.latencies.length) {
    const test = mannWhitneyU(canary.latencies, stable.latencies, 'greater');
    const ratio = median(canary.latencies) / (median(stable.latencies) || Number.EPSILON);
    if (test.p < t.alpha && ratio > t.maxMedianLatencyRatio) {
      return { verdict: 'fail', reason: `canary slower: Mann-Whitney U p=${test.p.toExponential(2)} < ${t.alpha}, median ${ratio.toFixed(2)}× stable (allowed ${t.maxMedianLatencyRatio}×)` };
    }
  }
  return { verdict: 'pass', reason: `canary error rate ${(canaryRate * 100).toFixed(2)} % (stable ${(stableRate * 100).toFixed(2)} %), latency not worse` };
}
