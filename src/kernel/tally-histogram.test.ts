// The tally histogram reads out exactly as a prom-client Histogram fed the same observations, in the
// registry's text and JSON formats.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { TallyHistogram } from './tally-histogram.ts';

const BUCKETS = [0.00001, 0.00005, 0.0001, 0.001, 0.01];
const config = (registry: Registry) => ({ name: 'h_seconds', help: 'h', labelNames: ['point'] as const, buckets: BUCKETS, registers: [registry] });

describe('TallyHistogram', () => {
  it('shows the buckets, sum and count prom-client would, per label value, and keeps counting after a read', async () => {
    const tallyRegistry = new Registry();
    const promRegistry = new Registry();
    const tally = new TallyHistogram(config(tallyRegistry));
    const prom = new Histogram(config(promRegistry));
    // On a bound, between bounds, past the last one, and a label value seen once.
    const seen: [string, number][] = [['coupon', 0.00001], ['coupon', 0.00003], ['coupon', 0.5], ['coupon', 0.0002], ['login', 0.00005], ['coupon', 0.00003]];
    const feed = (from: number, to: number) => {
      for (const [point, value] of seen.slice(from, to)) {
        tally.observe(point, value);
        prom.observe({ point }, value);
      }
    };
    feed(0, 4);
    assert.equal(await tallyRegistry.metrics(), await promRegistry.metrics());
    feed(4, seen.length);
    const text = await tallyRegistry.metrics();
    assert.equal(text, await promRegistry.metrics());
    assert.match(text, /h_seconds_bucket\{le="0\.00005",point="coupon"\} 3/);
    assert.match(text, /h_seconds_count\{point="login"\} 1/);
    assert.deepEqual(await tallyRegistry.getMetricsAsJSON(), await promRegistry.getMetricsAsJSON());
    tally.reset();
    prom.reset();
    assert.equal(await tallyRegistry.metrics(), await promRegistry.metrics());
  });

  it('ignores values that are not finite and refuses buckets out of order', () => {
    const registry = new Registry();
    const tally = new TallyHistogram(config(registry));
    tally.observe('coupon', Number.NaN);
    assert.throws(() => new TallyHistogram({ ...config(new Registry()), buckets: [0.1, 0.01] }), /ascending/);
  });
});
