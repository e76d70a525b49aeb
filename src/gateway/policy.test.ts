// The routing policy on its own (no processes): what each condition kind matches, the customer split's
// spread and stability, the sticky cookie's rules, and that checkPolicy refuses every bad document with a
// path while every document it accepts compiles and decides without throwing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketOf, clientOf, compilePolicy, fingerprint, STICKY_COOKIE, type RequestFacts } from './decide.ts';
import { checkPolicy, type Condition, type PolicyDocument } from './policy.ts';
import { documentArb } from '../../test/gateway-policies.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const WECHAT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
const MINI = 'Mozilla/5.0 (Linux; Android 13; V2154A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230504 MicroMessenger/8.0.37.2380(0x2800253D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 miniProgram/wx1234567890';

const facts = (over: Partial<RequestFacts> & { ua?: string } = {}): RequestFacts => ({
  method: 'GET',
  url: over.url ?? '/store/products',
  headers: { host: 'shop.test', ...(over.ua ? { 'user-agent': over.ua } : {}), ...over.headers },
  ip: over.ip ?? '203.0.113.9',
  now: over.now,
});
const TRACKS = ['stable', 'canary', 'shop-a'];
const policy = (rules: PolicyDocument['rules'], weights: Record<string, number> = { stable: 100 }, sticky?: boolean): PolicyDocument => {
  const doc: PolicyDocument = { rules, default: weights, ...(sticky === undefined ? {} : { sticky }) };
  assert.equal(checkPolicy(doc, TRACKS), undefined);
  return doc;
};
const trackOf = (doc: PolicyDocument, f: RequestFacts) => compilePolicy(doc).call(null, f).track;

describe('user agents', () => {
  it('reads iOS, Android, desktop, the WeChat browser and WeChat mini programs', () => {
    assert.deepEqual(clientOf(IPHONE), { os: 'ios', device: 'mobile', app: 'none' });
    assert.deepEqual(clientOf(ANDROID), { os: 'android', device: 'mobile', app: 'none' });
    assert.deepEqual(clientOf(DESKTOP), { os: 'windows', device: 'desktop', app: 'none' });
    assert.equal(clientOf(WECHAT).app, 'wechat');
    assert.equal(clientOf(MINI).app, 'wechat-miniprogram');
  });
});

describe('rules', () => {
  const office: PolicyDocument = policy([
    { id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['10.0.0.0/8', '127.0.0.1'] }] }, track: 'canary' },
    { id: 'android', when: { os: ['android'] }, track: 'stable' },
  ]);

  it('iOS from the office CIDR goes to canary, iOS elsewhere and Android anywhere to stable', () => {
    assert.equal(trackOf(office, facts({ ua: IPHONE, ip: '10.20.30.40' })), 'canary');
    assert.equal(trackOf(office, facts({ ua: IPHONE, ip: '::ffff:127.0.0.1' })), 'canary');
    assert.equal(trackOf(office, facts({ ua: IPHONE, ip: '203.0.113.9' })), 'stable');
    assert.equal(trackOf(office, facts({ ua: ANDROID, ip: '10.20.30.40' })), 'stable');
  });

  it('header, cookie, query, host, app, not/any and time windows match as written', () => {
    const doc = policy([
      { id: 'hdr', when: { header: { name: 'X-Souk-Track', values: ['canary'] } }, track: 'canary' },
      { id: 'cookie', when: { cookie: { name: 'beta' } }, track: 'canary' },
      { id: 'query', when: { query: { name: 'track', values: ['canary'] } }, track: 'canary' },
      { id: 'shop-a', when: { host: ['*.shop-a.test', 'shop-a.test'] }, track: 'shop-a' },
      { id: 'wechat', when: { any: [{ app: ['wechat'] }, { app: ['wechat-miniprogram'] }] }, track: 'canary' },
      { id: 'night', when: { all: [{ time: { from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z' } }, { not: { device: ['desktop'] } }] }, track: 'canary' },
    ]);
    assert.equal(trackOf(doc, facts({ headers: { 'x-souk-track': 'canary' } })), 'canary');
    assert.equal(trackOf(doc, facts({ headers: { 'x-souk-track': 'other' } })), 'stable');
    assert.equal(trackOf(doc, facts({ headers: { cookie: 'a=1; beta=yes' } })), 'canary');
    assert.equal(trackOf(doc, facts({ url: '/store/products?track=canary' })), 'canary');
    assert.equal(trackOf(doc, facts({ headers: { host: 'www.shop-a.test:8080' } })), 'shop-a');
    assert.equal(trackOf(doc, facts({ headers: { host: 'shop-a.test' } })), 'shop-a');
    assert.equal(trackOf(doc, facts({ headers: { host: 'shop-b.test' } })), 'stable');
    assert.equal(trackOf(doc, facts({ ua: WECHAT })), 'canary');
    assert.equal(trackOf(doc, facts({ ua: MINI })), 'canary');
    assert.equal(trackOf(doc, facts({ ua: ANDROID, now: Date.parse('2030-01-01T12:00:00Z') })), 'canary');
    assert.equal(trackOf(doc, facts({ ua: DESKTOP, now: Date.parse('2030-01-01T12:00:00Z') })), 'stable');
    assert.equal(trackOf(doc, facts({ ua: ANDROID, now: Date.parse('2030-01-03T12:00:00Z') })), 'stable');
  });

  it('10 % of customers by hash land on canary within ±2 % over 10,000 ids, each always the same', () => {
    const doc = policy([{ id: 'ten', when: { customerPercent: { percent: 10, salt: 'r1' } }, track: 'canary' }], { stable: 100 }, false);
    const decide = compilePolicy(doc, { customerHeader: 'x-customer-id' });
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = facts({ headers: { 'x-customer-id': `cus_${i}` } });
      const track = decide(f).track;
      if (track === 'canary') canary += 1;
      if (i % 100 === 0) assert.equal(decide(f).track, track);
      assert.equal(track === 'canary', bucketOf(`id:cus_${i}`, 'r1') < 10);
    }
    assert.ok(canary >= 800 && canary <= 1200, `${canary} of 10000 on canary`);
    // Without the trusted header the bearer token is the key: the same token, the same track.
    const token = { authorization: 'Bearer abc.def' };
    assert.equal(decide(facts({ headers: token })).track, decide(facts({ headers: token })).track);
  });

  it('the default split follows its weights', () => {
    let draw = 0;
    const sequence = [0.05, 0.5, 0.95];
    const decide = compilePolicy(policy([], { stable: 90, canary: 10 }, false), { random: () => sequence[draw++ % 3]! });
    assert.deepEqual([decide(facts()).track, decide(facts()).track, decide(facts()).track], ['stable', 'stable', 'canary']);
  });
});

describe('sticky cookie', () => {
  const cookieOf = (value: string) => ({ cookie: `${STICKY_COOKIE}=${value}` });

  it('keeps a client on its track while its rule is unchanged, and moves it when the rule changes', () => {
    const v1 = policy([], { stable: 50, canary: 50 });
    const first = compilePolicy(v1, { random: () => 0.9 })(facts());
    assert.equal(first.track, 'canary');
    assert.ok(first.setSticky);
    // Later draws would say stable, the cookie keeps canary.
    const again = compilePolicy(v1, { random: () => 0.1 })(facts({ headers: cookieOf(first.setSticky) }));
    assert.deepEqual([again.track, again.reason, again.setSticky], ['canary', 'sticky:default', undefined]);
    // A version that adds an unrelated rule keeps it; one that changes the split moves it.
    const v2 = policy([{ id: 'hdr', when: { header: { name: 'x-beta' } }, track: 'canary' }], { stable: 50, canary: 50 });
    assert.equal(compilePolicy(v2, { random: () => 0.1 })(facts({ headers: cookieOf(first.setSticky) })).track, 'canary');
    const v3 = policy([], { stable: 100 });
    const moved = compilePolicy(v3)(facts({ headers: cookieOf(first.setSticky) }));
    assert.equal(moved.track, 'stable');
    assert.ok(moved.setSticky?.startsWith('stable~default~'));
  });

  it('a time-window rule sets no cookie and its old cookies are ignored, so clients leave when it closes', () => {
    const doc = policy([{ id: 'sale', when: { time: { from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z' } }, track: 'canary' }], { stable: 100 });
    const inWindow = compilePolicy(doc)(facts({ now: Date.parse('2030-01-01T12:00:00Z') }));
    assert.deepEqual([inWindow.track, inWindow.setSticky], ['canary', undefined]);
    // A cookie as the rule would have set it, had time-window rules been sticky.
    const print = `canary~sale~${fingerprint(doc.rules[0])}`;
    const after = compilePolicy(doc)(facts({ now: Date.parse('2030-01-03T00:00:00Z'), headers: cookieOf(print) }));
    assert.equal(after.track, 'stable');
  });

  it('override rules win over the cookie; a forged or stale cookie is ignored', () => {
    const doc = policy([{ id: 'force', when: { header: { name: 'x-souk-track', values: ['canary'] } }, track: 'canary', override: true }], { stable: 100 });
    const decide = compilePolicy(doc);
    const stable = decide(facts()).setSticky!;
    assert.equal(decide(facts({ headers: { ...cookieOf(stable), 'x-souk-track': 'canary' } })).track, 'canary');
    assert.equal(decide(facts({ headers: cookieOf('canary~default~0000000000') })).track, 'stable');
    assert.equal(decide(facts({ headers: cookieOf('%%%garbage') })).track, 'stable');
  });
});

describe('policy documents (fast-check)', () => {
  it('every document is either refused with a path into it or compiles and decides without throwing', () => {
    let accepted = 0;
    fc.assert(
      fc.property(documentArb, fc.constantFrom(IPHONE, ANDROID, WECHAT, ''), fc.constantFrom('10.1.1.1', '::1', 'not-an-ip'), (doc, ua, ip) => {
        const fault = checkPolicy(doc, TRACKS);
        if (fault) {
          assert.match(fault.path, /^document(\.|$)/);
          assert.ok(fault.message.length > 0);
          return;
        }
        accepted += 1;
        const decision = compilePolicy(doc as PolicyDocument)(facts({ ua, ip, headers: { cookie: 'beta=1', 'x-beta': 'x' }, url: '/?track=canary' }));
        assert.ok(TRACKS.includes(decision.track));
      }),
      { numRuns: 1500, seed: 1913 },
    );
    assert.ok(accepted > 20, `only ${accepted} generated documents were valid`);
  });

  it('names the part to fix', () => {
    const fault = (doc: unknown) => checkPolicy(doc, TRACKS)?.path;
    const base = { rules: [{ id: 'a', when: { os: ['ios'] } as Condition, track: 'canary' }], default: { stable: 100 } };
    assert.equal(fault({ ...base, default: { nowhere: 100 } }), 'document.default.nowhere');
    assert.equal(fault({ ...base, default: { stable: 0 } }), 'document.default');
    assert.equal(fault({ ...base, rules: [{ ...base.rules[0], track: 'nowhere' }] }), 'document.rules.0.track');
    assert.equal(fault({ ...base, rules: [{ ...base.rules[0], when: { ip: ['10.0.0.0/8', 'office'] } }] }), 'document.rules.0.when.ip.1');
    assert.equal(fault({ ...base, rules: [base.rules[0], base.rules[0]] }), 'document.rules.1.id');
    assert.equal(fault({ ...base, extra: 1 }), 'document');
  });
});
