// A test-only fault switch: makes this API process answer a share of storefront requests (/store/…) with a
// 500, so the canary gateway's automatic roll back can be tried against a real Souk (test/gateway-rollout
// .test.ts, README "Canary releases"). It is read only when NODE_ENV is `test` or SOUK_TEST_FAULTS=1, and
// never when NODE_ENV=production (the Docker image and the Kubernetes manifests set it): there it is
// ignored with a warning, whatever else is set. Every n-th request fails (not a random one), so 5 % is
// exactly one in twenty and a test can count on it. Probes, /metrics and sign-in are never touched.
import type { FastifyInstance } from 'fastify';
import { injectedFault } from './problems.ts';

export interface TestFaults {
  /** The share of storefront requests answered with a 500 (0 < rate ≤ 1). */
  errorRate: number;
}

/** The fault settings, or undefined when faults are off (the normal case). Throws on a malformed rate. */
export function testFaultsFromEnv(env: NodeJS.ProcessEnv = process.env, warn: (text: string) => void = console.error): TestFaults | undefined {
  const raw = env.SOUK_TEST_FAULT_ERROR_RATE;
  if (raw === undefined || raw === '') return undefined;
  if (env.NODE_ENV === 'production') {
    warn('souk: SOUK_TEST_FAULT_ERROR_RATE is ignored: NODE_ENV=production never injects test faults');
    return undefined;
  }
  if (env.NODE_ENV !== 'test' && env.SOUK_TEST_FAULTS !== '1') {
    warn('souk: SOUK_TEST_FAULT_ERROR_RATE is ignored: test faults need NODE_ENV=test or SOUK_TEST_FAULTS=1');
    return undefined;
  }
  const errorRate = Number(raw);
  if (!Number.isFinite(errorRate) || errorRate <= 0 || errorRate > 1) throw new Error(`SOUK_TEST_FAULT_ERROR_RATE must be a number above 0 and at most 1, got "${raw}"`);
  warn(`souk: TEST FAULTS ON: ${(errorRate * 100).toFixed(2)} % of storefront requests (/store/…) answer 500 (SOUK_TEST_FAULT_ERROR_RATE)`);
  return { errorRate };
}

export function installTestFaults(app: FastifyInstance, faults: TestFaults): void {
  let seen = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/store/')) return;
    seen += 1;
    // Fails request n when floor(n·rate) steps up: exactly rate·n of the first n requests.
    if (Math.floor(seen * faults.errorRate) > Math.floor((seen - 1) * faults.errorRate)) {
      reply.header('x-souk-test-fault', '1');
      throw injectedFault();
    }
  });
}
