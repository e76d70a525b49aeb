// What the risk tests share: a browser's user agent (so no UA rule fires by accident), per-device
// headers, a policy that acts on named device ids and nothing else, and a helper that installs it.
import assert from 'node:assert/strict';
import { asBearer, type TestEnv } from './harness.ts';
import type { Shop } from './commerce.ts';
import type { PolicyDocument, RiskAction } from '../src/modules/risk/index.ts';

export const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

/** The headers of a browser on this device. */
export const device = (id: string): Record<string, string> => ({ 'x-device-id': id, 'user-agent': CHROME });

/** A policy whose only rules are "this device id gets this action"; every other request is allowed. */
export function devicePolicy(rules: Array<{ id: string; description: string; device: string; action: Exclude<RiskAction, 'allow'> }>): PolicyDocument {
  return {
    rules: rules.map((r) => ({ id: r.id, description: r.description, when: { signal: 'device_id', op: 'eq', value: r.device }, action: r.action })),
    thresholds: [10, 30, 50, 90],
    actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
    allowSampleRate: 1,
  };
}

/** Installs a policy at one decision point of a shop, as its platform admin. */
export async function putPolicy(env: TestEnv, target: Shop, point: string, document: PolicyDocument): Promise<void> {
  const res = await asBearer(env.app, target.platform.adminToken, { method: 'PUT', url: `/admin/platforms/${target.slug}/risk/policies/${point}`, payload: { document } });
  assert.equal(res.statusCode, 200, res.body);
}
