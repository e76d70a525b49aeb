// Routing policy documents for property tests (src/gateway/policy.test.ts against checkPolicy, and
// test/gateway.test.ts against a running gateway's API).
import fc from 'fast-check';

// Documents for the property tests: mostly valid pieces, with random junk mixed in at every level.
const junk = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
const condition = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ os: fc.array(fc.constantFrom('ios', 'android', 'desktop', 'windows'), { minLength: 0, maxLength: 3 }) }),
    fc.record({ device: fc.array(fc.constantFrom('mobile', 'tablet', 'desktop'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ app: fc.array(fc.constantFrom('wechat', 'wechat-miniprogram', 'none'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ ip: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.0.0.0/8', '::1/128', '300.1.1.1', '10.0.0.0/40', 'office')), { minLength: 1, maxLength: 3 }) }),
    fc.record({ header: fc.record({ name: fc.constantFrom('x-beta', 'bad name', ''), values: fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 2 }) }, { requiredKeys: ['name'] }) }),
    fc.record({ cookie: fc.record({ name: fc.constantFrom('beta', 'souk_x') }) }),
    fc.record({ query: fc.record({ name: fc.constantFrom('track', 'b') }) }),
    fc.record({ host: fc.array(fc.constantFrom('shop-a.test', '*.shop-b.test', 'Bad Host'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ customerPercent: fc.record({ percent: fc.double({ min: -10, max: 110, noNaN: true }), salt: fc.string({ maxLength: 4 }) }, { requiredKeys: ['percent'] }) }),
    fc.record({ randomPercent: fc.oneof(fc.double({ min: -5, max: 105, noNaN: true }), fc.constant(Number.NaN)) }),
    fc.record({ time: fc.record({ from: fc.constantFrom('2030-01-01T00:00:00Z', 'yesterday'), to: fc.constantFrom('2029-01-01T00:00:00Z', '2031-01-01T00:00:00Z') }, { requiredKeys: [] }) }),
    fc.record({ all: fc.array(tie('node'), { minLength: 0, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
}));
const conditionOrJunk = fc.oneof({ arbitrary: condition.node, weight: 12 }, { arbitrary: junk, weight: 1 });
const rule = fc.record({ id: fc.constantFrom('a', 'b', 'office-ios', 'c', 'Bad Id'), when: conditionOrJunk, track: fc.constantFrom('stable', 'canary', 'shop-a', 'canary', 'nowhere'), override: fc.boolean() }, { requiredKeys: ['id', 'when', 'track'] });
export const documentArb = fc.record(
  {
    rules: fc.oneof({ arbitrary: fc.array(rule, { maxLength: 3 }), weight: 9 }, { arbitrary: junk, weight: 1 }),
    default: fc.oneof(
      { arbitrary: fc.dictionary(fc.constantFrom('stable', 'canary', 'stable', 'nowhere', 'Bad'), fc.double({ min: -1, max: 101, noNaN: true }), { minKeys: 1, maxKeys: 3 }), weight: 9 },
      { arbitrary: junk, weight: 1 },
    ),
    sticky: fc.boolean(),
  },
  { requiredKeys: ['rules', 'default'] },
).chain((doc) => fc.oneof({ arbitrary: fc.constant<unknown>(doc), weight: 9 }, { arbitrary: junk.map((extra): unknown => ({ ...doc, extra })), weight: 1 }));

