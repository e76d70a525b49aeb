// The evaluator and its signals, without a database: conditions, levels and forced actions, lists,
// email shapes, user-agent classes, sliding counters, and the default policy against a bonus-hunter farm.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPolicy } from './default-policy.ts';
import { activePolicy, decideOn, platformRisk, type PlatformRisk } from './engine.ts';
import { compileCondition, compilePolicy } from './evaluate.ts';
import type { ListEntry } from './lists.ts';
import { checkPolicy, DECISION_POINTS, type DecisionPoint, type PolicyDocument } from './policy.ts';
import { BUNDLED_DISPOSABLE_DOMAINS } from './signals/disposable-domains.ts';
import { emailShape } from './signals/email.ts';
import { ipShape } from './signals/ip.ts';
import { userAgentClass } from './signals/user-agent.ts';
import { SlidingCounters, type KeyMap } from './signals/velocity.ts';
import { riskInputOf } from './signals/request-input.ts';
import type { RiskInput } from './signals/extract.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';
const bundled = new Set(BUNDLED_DISPOSABLE_DOMAINS);

function state(docs: Partial<Record<DecisionPoint, PolicyDocument>> = {}, lists: Partial<Record<'block' | 'allow' | 'disposable', ListEntry[]>> = {}): PlatformRisk {
  const policies = new Map(DECISION_POINTS.map((p) => [p, activePolicy(docs[p] ? 1 : 0, docs[p] ?? defaultPolicy(p))]));
  return platformRisk('p1', policies, { block: [], allow: [], disposable: [], ...lists });
}

describe('conditions', () => {
  const s = { n: 5, t: 'headless', b: true };
  const yes = (c: Parameters<typeof compileCondition>[0]) => compileCondition(c)(s);
  it('compares, lists, tests presence, and combines with all/any/not', () => {
    assert.equal(yes({ signal: 'n', op: 'gt', value: 4 }), true);
    assert.equal(yes({ signal: 'n', op: 'lte', value: 4 }), false);
    assert.equal(yes({ signal: 't', op: 'in', values: ['script', 'headless'] }), true);
    assert.equal(yes({ signal: 't', op: 'not_in', values: ['script'] }), true);
    assert.equal(yes({ signal: 'b', op: 'eq', value: true }), true);
    assert.equal(yes({ signal: 'missing', op: 'absent' }), true);
    assert.equal(yes({ all: [{ signal: 'n', op: 'eq', value: 5 }, { not: { signal: 'b', op: 'eq', value: false } }] }), true);
    assert.equal(yes({ any: [{ signal: 'n', op: 'eq', value: 6 }, { signal: 't', op: 'ne', value: 'headless' }] }), false);
  });
  it('never fires on an absent signal or a value of another type (except absent and not)', () => {
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      assert.equal(yes({ signal: 'missing', op, value: 0 }), false);
      assert.equal(yes({ signal: 't', op, value: 0 }), false);
    }
    assert.equal(yes({ signal: 'missing', op: 'ne', value: 1 }), false);
    assert.equal(yes({ signal: 'missing', op: 'not_in', values: [1] }), false);
    assert.equal(yes({ signal: 'b', op: 'in', values: [1, 'true'] }), false);
  });
});

describe('levels and actions', () => {
  const doc: PolicyDocument = {
    rules: [
      { id: 'a', when: { signal: 'x', op: 'gte', value: 1 }, score: 25 },
      { id: 'b', when: { signal: 'x', op: 'gte', value: 2 }, score: 30 },
      { id: 'c', when: { signal: 'x', op: 'gte', value: 3 }, action: 'review' },
      { id: 'd', when: { signal: 'y', op: 'eq', value: 'bad' }, score: -10, action: 'deny' },
    ],
    thresholds: [20, 40, 60, 80],
    actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
  };
  const policy = compilePolicy(doc);
  it('sums the scores of the rules that fired, maps the score to a level and the level to an action', () => {
    assert.deepEqual(policy.evaluate({ x: 0 }), { action: 'allow', level: 0, score: 0, fired: [] });
    assert.deepEqual(policy.evaluate({ x: 1 }), { action: 'allow', level: 1, score: 25, fired: [{ rule: 'a', score: 25 }] });
    const two = policy.evaluate({ x: 2 });
    assert.equal(two.action, 'challenge');
    assert.equal(two.level, 2);
    assert.deepEqual(two.fired.map((f) => [f.rule, f.score]), [['a', 25], ['b', 30]]);
  });
  it('takes the most severe of the level action and any forced one, and raises the level to match', () => {
    const three = policy.evaluate({ x: 3 });
    assert.equal(three.action, 'review');
    assert.equal(three.level, 3);
    assert.deepEqual(three.fired.at(-1), { rule: 'c', score: 0, action: 'review' });
    const denied = policy.evaluate({ x: 3, y: 'bad' });
    assert.equal(denied.action, 'deny');
    assert.equal(denied.level, 4);
    assert.equal(denied.score, 45);
  });
});

describe('signals', () => {
  it('folds email aliases and measures digit runs', () => {
    assert.deepEqual(emailShape('J.o.Hn+promo7@GoogleMail.com'), { domain: 'gmail.com', fingerprint: 'john@gmail.com', aliased: true, digitRun: 0 });
    assert.deepEqual(emailShape('shop10234+x@example.com'), { domain: 'example.com', fingerprint: 'shop10234@example.com', aliased: true, digitRun: 5 });
    assert.equal(emailShape('ann.lee@example.com')!.aliased, false, 'dots count only where the provider ignores them');
    for (const bad of ['no-at', '@x.com', 'a@', 'a@b@c', 'x'.repeat(400) + '@a.com']) assert.equal(emailShape(bad), undefined, bad);
  });
  it('classes user agents', () => {
    assert.equal(userAgentClass(CHROME), 'browser');
    assert.equal(userAgentClass(HEADLESS), 'headless');
    assert.equal(userAgentClass('python-requests/2.32.3'), 'script');
    assert.equal(userAgentClass('curl/8.5.0'), 'script');
    assert.equal(userAgentClass('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'), 'bot');
    assert.equal(userAgentClass(undefined), 'empty');
    assert.equal(userAgentClass('MyApp/1.0'), 'other');
  });
  it('reads the /24 and /64 of an address, unwrapping IPv4-mapped IPv6', () => {
    assert.equal(ipShape('203.0.113.77')!.prefix, '203.0.113.0/24');
    assert.equal(ipShape('::ffff:203.0.113.77')!.address, '203.0.113.77');
    assert.equal(ipShape('2001:db8:abcd:12:1::7')!.prefix, '2001:db8:abcd:12::/64');
    assert.equal(ipShape('10.1.2.3')!.private, true);
    assert.equal(ipShape('not an ip'), undefined);
  });
  it('reads the request-shaped input: client address, x-device-id and user agent', () => {
    const input = riskInputOf({ ip: '203.0.113.7', headers: { 'x-device-id': ' dev-1 ', 'user-agent': CHROME } }, { accountId: 'a1' });
    assert.deepEqual(input, { accountId: 'a1', ip: '203.0.113.7', deviceId: 'dev-1', userAgent: CHROME });
    assert.deepEqual(riskInputOf({ ip: '::1', headers: { 'x-device-id': '' } }), { ip: '::1' });
  });
  it('counts over sliding windows: the previous window weighs by its overlap', () => {
    const counters = new SlidingCounters();
    const [map] = counters.scope('p|signup', 1) as [KeyMap];
    const out = [0, 0, 0];
    const t0 = 120_000; // the start of a minute
    for (let i = 0; i < 10; i++) counters.hit(map, 'k', t0 + i, out);
    assert.deepEqual(out, [10, 10, 10]);
    counters.hit(map, 'k', t0 + 90_000, out); // half into the next minute: 10 × 0.5 + 1
    assert.deepEqual(out, [6, 11, 11]);
    counters.hit(map, 'k', t0 + 10 * 60_000, out); // ten minutes on: the minute window starts over
    assert.deepEqual(out, [1, 12, 12]);
    assert.equal(counters.sweep(t0 + 3 * 86_400_000), 1);
  });
  it('bounds memory: past maxKeys the oldest keys go', () => {
    const counters = new SlidingCounters(100);
    const [map] = counters.scope('p|signup', 1) as [KeyMap];
    const out = [0, 0, 0];
    for (let i = 0; i < 1000; i++) counters.hit(map, `k${i}`, 0, out);
    assert.ok(counters.size <= 100 && map.size === counters.size);
  });
});

describe('lists', () => {
  const deps = () => ({ counters: new SlidingCounters(), bundledDisposable: bundled, now: Date.now() });
  it('denies what the block list matches (address, CIDR, IPv6, device, account, email domain and its subdomains)', () => {
    const risk = state({}, {
      block: [
        { kind: 'ip', value: '198.51.100.0/24' },
        { kind: 'ip', value: '2001:db8::/32' },
        { kind: 'device', value: 'dev-bad' },
        { kind: 'account', value: 'acct-bad' },
        { kind: 'email_domain', value: 'spam.example' },
      ],
    });
    const cases: [RiskInput, string][] = [
      [{ ip: '198.51.100.9' }, 'ip'],
      [{ ip: '::ffff:198.51.100.9' }, 'ip'],
      [{ ip: '2001:db8:1::1' }, 'ip'],
      [{ deviceId: 'dev-bad' }, 'device'],
      [{ accountId: 'acct-bad' }, 'account'],
      [{ email: 'a@mx.spam.example' }, 'email_domain'],
    ];
    for (const [input, kind] of cases) {
      const d = decideOn(risk, 'login', { userAgent: CHROME, ...input }, deps());
      assert.equal(d.action, 'deny', JSON.stringify(input));
      assert.deepEqual(d.listed, { list: 'block', kind });
    }
    assert.equal(decideOn(risk, 'login', { ip: '198.51.101.9', userAgent: CHROME }, deps()).action, 'allow');
  });
  it('allows what the allow list matches, unless it is also blocked', () => {
    const risk = state({}, { allow: [{ kind: 'device', value: 'qa-rig' }], block: [{ kind: 'ip', value: '192.0.2.1' }] });
    const allowed = decideOn(risk, 'signup', { deviceId: 'qa-rig', userAgent: HEADLESS }, deps());
    assert.equal(allowed.action, 'allow');
    assert.deepEqual(allowed.listed, { list: 'allow', kind: 'device' });
    assert.equal(decideOn(risk, 'signup', { deviceId: 'qa-rig', ip: '192.0.2.1' }, deps()).action, 'deny');
  });
  it('treats the platform’s disposable list like the bundled one', () => {
    const risk = state({}, { disposable: [{ kind: 'email_domain', value: 'burner.example' }] });
    assert.equal(decideOn(risk, 'signup', { email: 'x@in.burner.example' }, deps()).signals.email_disposable, true);
    assert.equal(decideOn(risk, 'signup', { email: 'x@mailinator.com' }, deps()).signals.email_disposable, true);
    assert.equal(decideOn(risk, 'signup', { email: 'x@example.com' }, deps()).signals.email_disposable, false);
  });
});

describe('the default policy', () => {
  it('is a valid document at every point', () => {
    for (const point of DECISION_POINTS) assert.equal(checkPolicy(defaultPolicy(point)), undefined, point);
  });

  it('stops a sign-up farm and leaves ordinary shoppers alone', () => {
    const risk = state();
    const counters = new SlidingCounters();
    const now = Date.now();
    const outcomes = { farm: { stopped: 0, total: 0 }, shoppers: { stopped: 0, total: 0 } };
    // 300 fresh accounts from 10 IPs and 15 devices, half with throwaway or aliased addresses, a third headless.
    for (let i = 0; i < 300; i++) {
      const email = i % 2 === 0 ? `hunter${1000 + i}@mailinator.com` : `farm.owner+${i}@gmail.com`;
      const d = decideOn(risk, 'signup', { ip: `203.0.113.${i % 10}`, deviceId: `farm-${i % 15}`, userAgent: i % 3 === 0 ? HEADLESS : CHROME, email }, { counters, bundledDisposable: bundled, now: now + i });
      outcomes.farm.total += 1;
      if (d.action !== 'allow') outcomes.farm.stopped += 1;
    }
    for (let i = 0; i < 300; i++) {
      const d = decideOn(risk, 'signup', { ip: `198.51.${i >> 8}.${i & 255}`, deviceId: `own-${i}`, userAgent: CHROME, email: `person${String.fromCharCode(97 + (i % 26))}${i}@example.com` }, { counters, bundledDisposable: bundled, now: now + i });
      outcomes.shoppers.total += 1;
      if (d.action !== 'allow') outcomes.shoppers.stopped += 1;
    }
    assert.ok(outcomes.farm.stopped / outcomes.farm.total >= 0.95, JSON.stringify(outcomes));
    assert.ok(outcomes.shoppers.stopped / outcomes.shoppers.total <= 0.01, JSON.stringify(outcomes));
  });

  it('explains a decision: every rule that fired with its contribution, and the score is their sum', () => {
    const counters = new SlidingCounters();
    const d = decideOn(state(), 'coupon', { userAgent: HEADLESS, email: 'a+b@mailinator.com' }, { counters, bundledDisposable: bundled, now: Date.now() });
    assert.deepEqual(d.fired.map((f) => f.rule), ['automation', 'disposable-email', 'aliased-email']);
    assert.equal(d.score, d.fired.reduce((sum, f) => sum + f.score, 0));
    assert.equal(d.score, 95);
    assert.equal(d.action, 'deny');
    assert.equal(d.policyVersion, 0);
  });
});
