import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlan, rolledBackDocument, stepDocument, type Plan } from './rollouts.ts';
import { createSampleRecorder } from './samples.ts';
import type { PolicyDocument } from './policy.ts';

const TRACKS = ['stable', 'canary', 'blue'];

describe('rollout plans', () => {
  it('fills in defaults for a valid plan', () => {
    const checked = checkPlan({ steps: [{ weight: 1, minDurationSeconds: 30, minSamples: 50 }, { weight: 25 }, { weight: 100 }] }, TRACKS);
    assert.ok('plan' in checked);
    assert.deepEqual(checked.plan, {
      canaryTrack: 'canary',
      stableTrack: 'stable',
      steps: [{ weight: 1, minDurationSeconds: 30, minSamples: 50 }, { weight: 25, minDurationSeconds: 60, minSamples: 100 }, { weight: 100, minDurationSeconds: 60, minSamples: 100 }],
      thresholds: { maxErrorRateIncrease: 0.01, alpha: 0.01, maxMedianLatencyRatio: 1.5 },
    });
  });

  it('refuses bad plans, naming where', () => {
    const cases: [unknown, string][] = [
      [null, 'plan'],
      [{ steps: [] }, 'plan.steps'],
      [{ steps: [{ weight: 0 }, { weight: 100 }] }, 'plan.steps.0.weight'],
      [{ steps: [{ weight: 5, minSamples: 1.5 }, { weight: 100 }] }, 'plan.steps.0.minSamples'],
      [{ steps: [{ weight: 50 }, { weight: 20 }, { weight: 100 }] }, 'plan.steps.1.weight'],
      [{ steps: [{ weight: 5 }, { weight: 50 }] }, 'plan.steps.1.weight'],
      [{ steps: [{ weight: 100 }], canaryTrack: 'nowhere' }, 'plan.canaryTrack'],
      [{ steps: [{ weight: 100 }], canaryTrack: 'stable' }, 'plan.canaryTrack'],
      [{ steps: [{ weight: 100 }], thresholds: { alpha: 0 } }, 'plan.thresholds.alpha'],
      [{ steps: [{ weight: 100 }], extra: 1 }, 'plan'],
    ];
    for (const [candidate, path] of cases) {
      const checked = checkPlan(candidate, TRACKS);
      assert.ok('path' in checked, JSON.stringify(candidate));
      assert.equal(checked.path, path, `${JSON.stringify(candidate)}: ${checked.message}`);
    }
  });

  it('keeps the base rules on every step and drops the rules to canary on a roll back', () => {
    const base: PolicyDocument = {
      rules: [
        { id: 'office-ios', when: { os: ['ios'] }, track: 'canary' },
        { id: 'android', when: { os: ['android'] }, track: 'stable' },
      ],
      default: { stable: 100 },
      sticky: true,
    };
    const plan = (checkPlan({ steps: [{ weight: 5 }, { weight: 100 }] }, TRACKS) as { plan: Plan }).plan;
    assert.deepEqual(stepDocument(base, plan, 5), { ...base, default: { stable: 95, canary: 5 } });
    assert.deepEqual(stepDocument(base, plan, 100), { ...base, default: { canary: 100 } });
    assert.deepEqual(rolledBackDocument(base, plan), { rules: [base.rules[1]], default: { stable: 100 }, sticky: true });
  });
});

describe('latency samples', () => {
  it('counts every request and keeps a bounded, uniform reservoir per window and track', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const recorder = createSampleRecorder(100, 'node-a', random);
    for (let i = 0; i < 10_000; i++) recorder.record(1, 'canary', i % 20 === 0, i);
    recorder.record(2, 'stable', false, 0.5);
    const canary = recorder.local(1).get('canary')!;
    assert.deepEqual([canary.requests, canary.errors, canary.latencies.length], [10_000, 500, 100]);
    // Uniform over the whole stream: the kept values are spread over it, not the first or last hundred.
    const mean = canary.latencies.reduce((a, b) => a + b, 0) / canary.latencies.length;
    assert.ok(mean > 3500 && mean < 6500, `mean ${mean}`);
    assert.deepEqual(recorder.local(2).get('stable'), { requests: 1, errors: 0, latencies: [0.5] });
    assert.equal(recorder.local(3).size, 0);
  });
});
