// Two Souks on one PostgreSQL database: a policy or list change stored through one node is what the
// other node decides with within a second (NOTIFY in the writing transaction, LISTEN in each runtime).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, engines, loginAsNewOwner, startTestSouk, testConfig, type TestEnv } from '../../../test/harness.ts';
import { openPostgres } from '../../kernel/db/postgres.ts';
import { createSouk } from '../../server.ts';
import { waitFor } from '../../../test/wait.ts';
import { riskModule, riskService } from './index.ts';
import type { PolicyDocument } from './policy.ts';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('risk changes reach another node within a second (PostgreSQL NOTIFY)', { skip: engines().includes('postgres') ? false : 'DATABASE_URL is not set' }, () => {
  it('node B decides with the policy and list node A stored', async () => {
    const a = await startTestSouk('postgres');
    const url = a.souk.config.databaseUrl!;
    const bDatabase = await openPostgres(url, 2);
    const b = await createSouk({ database: bDatabase, logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: url } });
    try {
      const env = { engine: 'postgres', souk: a.souk, app: a.souk.app, ownerToken: await loginAsNewOwner(a.souk) } as TestEnv;
      const shop = await createTestPlatform(env, { slug: 'risk-nodes', modules: ['catalog', 'risk'] });
      await waitFor('node B to know the platform', () => b.ctx.platforms.bySlug('risk-nodes') !== undefined, 3000);
      const onB = riskService({ runtime: b.runtimeOf(riskModule), events: b.ctx.events });
      const pdbB = b.ctx.platformDb(shop.platform.id);
      const input = { deviceId: 'dev-moved', userAgent: CHROME, ip: '192.0.2.9' };
      assert.equal((await onB.decide(pdbB, 'coupon', input)).action, 'allow', 'B has loaded and cached the default policy');

      const strict: PolicyDocument = {
        rules: [{ id: 'moved-device', when: { signal: 'device_id', op: 'eq', value: 'dev-moved' }, action: 'deny' }],
        thresholds: [10, 20, 30, 40],
        actions: ['allow', 'allow', 'challenge', 'review', 'deny'],
      };
      const stored = await asBearer(a.souk.app, shop.adminToken, { method: 'PUT', url: '/admin/platforms/risk-nodes/risk/policies/coupon', payload: { document: strict } });
      assert.equal(stored.statusCode, 200, stored.body);
      const changedAt = Date.now();
      await waitFor('node B to deny with the new policy', async () => (await onB.decide(pdbB, 'coupon', input)).action === 'deny', 1000, 10);
      const policyLag = Date.now() - changedAt;

      const listed = await asBearer(a.souk.app, shop.adminToken, { method: 'PUT', url: '/admin/platforms/risk-nodes/risk/lists/block', payload: { entries: [{ kind: 'ip', value: '198.51.100.0/24' }] } });
      assert.equal(listed.statusCode, 200, listed.body);
      const listedAt = Date.now();
      await waitFor('node B to apply the block list', async () => (await onB.decide(pdbB, 'login', { ip: '198.51.100.3', userAgent: CHROME })).action === 'deny', 1000, 10);
      assert.ok(policyLag < 1000 && Date.now() - listedAt < 1000);
    } finally {
      await b.close();
      await bDatabase.close();
      await a.close();
    }
  });
});
