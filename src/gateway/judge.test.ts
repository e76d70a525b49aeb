import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeStep, mannWhitneyU } from './judge.ts';

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`);

describe('Mann-Whitney U', () => {
  // Expected values from scipy 1.17 stats.mannwhitneyu(method='asymptotic', use_continuity=True).
  it('matches scipy without ties', () => {
    const a = [19, 22, 16, 29, 24];
    const b = [20, 11, 17, 12];
    const two = mannWhitneyU(a, b);
    assert.equal(two.u, 17);
    close(two.p, 0.11134688653314041);
    close(mannWhitneyU(a, b, 'greater').p, 0.055673443266570206);
  });

  it('matches scipy with ties', () => {
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 9, 10, 12];
    const b = [3, 4, 4, 5, 6, 6, 7, 8, 8, 11, 13, 14, 15];
    const two = mannWhitneyU(a, b);
    assert.equal(two.u, 38.5);
    close(two.p, 0.033176611697177574);
    const greater = mannWhitneyU(b, a, 'greater');
    assert.equal(greater.u, 117.5);
    close(greater.p, 0.016588305848588787);
    close(mannWhitneyU(a, b, 'less').p, 0.016588305848588787);
  });

  it('gives p=1 when every value is the same, and refuses an empty sample', () => {
    assert.equal(mannWhitneyU([1, 1, 1], [1, 1]).p, 1);
    assert.throws(() => mannWhitneyU([], [1]), RangeError);
  });
});

describe('judgeStep', () => {
  const t = { maxErrorRateIncrease: 0.01, alpha: 0.01, maxMedianLatencyRatio: 1.2, minSamples: 100 };
  const lat = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + (i % 10) * 0.0001);

  it('fails a canary with 5 % errors once 20 requests are in, before the minimum sample', () => {
    const verdict = judgeStep({ requests: 40, errors: 2, latencies: lat(40, 0.01) }, { requests: 400, errors: 0, latencies: lat(400, 0.01) }, t);
    assert.equal(verdict.verdict, 'fail');
    assert.match(verdict.reason, /error rate 5\.00 %/);
  });

  it('waits for the minimum sample, then passes a healthy canary', () => {
    assert.equal(judgeStep({ requests: 50, errors: 0, latencies: lat(50, 0.01) }, { requests: 400, errors: 0, latencies: lat(400, 0.01) }, t).verdict, 'wait');
    assert.equal(judgeStep({ requests: 150, errors: 0, latencies: lat(150, 0.01) }, { requests: 400, errors: 1, latencies: lat(400, 0.01) }, t).verdict, 'pass');
  });

  it('fails a significantly and materially slower canary, but not one only a little slower', () => {
    const slow = judgeStep({ requests: 150, errors: 0, latencies: lat(150, 0.02) }, { requests: 400, errors: 0, latencies: lat(400, 0.01) }, t);
    assert.equal(slow.verdict, 'fail');
    assert.match(slow.reason, /Mann-Whitney/);
    assert.equal(judgeStep({ requests: 150, errors: 0, latencies: lat(150, 0.0105) }, { requests: 400, errors: 0, latencies: lat(400, 0.01) }, t).verdict, 'pass');
  });
});
