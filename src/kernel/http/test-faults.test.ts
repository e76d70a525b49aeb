import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { installTestFaults, testFaultsFromEnv } from './test-faults.ts';
import { installErrorHandling } from './errors.ts';

describe('test fault switch', () => {
  it('is off unless NODE_ENV=test or SOUK_TEST_FAULTS=1, and never with NODE_ENV=production', () => {
    const warnings: string[] = [];
    const warn = (text: string) => warnings.push(text);
    assert.equal(testFaultsFromEnv({}, warn), undefined);
    assert.equal(testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '0.05' }, warn), undefined);
    assert.equal(testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '0.05', NODE_ENV: 'development' }, warn), undefined);
    assert.equal(testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '0.05', NODE_ENV: 'production', SOUK_TEST_FAULTS: '1' }, warn), undefined);
    assert.match(warnings.at(-1)!, /NODE_ENV=production never injects/);
    assert.deepEqual(testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '0.05', NODE_ENV: 'test' }, warn), { errorRate: 0.05 });
    assert.deepEqual(testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '1', SOUK_TEST_FAULTS: '1' }, warn), { errorRate: 1 });
    assert.throws(() => testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: 'lots', NODE_ENV: 'test' }, warn), /above 0 and at most 1/);
    assert.throws(() => testFaultsFromEnv({ SOUK_TEST_FAULT_ERROR_RATE: '0', NODE_ENV: 'test' }, warn), /above 0/);
  });

  it('fails exactly one storefront request in twenty at 5 %, and nothing else', async () => {
    const app = Fastify();
    installErrorHandling(app);
    installTestFaults(app, { errorRate: 0.05 });
    app.get('/store/products', async () => ({ ok: true }));
    app.get('/healthz', async () => ({ ok: true }));
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const res = await app.inject({ method: 'GET', url: '/store/products' });
      if (res.statusCode === 500) {
        failed += 1;
        assert.equal(res.json().code, 'test_fault_injected');
        assert.equal(res.headers['x-souk-test-fault'], '1');
      } else assert.equal(res.statusCode, 200);
    }
    assert.equal(failed, 10);
    for (let i = 0; i < 40; i++) assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await app.close();
  });
});
