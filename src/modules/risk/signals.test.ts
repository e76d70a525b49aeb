// The signals added for bonus hunters: the parsed user agent (headless and scripted clients, browser,
// OS, device), phones and addresses folded to one spelling, account links (cluster sizes), the IP's
// country against the shipping country, and velocity per phone, address, coupon and sale.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSignals, fillDeferredSignals, type RiskInput } from './signals/extract.ts';
import { VELOCITY_KEYS } from './signals/catalogue.ts';
import { addressFingerprint, phoneShape } from './signals/contact.ts';
import { openGeoIp } from './signals/geo.ts';
import { AccountLinks } from './signals/links.ts';
import { userAgentInfo } from './signals/user-agent.ts';
import { SlidingCounters } from './signals/velocity.ts';
import { emailShape } from './signals/email.ts';
import { planFor } from './signals/plan.ts';
import { RecentCache } from './signals/recent-cache.ts';
import { activePolicy, decideOn, platformRisk } from './engine.ts';
import { defaultPolicy } from './default-policy.ts';
import type { PolicyDocument } from './policy.ts';

const UA = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  playwright: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Playwright/1.48',
};

describe('risk signals', () => {
  it('parses user agents: headless and scripted clients apart from browsers, with browser, OS and device', () => {
    assert.deepEqual(userAgentInfo(UA.chrome), { class: 'browser', browser: 'Chrome', browserMajor: 131, os: 'Windows', device: 'desktop' });
    assert.deepEqual(userAgentInfo(UA.iphone), { class: 'browser', browser: 'Mobile Safari', browserMajor: 17, os: 'iOS', device: 'mobile' });
    assert.equal(userAgentInfo(UA.headless).class, 'headless');
    assert.equal(userAgentInfo(UA.headless).browser, 'Chrome Headless');
    assert.equal(userAgentInfo(UA.playwright).class, 'headless');
    for (const script of ['curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'axios/1.7.2', 'okhttp/4.12.0']) assert.equal(userAgentInfo(script).class, 'script', script);
    assert.equal(userAgentInfo('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)').class, 'bot');
    assert.equal(userAgentInfo('').class, 'empty');
    assert.equal(userAgentInfo('something odd').class, 'other');
  });

  it('folds emails: plus tags everywhere, Gmail dots, googlemail', () => {
    assert.equal(emailShape('F.a.R.m+1@googlemail.com')!.fingerprint, 'farm@gmail.com');
    assert.equal(emailShape('farm+coupon@example.com')!.fingerprint, 'farm@example.com');
    assert.equal(emailShape('first.last@example.com')!.aliased, false, 'dots count only where the provider ignores them');
  });

  it('normalises phones to E.164 with the shipping country as the default region', () => {
    const a = phoneShape('+44 20 7946 0958');
    const b = phoneShape('020 7946 0958', 'GB');
    const c = phoneShape('(0)20-7946-0958', 'GB');
    assert.equal(a!.fingerprint, '+442079460958');
    assert.equal(b!.fingerprint, a!.fingerprint);
    assert.equal(c!.fingerprint, a!.fingerprint);
    assert.equal(a!.country, 'GB');
    assert.equal(phoneShape('12'), undefined);
    assert.equal(phoneShape('0000000000')!.valid, false);
  });

  it('folds addresses: case, accents, punctuation and the usual abbreviations', () => {
    const one = addressFingerprint('12 Main Street, Apartment 4');
    assert.equal(one, '12 main st apt 4');
    assert.equal(addressFingerprint('12 MAIN ST. #4'), one);
    assert.equal(addressFingerprint('12, main   st, unit 4'), one);
    assert.equal(addressFingerprint('Rué Général-Leclerc 3'), 'rue general leclerc 3');
    assert.equal(addressFingerprint(' ,;'), undefined);
  });

  it('links accounts on a device, IP or address and counts the cluster; the IP country against the shipping country', () => {
    const counters = new SlidingCounters();
    const links = new AccountLinks();
    const context = {
      disposableDomains: new Set<string>(),
      extraDisposableDomains: new Set<string>(),
      counters,
      counterScope: 'p|coupon',
      now: Date.UTC(2026, 0, 1),
      links,
      linkScope: 'p',
      countryOf: (ip: string) => (ip.startsWith('14.') ? 'VN' : 'GB'),
    };
    const input = (i: number): RiskInput => ({
      accountId: `acct-${i}`,
      deviceId: i < 6 ? 'shared-device' : `own-${i}`,
      ip: i % 2 === 0 ? '14.160.0.9' : `81.2.69.${i}`,
      custom: { shipping_address: i < 3 ? '9 Farm Road' : `${i} Own Lane`, shipping_country: 'gb', phone: '07700 900123', coupon_code: 'new10' },
    });
    let last;
    for (let i = 0; i < 6; i++) last = extractSignals(input(i), context).signals;
    assert.equal(last!.accounts_on_device, 6);
    assert.equal(last!.accounts_on_ip, 1, 'account 5 is alone on its IP');
    assert.equal(last!.account_cluster_size, 6);
    const third = extractSignals({ ...input(2), accountId: 'acct-2' }, context).signals;
    assert.equal(third.accounts_on_address, 3, 'the same account again does not grow the cluster');
    assert.equal(third.accounts_on_ip, 3);
    assert.equal(third.ip_country, 'VN');
    assert.equal(third.shipping_country, 'GB');
    assert.equal(third.ip_country_mismatch, true);
    assert.equal(third.phone_fingerprint, '+447700900123');
    assert.equal(third.velocity_phone_1m, 7);
    assert.equal(third.velocity_coupon_24h, 7);
    assert.equal(third.velocity_address_1h, 4, 'Farm Road: accounts 0-2, and account 2 again');
    const own = extractSignals(input(7), context).signals;
    assert.equal(own.ip_country_mismatch, false);
    assert.equal(own.accounts_on_device, 1);
    // Without an account there is nothing to link; without a database, no country.
    const anonymous = extractSignals({ ip: '14.160.0.9' }, { ...context, countryOf: undefined }).signals;
    assert.equal(anonymous.account_cluster_size, undefined);
    assert.equal(anonymous.ip_country, undefined);
  });

  it('links accounts paying with one card (the provider\'s fingerprint) into a cluster', () => {
    const context = {
      disposableDomains: new Set<string>(),
      extraDisposableDomains: new Set<string>(),
      counters: new SlidingCounters(),
      counterScope: 'p|payment',
      now: Date.UTC(2026, 0, 1),
      links: new AccountLinks(),
      linkScope: 'p',
      plan: planFor(['accounts_on_instrument']),
    };
    const pay = (i: number, instrument?: string) => extractSignals({ accountId: `acct-${i}`, deviceId: `own-${i}`, ip: `81.2.69.${i}`, ...(instrument ? { instrument } : {}) }, context).signals;
    pay(1, 'sbxfp_shared');
    pay(2, 'sbxfp_shared');
    const third = pay(3, 'sbxfp_shared');
    assert.equal(third.instrument_fingerprint, 'sbxfp_shared');
    assert.equal(third.accounts_on_instrument, 3);
    assert.equal(third.accounts_on_device, 1);
    assert.equal(third.account_cluster_size, 3, 'the card is the largest link');
    assert.equal(pay(4, 'sbxfp_other').accounts_on_instrument, 1);
    const cardless = pay(5);
    assert.equal(cardless.accounts_on_instrument, undefined);
    assert.equal(cardless.account_cluster_size, 1);
    assert.equal(planFor(['accounts_on_instrument']).links, true);
    // Another platform's accounts paying with the same card (one installation: the same fingerprint) are
    // linked among themselves only: the links are kept per platform.
    const elsewhere = extractSignals({ accountId: 'acct-1', deviceId: 'own-1', ip: '81.2.69.1', instrument: 'sbxfp_shared' }, { ...context, linkScope: 'q', counterScope: 'q|payment' }).signals;
    assert.equal(elsewhere.accounts_on_instrument, 1);
    assert.equal(extractSignals({ accountId: 'acct-9', instrument: 'sbxfp_shared' }, { ...context, linkScope: 'q', counterScope: 'q|payment' }).signals.accounts_on_instrument, 2);
    assert.equal(pay(6, 'sbxfp_shared').accounts_on_instrument, 4, 'the first platform counts its own four, not the other\'s');
  });

  it('computes the costly signals only when the live or shadow policy reads them', () => {
    const plan = planFor(['velocity_phone_1h', 'account_cluster_size', 'user_agent_class']);
    assert.deepEqual({ ...plan, velocity: undefined }, { userAgent: true, phone: true, address: true, geo: false, links: true, history: false, velocity: undefined });
    assert.deepEqual(plan.velocity, [true, true, true, true, true, true, false, true, true], 'the cheap keys always, the phone because a rule reads it');
    assert.equal(planFor([]).velocity[VELOCITY_KEYS.indexOf('phone')], false);
    const policies = new Map([['coupon', activePolicy(1, defaultPolicy('coupon'))]] as const);
    const lists = { block: [], allow: [], disposable: [] };
    const input: RiskInput = { accountId: 'a1', deviceId: 'd1', ip: '81.2.69.1', userAgent: UA.chrome, custom: { phone: '07700 900123', shipping_address: '9 Farm Road', shipping_country: 'GB', coupon_code: 'NEW10' } };
    const deps = () => ({ counters: new SlidingCounters(), bundledDisposable: new Set<string>(), now: Date.now(), links: new AccountLinks() });
    const plain = decideOn(platformRisk('p', policies, lists), 'coupon', input, deps()).signals;
    assert.equal(plain.user_agent_class, 'browser', 'the default policy reads the user agent');
    assert.equal(plain.phone_fingerprint, undefined, 'no rule reads the phone: not parsed');
    assert.equal(plain.address_fingerprint, undefined);
    assert.equal(plain.account_cluster_size, undefined);
    assert.equal(plain.velocity_phone_1h, undefined);
    assert.equal(plain.velocity_address_1h, undefined, 'no rule reads the address counter: not hit');
    assert.equal(plain.velocity_coupon_1h, 1, 'cheap keys are counted whatever the rules read');
    fillDeferredSignals(input, plain);
    assert.equal(plain.phone_fingerprint, '+447700900123', 'what a stored decision gets, off the decision path');
    assert.equal(plain.address_fingerprint, '9 farm rd');
    assert.equal(plain.velocity_phone_1h, undefined, 'counters are not made up afterwards');
    assert.equal(plain.velocity_device_24h, 1);
    const draft: PolicyDocument = { ...defaultPolicy('coupon'), rules: [{ id: 'cluster', when: { signal: 'account_cluster_size', op: 'gt', value: 3 }, score: 10 }] };
    const shadowed = decideOn(platformRisk('p', policies, lists, new Map([['coupon', draft]])), 'coupon', input, deps());
    assert.equal(shadowed.signals.account_cluster_size, 1, 'the shadow policy reads the cluster: links are kept');
    assert.equal(shadowed.signals.address_fingerprint, '9 farm rd');
    assert.equal(shadowed.action, 'allow');
  });

  it('keeps recently used entries in its bounded cache', () => {
    const cache = new RecentCache<number>(2);
    let made = 0;
    const get = (key: string) => cache.get(key, () => ++made);
    get('a');
    get('b');
    get('c'); // young was full: {a, b} becomes old
    get('a'); // promoted from old
    get('d'); // young {c, a} full: becomes old, {b} dropped
    assert.equal(made, 4);
    get('b');
    assert.equal(made, 5, 'b was the least recently used: dropped');
    get('a');
    assert.equal(made, 5, 'a was used recently: kept');
    assert.ok(cache.entries <= 4);
  });

  it('refuses a SOUK_RISK_GEOIP_FILE that is not a MaxMind database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-geo-'));
    const file = join(dir, 'not.mmdb');
    writeFileSync(file, 'not a database');
    await assert.rejects(openGeoIp(file));
  });
});
