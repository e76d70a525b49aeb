import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nginxIngressExport, nginxIngressYaml } from './export-nginx.ts';
import type { PolicyDocument } from './policy.ts';

const A = 'nginx.ingress.kubernetes.io/';

describe('souk canary export --format nginx-ingress', () => {
  it('exports header, cookie and weight as the canary annotations', () => {
    const doc: PolicyDocument = {
      rules: [
        { id: 'force-header', when: { header: { name: 'x-souk-canary', values: ['1'] } }, track: 'canary', override: true },
        { id: 'force-cookie', when: { cookie: { name: 'souk_canary', values: ['always'] } }, track: 'canary' },
      ],
      default: { stable: 95, canary: 5 },
      sticky: false,
    };
    const result = nginxIngressExport(doc);
    assert.ok(result.ok);
    assert.deepEqual(result.annotations, {
      [`${A}canary`]: 'true',
      [`${A}canary-by-header`]: 'x-souk-canary',
      [`${A}canary-by-header-value`]: '1',
      [`${A}canary-by-cookie`]: 'souk_canary',
      [`${A}canary-weight`]: '5',
    });
    const yaml = nginxIngressYaml(result, 'policy version 3');
    assert.match(yaml, /^# NGINX ingress canary annotations for policy version 3/);
    assert.match(yaml, /\n {4}nginx\.ingress\.kubernetes\.io\/canary-weight: "5"\n/);
  });

  it('uses a pattern for several header values and a weight total for a split that is not out of 100', () => {
    const result = nginxIngressExport({ rules: [{ id: 'beta', when: { header: { name: 'x-beta', values: ['yes', 'a.b'] } }, track: 'canary' }], default: { stable: 2, canary: 1 } });
    assert.ok(result.ok);
    assert.equal(result.annotations[`${A}canary-by-header-pattern`], '^(yes|a\\.b)$');
    assert.equal(result.annotations[`${A}canary-weight`], '1');
    assert.equal(result.annotations[`${A}canary-weight-total`], '3');
    // The default sticky cookie has no NGINX counterpart: said, not hidden.
    assert.ok(result.notes.some((n) => /sticky cookie/.test(n)));
  });

  it('refuses IP, user agent, customer hash, random, time and combined rules, naming each', () => {
    const doc: PolicyDocument = {
      rules: [
        { id: 'office-ios', when: { all: [{ os: ['ios'] }, { ip: ['10.0.0.0/8'] }] }, track: 'canary' },
        { id: 'office', when: { ip: ['10.0.0.0/8'] }, track: 'canary' },
        { id: 'iphones', when: { os: ['ios'] }, track: 'canary' },
        { id: 'wechat', when: { app: ['wechat'] }, track: 'canary' },
        { id: 'ten-percent', when: { customerPercent: { percent: 10 } }, track: 'canary' },
        { id: 'coin', when: { randomPercent: 3 }, track: 'canary' },
        { id: 'night', when: { time: { from: '2030-01-01T00:00:00Z' } }, track: 'canary' },
        { id: 'header-ok', when: { header: { name: 'x-beta', values: ['1'] } }, track: 'canary' },
      ],
      default: { stable: 100 },
    };
    const result = nginxIngressExport(doc);
    assert.equal(result.ok, false);
    const refusals = (result as { refusals: string[] }).refusals;
    assert.deepEqual(refusals.map((r) => /^rule "([^"]+)"/.exec(r)?.[1]), ['office-ios', 'office', 'iphones', 'wechat', 'ten-percent', 'coin', 'night']);
    assert.match(refusals[1]!, /IP\/CIDR/);
    assert.match(refusals[4]!, /signed-in customer/);
  });

  it('refuses what NGINX would route differently: any-value headers, cookies not "always", rules to stable, a third track, a second header', () => {
    const cases: [PolicyDocument, RegExp][] = [
      [{ rules: [{ id: 'h', when: { header: { name: 'x-beta' } }, track: 'canary' }], default: { stable: 100 } }, /any value/],
      [{ rules: [{ id: 'c', when: { cookie: { name: 'beta', values: ['1'] } }, track: 'canary' }], default: { stable: 100 } }, /"always"/],
      [{ rules: [{ id: 'android', when: { header: { name: 'x-a', values: ['1'] } }, track: 'stable' }], default: { stable: 100 } }, /routes to "stable"/],
      [{ rules: [], default: { stable: 90, canary: 5, blue: 5 } }, /"blue"/],
      [
        { rules: [{ id: 'h1', when: { header: { name: 'x-a', values: ['1'] } }, track: 'canary' }, { id: 'h2', when: { header: { name: 'x-b', values: ['1'] } }, track: 'canary' }], default: { stable: 100 } },
        /rule "h2": a second header rule/,
      ],
      [{ rules: [], default: { stable: 99.5, canary: 0.5 } }, /whole-number/],
    ];
    for (const [doc, reason] of cases) {
      const result = nginxIngressExport(doc);
      assert.equal(result.ok, false, JSON.stringify(doc));
      assert.match((result as { refusals: string[] }).refusals.join('\n'), reason);
    }
  });

  it('exports an all-stable policy as weight 0 and honours other track names', () => {
    const zero = nginxIngressExport({ rules: [], default: { stable: 100 } });
    assert.ok(zero.ok);
    assert.equal(zero.annotations[`${A}canary-weight`], '0');
    const named = nginxIngressExport({ rules: [], default: { blue: 75, green: 25 } }, { stable: 'blue', canary: 'green' });
    assert.ok(named.ok);
    assert.equal(named.annotations[`${A}canary-weight`], '25');
  });
});
