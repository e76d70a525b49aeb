// The risk module on each database engine: versioned policies with who changed what, exact rollback,
// bad documents and list entries refused without a change, decisions explained, stored and searchable,
// policy and list changes in force at once, the read-only support role, and no way across platforms.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem } from '../../../test/problems.ts';
import { defaultPolicy } from './default-policy.ts';
import { riskModule, riskService, type RiskService } from './index.ts';
import type { PolicyDocument } from './policy.ts';

const MODULES = ['catalog', 'risk'];
const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const TABLES = ['risk_policy_versions', 'risk_list_entries', 'risk_decisions'];

/** A strict policy: a listed device is denied, any headless client is reviewed. */
const strict: PolicyDocument = {
  rules: [
    { id: 'bad-device', description: 'the device we saw farming', when: { signal: 'device_id', op: 'in', values: ['dev-farm'] }, action: 'deny' },
    { id: 'headless', when: { signal: 'user_agent_class', op: 'eq', value: 'headless' }, score: 70 },
  ],
  thresholds: [10, 30, 50, 90],
  actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
  allowSampleRate: 1,
};

eachDatabase('risk', (env: TestEnv) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  let risk: RiskService;
  const admin = (platform: TestPlatform, options: InjectOptions) => asBearer(env.app, platform.adminToken, options);
  const url = (platform: TestPlatform, path: string) => `/admin/platforms/${platform.platform.slug}/risk${path}`;
  const put = (platform: TestPlatform, point: string, document: unknown) => admin(platform, { method: 'PUT', url: url(platform, `/policies/${point}`), payload: { document, note: 'test' } });
  const flush = () => env.souk.runtimeOf(riskModule).recorder.flush();
  // Decisions are written by the recorder's timer: store the pending ones first, or one lands mid-check.
  const fingerprint = async () => (await flush(), tablesFingerprint(env.souk.database, TABLES));

  before(async () => {
    shop = await createTestPlatform(env, { slug: 'risk-shop', modules: MODULES });
    other = await createTestPlatform(env, { slug: 'risk-other', modules: MODULES });
    risk = riskService({ runtime: env.souk.runtimeOf(riskModule), events: env.souk.ctx.events });
  });

  it('starts every decision point on the built-in default, version 0', async () => {
    const res = await admin(shop, { url: url(shop, '/policies') });
    assert.equal(res.statusCode, 200, res.body);
    const items = res.json().items as { point: string; version: number; document: PolicyDocument }[];
    assert.equal(items.length, 8);
    assert.ok(items.every((p) => p.version === 0));
    assert.deepEqual(items.find((p) => p.point === 'coupon')!.document, defaultPolicy('coupon'));
  });

  it('versions a policy with who changed it, and rolls back to any version exactly', async () => {
    const v1 = await put(shop, 'signup', strict);
    assert.equal(v1.statusCode, 200, v1.body);
    assert.equal(v1.json().version, 1);
    assert.match(v1.json().changedBy, /^admin_user:/);
    const looser = { ...strict, rules: strict.rules.slice(1) };
    assert.equal((await put(shop, 'signup', looser)).json().version, 2);

    const back = await admin(shop, { method: 'POST', url: url(shop, '/policies/signup/rollback'), payload: { version: 1 } });
    assert.equal(back.statusCode, 200, back.body);
    assert.equal(back.json().version, 3);
    assert.deepEqual(back.json().document, (await admin(shop, { url: url(shop, '/policies/signup/versions') })).json().items.find((v: { version: number }) => v.version === 1).document);
    assert.deepEqual(back.json().document, strict);

    const history = (await admin(shop, { url: url(shop, '/policies/signup/versions') })).json().items as { version: number; note: string | null }[];
    assert.deepEqual(history.map((v) => v.version), [3, 2, 1, 0]);
    assert.equal(history[0]!.note, 'rollback to version 1');

    const toDefault = await admin(shop, { method: 'POST', url: url(shop, '/policies/login/rollback'), payload: { version: 0 } });
    assert.deepEqual(toDefault.json().document, defaultPolicy('login'));
    const changed = await env.souk.database.query<{ n: number }>(`select count(*)::int as n from event_outbox where type = 'risk.policy_changed'`);
    assert.ok(changed[0]!.n + (await env.souk.database.query<{ n: number }>(`select count(*)::int as n from event_log where type = 'risk.policy_changed'`))[0]!.n >= 4);
  });

  it('refuses bad documents with a 400 naming the bad part, and changes nothing', async () => {
    const before = await fingerprint();
    const rule = strict.rules[1]!;
    const cases: [unknown, RegExp][] = [
      [{ ...strict, thresholds: [10, 10, 50, 90] }, /document\.thresholds\.1/],
      [{ ...strict, rules: [{ ...rule, when: { signal: 'shoe_size', op: 'gt', value: 3 } }] }, /document\.rules\.0\.when/],
      [{ ...strict, rules: [{ ...rule, when: { signal: 'amount', op: 'gt', value: 'lots' } }] }, /document\.rules\.0\.when/],
      [{ ...strict, rules: [rule, rule] }, /document\.rules\.1\.id/],
      [{ ...strict, rules: [{ id: 'no-effect', when: rule.when }] }, /document\.rules\.0/],
      [{ ...strict, actions: ['allow', 'allow', 'block', 'review', 'deny'] }, /document\.actions\.2/],
      [{ ...strict, extra: 1 }, /document/],
      [{ ...strict, rules: [{ ...rule, when: Array.from({ length: 9 }).reduce<object>((c) => ({ not: c }), rule.when) }] }, /nest at most 8/],
    ];
    for (const [document, where] of cases) {
      const res = await put(shop, 'coupon', document);
      expectProblem(res, 400, 'risk_policy_invalid');
      assert.match(res.json().detail, where, res.body);
    }
    expectProblem(await put(shop, 'coupon', 'not an object'), 400);
    expectProblem(await put(shop, 'nowhere', strict), 400);
    expectProblem(await admin(shop, { method: 'POST', url: url(shop, '/policies/coupon/rollback'), payload: { version: 99 } }), 404, 'risk_policy_version_not_found');
    expectProblem(await asBearer(env.app, shop.supportToken, { method: 'PUT', url: url(shop, '/policies/coupon'), payload: { document: strict } }), 403, 'read_only_role');
    assert.equal((await asBearer(env.app, shop.supportToken, { url: url(shop, '/policies/coupon') })).statusCode, 200, 'support reads');
    assert.equal(await fingerprint(), before);
  });

  it('decides with the current policy, explains it, and stores it searchable by account, IP and device', async () => {
    await put(shop, 'checkout', strict);
    const denied = await risk.decide(env.souk.ctx.platformDb(shop.platform.id), 'checkout', { ip: '203.0.113.5', deviceId: 'dev-farm', userAgent: CHROME, accountId: 'acct-1' });
    assert.equal(denied.action, 'deny');
    assert.deepEqual(denied.fired, [{ rule: 'bad-device', score: 0, action: 'deny' }]);
    assert.equal(denied.policyVersion, 1);
    const allowed = await risk.decide(env.souk.ctx.platformDb(shop.platform.id), 'checkout', { ip: '203.0.113.6', deviceId: 'dev-ok', userAgent: CHROME, accountId: 'acct-2' });
    assert.equal(allowed.action, 'allow');
    assert.equal(allowed.stored, true, 'allowSampleRate 1 keeps every allow');
    await flush();

    const byDevice = await admin(shop, { url: url(shop, '/decisions?deviceId=dev-farm') });
    assert.equal(byDevice.statusCode, 200, byDevice.body);
    assert.deepEqual(byDevice.json().items.map((d: { id: string }) => d.id), [denied.id]);
    const byIp = (await admin(shop, { url: url(shop, '/decisions?ip=::ffff:203.0.113.6') })).json().items;
    assert.deepEqual(byIp.map((d: { id: string }) => d.id), [allowed.id]);
    const byAccount = (await admin(shop, { url: url(shop, '/decisions?accountId=acct-1&action=deny&point=checkout') })).json().items;
    assert.equal(byAccount.length, 1);

    const one = await admin(shop, { url: url(shop, `/decisions/${denied.id}`) });
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().input.deviceId, 'dev-farm');
    assert.equal(one.json().signals.user_agent_class, 'browser');
    assert.equal(one.json().signals.velocity_device_1m, 1);
    assert.deepEqual(one.json().fired, [{ rule: 'bad-device', score: 0, action: 'deny' }]);

    const page = await admin(shop, { url: url(shop, '/decisions?limit=1') });
    assert.equal(page.json().items.length, 1);
    const next = await admin(shop, { url: url(shop, `/decisions?limit=1&cursor=${page.json().nextCursor}`) });
    assert.notEqual(next.json().items[0].id, page.json().items[0].id);
    expectProblem(await admin(shop, { url: url(shop, '/decisions?cursor=bogus') }), 400, 'invalid_cursor');
    expectProblem(await admin(shop, { url: url(shop, '/decisions/00000000-0000-4000-8000-000000000000') }), 404, 'risk_decision_not_found');

    const metrics = await env.souk.ctx.metrics.metrics();
    assert.match(metrics, /souk_risk_decisions_total\{point="checkout",action="deny"\} [1-9]/);
    assert.match(metrics, /souk_risk_rules_fired_total\{point="checkout",rule="bad-device"\} [1-9]/);
    assert.match(metrics, /souk_risk_decision_seconds_count\{point="checkout"\} [1-9]/);
  });

  it('puts a tightened rule in force at once', async () => {
    const pdb = env.souk.ctx.platformDb(shop.platform.id);
    const input = { ip: '192.0.2.44', deviceId: 'dev-new', userAgent: CHROME, accountId: 'acct-3' };
    assert.equal((await risk.decide(pdb, 'payment', input)).action, 'allow');
    const tightened: PolicyDocument = { ...strict, rules: [{ id: 'dev-new', when: { signal: 'device_id', op: 'eq', value: 'dev-new' }, score: 60 }] };
    assert.equal((await put(shop, 'payment', tightened)).statusCode, 200);
    const after = await risk.decide(pdb, 'payment', input);
    assert.equal(after.action, 'review');
    assert.deepEqual(after.fired, [{ rule: 'dev-new', score: 60 }]);
  });

  it('replaces lists, applies them at once, and refuses bad entries without a change', async () => {
    const pdb = env.souk.ctx.platformDb(shop.platform.id);
    const put = await admin(shop, {
      method: 'PUT',
      url: url(shop, '/lists/block'),
      payload: { entries: [{ kind: 'ip', value: '198.51.100.0/24', note: 'proxy pool' }, { kind: 'email_domain', value: 'Spam.Example' }, { kind: 'ip', value: '198.51.100.0/24' }] },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().entries.map((e: { value: string }) => e.value), ['spam.example', '198.51.100.0/24']);
    const denied = await risk.decide(pdb, 'login', { ip: '198.51.100.77', userAgent: CHROME });
    assert.equal(denied.action, 'deny');
    assert.deepEqual(denied.listed, { list: 'block', kind: 'ip' });
    await flush();

    const before = await fingerprint();
    const bad = await admin(shop, { method: 'PUT', url: url(shop, '/lists/block'), payload: { entries: [{ kind: 'ip', value: '10.0.0.1' }, { kind: 'ip', value: '300.1.1.1/8' }] } });
    expectProblem(bad, 400, 'risk_list_invalid');
    assert.match(bad.json().detail, /entries\.1\.value/);
    expectProblem(await admin(shop, { method: 'PUT', url: url(shop, '/lists/disposable'), payload: { entries: [{ kind: 'device', value: 'x' }] } }), 400, 'risk_list_invalid');
    expectProblem(await admin(shop, { method: 'PUT', url: url(shop, '/lists/grey'), payload: { entries: [] } }), 400);
    assert.equal(await fingerprint(), before);

    const lists = (await admin(shop, { url: url(shop, '/lists') })).json();
    assert.equal(lists.block.length, 2);
    assert.match(lists.block[0].addedBy, /^admin_user:/);
  });

  it('tries an input against a draft without counting or storing it', async () => {
    const before = await fingerprint();
    const res = await admin(shop, {
      method: 'POST',
      url: url(shop, '/policies/coupon/try'),
      payload: { input: { userAgent: 'HeadlessChrome/131', email: 'a+1@mailinator.com' }, document: strict },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().policyVersion, -1);
    assert.deepEqual(res.json().fired, [{ rule: 'headless', score: 70 }]);
    assert.equal(res.json().action, 'review');
    const current = (await admin(shop, { method: 'POST', url: url(shop, '/policies/coupon/try'), payload: { input: { userAgent: 'HeadlessChrome/131', email: 'a+1@mailinator.com' } } })).json();
    assert.deepEqual(current.fired.map((f: { rule: string }) => f.rule), ['automation', 'disposable-email', 'aliased-email']);
    expectProblem(await admin(shop, { method: 'POST', url: url(shop, '/policies/coupon/try'), payload: { input: {}, document: { rules: [] } } }), 400, 'risk_policy_invalid');
    assert.equal(await fingerprint(), before);
  });

  it('keeps platforms apart: policies, lists and decisions of one are invisible to the other, and its rules never fire there', async () => {
    for (const path of ['/policies', '/policies/checkout', '/lists', '/decisions']) {
      expectProblem(await admin(other, { url: url(shop, path) }), 404);
    }
    const theirs = (await admin(other, { url: url(other, '/policies/checkout') })).json();
    assert.equal(theirs.version, 0, 'a policy stored on one platform is not the other’s');
    const decision = await risk.decide(env.souk.ctx.platformDb(other.platform.id), 'checkout', { ip: '198.51.100.77', deviceId: 'dev-farm', userAgent: CHROME });
    assert.equal(decision.action, 'allow', 'neither the device rule nor the block list of the other platform fires');
    await flush();
    const shopDecision = (await admin(shop, { url: url(shop, '/decisions?deviceId=dev-farm') })).json().items[0].id as string;
    expectProblem(await admin(other, { url: url(other, `/decisions/${shopDecision}`) }), 404, 'risk_decision_not_found');
    const listed = (await admin(other, { url: url(other, '/decisions') })).json().items as { id: string }[];
    assert.ok(!listed.some((d) => d.id === shopDecision));
    assert.deepEqual((await admin(other, { url: url(other, '/lists') })).json().block, []);
  });

  it('decides without an await once the policies are loaded, as the loading path decides', async () => {
    const runtime = env.souk.runtimeOf(riskModule);
    const input = { ip: '203.0.113.40', deviceId: 'dev-farm', userAgent: CHROME };
    assert.equal((await put(shop, 'live_chat', strict)).statusCode, 200);
    runtime.invalidate(shop.platform.id);
    assert.equal(risk.decideNow(shop.platform.id, 'live_chat', input), undefined, 'nothing loaded: the caller must await decide');
    // On PostgreSQL the policy change's NOTIFY may still arrive and drop the state the first decide loaded.
    let loaded = await risk.decide(env.souk.ctx.platformDb(shop.platform.id), 'live_chat', input);
    let now = risk.decideNow(shop.platform.id, 'live_chat', input);
    for (let tries = 0; now === undefined && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      loaded = await risk.decide(env.souk.ctx.platformDb(shop.platform.id), 'live_chat', input);
      now = risk.decideNow(shop.platform.id, 'live_chat', input);
    }
    assert.ok(now && !(now instanceof Promise));
    assert.deepEqual([now.action, now.fired.map((f) => f.rule), now.stored], [loaded.action, loaded.fired.map((f) => f.rule), loaded.stored]);
    assert.equal(now.action, 'deny');
    assert.notEqual(now.id, loaded.id);
    // The gate answers at once too: a deny is thrown as it is asked, not as a rejected promise.
    const gate = env.souk.ctx.riskGate;
    const platform = { id: shop.platform.id, modules: MODULES };
    assert.throws(() => gate.screen(platform, 'live_chat', { ip: input.ip, headers: { 'x-device-id': 'dev-farm', 'user-agent': CHROME } }, {}), (error: { code?: string }) => error.code === 'risk_denied');
    const allowed = gate.screen(platform, 'live_chat', { ip: '203.0.113.41', headers: { 'x-device-id': 'dev-own', 'user-agent': CHROME } }, {});
    assert.ok(!(allowed instanceof Promise));
    assert.equal(allowed.action, 'allow');
    await flush();
  });

  it('answers 404 on a platform without the module', async () => {
    const bare = await createTestPlatform(env, { slug: 'risk-bare', modules: ['catalog'] });
    expectProblem(await admin(bare, { url: url(bare, '/policies') }), 404, 'module_disabled');
  });
});
