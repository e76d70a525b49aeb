// The tally counter counts on a plain number and shows the same totals as a prom-client counter would,
// at every read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { TallyCounter } from './tally-counter.ts';

describe('TallyCounter', () => {
  it('hands its counts to Prometheus when read, per label set, and keeps counting after', async () => {
    const registry = new Registry();
    const tally = new TallyCounter({ name: 't_total', help: 't', labelNames: ['point', 'action'] as const, registers: [registry] });
    for (let i = 0; i < 5; i += 1) tally.inc('coupon', 'allow');
    tally.inc('coupon', 'deny');
    tally.inc('login', 'allow');
    const read = async () => (await tally.counter.get()).values.map((v) => `${v.labels.point}/${v.labels.action}=${v.value}`).sort();
    assert.deepEqual(await read(), ['coupon/allow=5', 'coupon/deny=1', 'login/allow=1']);
    tally.inc('coupon', 'deny');
    assert.match(await registry.metrics(), /t_total\{point="coupon",action="deny"\} 2/);
    assert.deepEqual(await read(), ['coupon/allow=5', 'coupon/deny=2', 'login/allow=1'], 'a read adds nothing twice');
  });

  it('takes one to three labels', () => {
    const registry = new Registry();
    const one = new TallyCounter({ name: 'one_total', help: 'o', labelNames: ['kind'] as const, registers: [registry] });
    one.inc('x');
    const three = new TallyCounter({ name: 'three_total', help: 'h', labelNames: ['a', 'b', 'c'] as const, registers: [registry] });
    three.inc('1', '2', '3');
    assert.throws(() => new TallyCounter({ name: 'none_total', help: 'n', labelNames: [] as const, registers: [registry] }));
  });
});
