// Property tests of policy documents: the evaluator never throws on a document checkPolicy accepts,
// whatever the signals; checkPolicy never throws on anything and names where a refused document is
// wrong; and over HTTP a refused document is a 400 that changes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { compilePolicy } from './evaluate.ts';
import { ACTIONS, checkPolicy, type Condition, type PolicyDocument } from './policy.ts';
import { SIGNAL_NAMES } from './signals/catalogue.ts';

const signalName = fc.oneof(fc.constantFrom(...SIGNAL_NAMES), fc.constantFrom('custom.vip', 'custom.sale_id'));
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.double({ noNaN: true }), fc.boolean(), fc.integer({ min: -5, max: 50 }));

const condition: fc.Arbitrary<Condition> = fc.letrec<{ node: Condition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ signal: signalName, op: fc.constantFrom('eq' as const, 'ne' as const), value: scalar }),
    fc.record({ signal: signalName, op: fc.constantFrom('gt' as const, 'gte' as const, 'lt' as const, 'lte' as const), value: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    fc.record({ signal: signalName, op: fc.constantFrom('in' as const, 'not_in' as const), values: fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 5 }) }),
    fc.record({ signal: signalName, op: fc.constantFrom('present' as const, 'absent' as const) }),
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node;

const rule = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,10}$/),
    when: condition,
    score: fc.double({ min: -1000, max: 1000, noNaN: true }),
    action: fc.constantFrom('challenge' as const, 'review' as const, 'deny' as const),
  },
  { requiredKeys: ['id', 'when'] },
);

const documentArb: fc.Arbitrary<PolicyDocument> = fc.record(
  {
    rules: fc.uniqueArray(rule, { maxLength: 12, selector: (r) => r.id }),
    thresholds: fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 4, maxLength: 4 }).map((t) => [...t].sort((x, y) => x - y)),
    actions: fc.array(fc.constantFrom(...ACTIONS), { minLength: 5, maxLength: 5 }),
    allowSampleRate: fc.double({ min: 0, max: 1, noNaN: true }),
  },
  { requiredKeys: ['rules', 'thresholds', 'actions'] },
);

const signalsArb = fc.dictionary(signalName, fc.option(scalar, { nil: undefined }), { maxKeys: 20 });

/** A valid document with one value somewhere replaced by arbitrary JSON. */
function mutate(doc: PolicyDocument, path: number[], replacement: unknown): unknown {
  const copy = structuredClone(doc) as unknown;
  let node = copy as Record<string, unknown>;
  for (let i = 0; i < path.length; i++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[path[i]! % keys.length]!;
    const child = node[key];
    if (i === path.length - 1 || child === null || typeof child !== 'object') {
      node[key] = replacement;
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

describe('policy documents under fuzzing', () => {
  it('the evaluator never throws on a document the schema accepts, whatever the signals', () => {
    fc.assert(
      fc.property(documentArb, fc.array(signalsArb, { minLength: 1, maxLength: 5 }), (doc, inputs) => {
        if (checkPolicy(doc) !== undefined) return; // over the size limits: refused, never run
        const policy = compilePolicy(doc);
        for (const signals of inputs) {
          const outcome = policy.evaluate(signals);
          assert.ok(ACTIONS.includes(outcome.action));
          assert.ok(outcome.level >= 0 && outcome.level <= 4);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('checkPolicy never throws, and a refusal names a place in the document', () => {
    const candidates = fc.oneof(
      fc.jsonValue(),
      fc.anything(),
      fc.tuple(documentArb, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue()).map(([doc, path, value]) => mutate(doc, path, value)),
    );
    fc.assert(
      fc.property(candidates, (candidate) => {
        const fault = checkPolicy(candidate);
        if (fault === undefined) {
          compilePolicy(candidate as PolicyDocument).evaluate({});
          return;
        }
        assert.match(fault.path, /^document(\.|$)/);
        assert.ok(fault.message.length > 0);
      }),
      { numRuns: 600 },
    );
  });
});

eachDatabase('risk policy documents over HTTP, fuzzed', (env: TestEnv) => {
  it('answers 200 with a new version or 400 risk_policy_invalid that changes nothing, never a 5xx', async () => {
    const shop = await createTestPlatform(env, { slug: 'risk-fuzz', modules: ['risk'] });
    const fingerprint = () => tablesFingerprint(env.souk.database, ['risk_policy_versions']);
    const candidates = fc.oneof(documentArb as fc.Arbitrary<unknown>, fc.tuple(documentArb, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.jsonValue()).map(([d, p, v]) => mutate(d, p, v)));
    await fc.assert(
      fc.asyncProperty(candidates, async (document) => {
        const before = await fingerprint();
        const res = await asBearer(env.app, shop.adminToken, { method: 'PUT', url: '/admin/platforms/risk-fuzz/risk/policies/flash_sale', payload: { document } });
        assert.ok(res.statusCode === 200 || res.statusCode === 400, `${res.statusCode} ${res.body.slice(0, 300)}`);
        if (res.statusCode === 400) assert.equal(await fingerprint(), before, res.body);
      }),
      { numRuns: 40 },
    );
  });
});
