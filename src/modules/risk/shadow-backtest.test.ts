// Trying a policy before it decides: a shadow policy runs beside the live one and never changes an
// outcome (the same inputs on a twin platform without a shadow get the very same decisions), its
// would-be action is stored on the decision; a backtest runs a draft over a range of stored decisions
// and counts what would change, by rule. Bad drafts and ranges are 4xx and change nothing.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem } from '../../../test/problems.ts';
import { prng } from '../../../test/prng.ts';
import { defaultPolicy } from './default-policy.ts';
import { riskModule, riskService, type RiskInput, type RiskService } from './index.ts';
import { DECISION_POINTS, type PolicyDocument } from './policy.ts';
import { activePolicy, decideOn, platformRisk } from './engine.ts';
import { SlidingCounters } from './signals/velocity.ts';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const AGENTS = [CHROME, 'HeadlessChrome/131.0', 'curl/8.5.0', '', 'Googlebot/2.1 (+http://www.google.com/bot.html)'];
const EMAILS = ['ann@example.com', 'a.n.n+x@gmail.com', 'bob@mailinator.com', 'shop10234@example.org', undefined];

/** A draft harsher than any live policy: every headless client denied, every new device reviewed. */
const harsh: PolicyDocument = {
  rules: [
    { id: 'headless-deny', when: { signal: 'user_agent_class', op: 'eq', value: 'headless' }, action: 'deny' },
    { id: 'no-device', when: { signal: 'device_present', op: 'eq', value: false }, score: 60 },
    { id: 'any-ip', when: { signal: 'ip', op: 'present' }, score: 5 },
  ],
  thresholds: [10, 30, 50, 90],
  actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
};

function randomInputs(seed: number, count: number): RiskInput[] {
  const random = prng(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: count }, () => {
    const email = pick(EMAILS);
    const device = random() < 0.2 ? undefined : `dev-${Math.floor(random() * 8)}`;
    return {
      ip: `203.0.113.${Math.floor(random() * 6)}`,
      userAgent: pick(AGENTS),
      ...(device ? { deviceId: device } : {}),
      ...(email ? { email } : {}),
      accountId: `acct-${Math.floor(random() * 30)}`,
      accountCreatedAt: new Date(Date.now() - random() * 72 * 3_600_000).toISOString(),
    };
  });
}

eachDatabase('risk shadow mode and backtests', (env: TestEnv) => {
  let shop: TestPlatform;
  let twin: TestPlatform;
  let risk: RiskService;
  const admin = (platform: TestPlatform, options: InjectOptions) => asBearer(env.app, platform.adminToken, options);
  const url = (platform: TestPlatform, path: string) => `/admin/platforms/${platform.platform.slug}/risk${path}`;
  const flush = () => env.souk.runtimeOf(riskModule).recorder.flush();
  // Decisions are written by the recorder's timer: store the pending ones first, or one lands mid-check.
  const fingerprint = async () => (await flush(), tablesFingerprint(env.souk.database, ['risk_policy_versions', 'risk_list_entries', 'risk_decisions', 'risk_shadow_policies']));
  const pdb = (platform: TestPlatform) => env.souk.ctx.platformDb(platform.platform.id);

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'shadow-shop', modules: ['catalog', 'risk'] });
    twin = await createTestPlatform(env, { slug: 'shadow-twin', modules: ['catalog', 'risk'] });
    risk = riskService({ runtime: env.souk.runtimeOf(riskModule), events: env.souk.ctx.events });
  });

  it('a shadow policy never changes an outcome, and each decision records what it would have done', async () => {
    const set = await admin(shop, { method: 'PUT', url: url(shop, '/shadow/coupon'), payload: { document: harsh, note: 'stricter coupon draft' } });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().note, 'stricter coupon draft');
    assert.match(set.json().setBy, /^admin_user:/);
    const listed = (await admin(shop, { url: url(shop, '/shadow') })).json().items;
    assert.deepEqual(listed.map((s: { point: string }) => s.point), ['coupon']);

    let disagreements = 0;
    for (const input of randomInputs(7, 300)) {
      const shadowed = await risk.decide(pdb(shop), 'coupon', input);
      const plain = await risk.decide(pdb(twin), 'coupon', input);
      // Account age is read from the clock at each call; everything else must match exactly.
      const { id: _a, stored: _s, shadow, signals: { account_age_hours: ageA, ...signals }, ...outcome } = shadowed;
      const { id: _b, stored: _t, signals: { account_age_hours: ageB, ...expectedSignals }, ...expected } = plain;
      assert.deepEqual({ ...outcome, signals }, { ...expected, signals: expectedSignals }, 'the live outcome is the one a platform without a shadow gets');
      assert.ok(Math.abs(Number(ageA) - Number(ageB)) < 0.01);
      assert.ok(shadow, 'every decision at a shadowed point carries the shadow outcome');
      assert.equal(plain.shadow, undefined);
      if (shadow.action !== shadowed.action) disagreements += 1;
    }
    assert.ok(disagreements > 0, 'the draft disagrees often enough to prove it is not what decides');
    // A point without a shadow records none.
    assert.equal((await risk.decide(pdb(shop), 'login', { ip: '203.0.113.1', userAgent: CHROME })).shadow, undefined);

    // An allow the shadow would refuse is stored (so its operator can read it), with the shadow outcome.
    const allowedByLive = await risk.decide(pdb(shop), 'coupon', { ip: '198.51.100.20', userAgent: CHROME });
    assert.equal(allowedByLive.action, 'allow');
    assert.equal(allowedByLive.shadow?.action, 'review');
    assert.equal(allowedByLive.stored, true);
    await flush();
    const stored = (await admin(shop, { url: url(shop, `/decisions/${allowedByLive.id}`) })).json();
    assert.deepEqual(stored.shadow, { action: 'review', level: 3, score: 65, fired: [{ rule: 'no-device', score: 60 }, { rule: 'any-ip', score: 5 }] });
    const metrics = await env.souk.ctx.metrics.metrics();
    assert.match(metrics, /souk_risk_shadow_decisions_total\{point="coupon",action="review",agrees="false"\} [1-9]/);
  });

  it('in the engine, at one instant, a shadowed decision is exactly the unshadowed one', () => {
    const policies = new Map(DECISION_POINTS.map((point) => [point, activePolicy(1, defaultPolicy(point))]));
    const lists = { block: [], allow: [], disposable: [] };
    const withShadow = platformRisk('p', policies, lists, new Map([['coupon', harsh]]));
    const without = platformRisk('p', policies, lists);
    const deps = () => ({ counters: new SlidingCounters(), bundledDisposable: new Set(['mailinator.com']), now: Date.UTC(2026, 0, 1, 12) });
    const [a, b] = [deps(), deps()];
    for (const input of randomInputs(3, 500)) {
      const { shadow, ...shadowed } = decideOn(withShadow, 'coupon', input, a);
      assert.ok(shadow);
      assert.deepEqual(shadowed, decideOn(without, 'coupon', input, b));
    }
  });

  it('a list decides for the shadow as for the live policy', async () => {
    const put = await admin(shop, { method: 'PUT', url: url(shop, '/lists/allow'), payload: { entries: [{ kind: 'device', value: 'dev-trusted' }] } });
    assert.equal(put.statusCode, 200, put.body);
    const d = await risk.decide(pdb(shop), 'coupon', { deviceId: 'dev-trusted', userAgent: 'HeadlessChrome/131.0' });
    assert.equal(d.action, 'allow');
    assert.deepEqual(d.shadow, { action: 'allow', level: 0, score: 0, fired: [] });
    await admin(shop, { method: 'PUT', url: url(shop, '/lists/allow'), payload: { entries: [] } });
  });

  it('refuses a bad shadow, a read-only role and clearing what is not there; clearing stops the shadow', async () => {
    const before = await fingerprint();
    const bad = await admin(shop, { method: 'PUT', url: url(shop, '/shadow/coupon'), payload: { document: { ...harsh, thresholds: [1, 1, 2, 3] } } });
    expectProblem(bad, 400, 'risk_policy_invalid');
    assert.match(bad.json().detail, /document\.thresholds\.1/);
    expectProblem(await admin(shop, { method: 'PUT', url: url(shop, '/shadow/nowhere'), payload: { document: harsh } }), 400);
    expectProblem(await asBearer(env.app, shop.supportToken, { method: 'PUT', url: url(shop, '/shadow/login'), payload: { document: harsh } }), 403, 'read_only_role');
    expectProblem(await admin(shop, { method: 'DELETE', url: url(shop, '/shadow/login') }), 404, 'risk_shadow_not_found');
    expectProblem(await admin(twin, { url: url(shop, '/shadow') }), 404);
    assert.equal(await fingerprint(), before);
    assert.deepEqual((await admin(twin, { url: url(twin, '/shadow') })).json().items, [], 'one platform’s shadow is not the other’s');

    const cleared = await admin(shop, { method: 'DELETE', url: url(shop, '/shadow/coupon') });
    assert.equal(cleared.statusCode, 204, cleared.body);
    assert.equal((await risk.decide(pdb(shop), 'coupon', { ip: '203.0.113.1', userAgent: CHROME })).shadow, undefined);
  });

  it('backtests a draft over the stored decisions of a range: what changes, from what to what, by rule', async () => {
    // Every decision stored (allowSampleRate 1), on a point nothing else in this file uses.
    const live: PolicyDocument = { ...defaultPolicy('checkout'), allowSampleRate: 1 };
    assert.equal((await admin(shop, { method: 'PUT', url: url(shop, '/policies/checkout'), payload: { document: live } })).statusCode, 200);
    const since = new Date(Date.now() - 1000).toISOString();
    const made = [];
    for (const input of randomInputs(11, 120)) made.push(await risk.decide(pdb(shop), 'checkout', input));
    await risk.decide(pdb(twin), 'checkout', { userAgent: 'HeadlessChrome/131.0' });
    await flush();

    const res = await admin(shop, { method: 'POST', url: url(shop, '/policies/checkout/backtest'), payload: { document: harsh, since } });
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    assert.equal(report.examined, made.length, 'every decision of the range, none of the other platform’s');
    // What the report should say, computed from the decisions as made and the draft tried on their signals.
    let changed = 0;
    let headlessChanged = 0;
    for (const d of made) {
      const headless = d.signals.user_agent_class === 'headless';
      const score = (d.signals.device_present === false ? 60 : 0) + (d.signals.ip !== undefined ? 5 : 0);
      const action = headless ? 'deny' : score >= 50 ? 'review' : score >= 30 ? 'challenge' : 'allow';
      if (action !== d.action) {
        changed += 1;
        if (headless) headlessChanged += 1;
      }
    }
    assert.equal(report.changed, changed);
    assert.ok(changed > 0);
    assert.equal(report.transitions.reduce((n: number, t: { count: number }) => n + t.count, 0), changed);
    const rule = report.rules.find((r: { rule: string }) => r.rule === 'headless-deny');
    assert.equal(rule.changedDecisions, headlessChanged);
    assert.equal(rule.firedAfter, made.filter((d) => d.signals.user_agent_class === 'headless').length);
    const automation = report.rules.find((r: { rule: string }) => r.rule === 'automation');
    assert.equal(automation.firedAfter, 0, 'a rule the draft drops fires only before');
    assert.equal(automation.firedBefore, made.filter((d) => d.fired.some((f) => f.rule === 'automation')).length);
    assert.equal(Object.values(report.after as Record<string, number>).reduce((a, b) => a + b, 0), made.length);

    const live2 = await admin(shop, { method: 'POST', url: url(shop, '/policies/checkout/backtest'), payload: { document: live, since } });
    assert.equal(live2.json().changed, 0, 'the live policy itself changes nothing');
    const empty = await admin(shop, { method: 'POST', url: url(shop, '/policies/checkout/backtest'), payload: { document: harsh, since: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z' } });
    assert.equal(empty.json().examined, 0);
  });

  it('refuses a bad draft or range with a 400 and writes nothing', async () => {
    const before = await fingerprint();
    const at = (body: object) => admin(shop, { method: 'POST', url: url(shop, '/policies/checkout/backtest'), payload: body });
    expectProblem(await at({ document: { rules: [] }, since: '2020-01-01T00:00:00Z' }), 400, 'risk_policy_invalid');
    expectProblem(await at({ document: harsh, since: '2020-01-02T00:00:00Z', until: '2020-01-01T00:00:00Z' }), 400, 'risk_backtest_range_invalid');
    expectProblem(await at({ document: harsh, since: 'yesterday' }), 400);
    expectProblem(await at({ document: harsh }), 400);
    assert.equal(await fingerprint(), before);
  });
});
