// The virtual customers: closed-loop, each on its own keep-alive connection, doing the whole flow back
// to back (cart → lines → shipping → checkout → payment → provider signature → webhook), every step timed.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import { SampleBuffer } from '../lib/stats.ts';
import { send, type Answer } from '../lib/virtual-client.ts';
import { SHOP, type Shop } from './shop.ts';

/** Set when the cart is created (no extra request): standard shipping delivers, so checkout needs it. */
const BENCH_ADDRESS = { firstName: 'Bench', line1: '1 Bench Road', city: 'Berlin', postalCode: '10115', country: 'DE' };

export const STEPS = ['cart', 'line1', 'line2', 'shipping', 'checkout', 'payment', 'sign', 'webhook'] as const;
export type Step = (typeof STEPS)[number];
export const STEP_LABEL: Record<Step, string> = {
  cart: 'create cart',
  line1: 'add line 1',
  line2: 'add line 2',
  shipping: 'shipping method',
  checkout: 'checkout',
  payment: 'start payment',
  sign: 'provider approve+sign',
  webhook: 'webhook → paid',
};

export type Mode = 'distinct' | 'hot';

class FlowError extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

interface CustomerPlan {
  /** Variants only this customer buys (its second line, and in distinct mode both lines). */
  own: string[];
}

function plans(shop: Shop, customers: number): CustomerPlan[] {
  // The hot variant is kept out of every slice, so distinct mode never touches it.
  const pool = shop.variants.filter((v) => v !== shop.hotVariant);
  const size = Math.floor(pool.length / customers);
  if (size < 2) throw new Error(`--variants ${shop.variants.length} is too few for ${customers} customers with 2 variants each`);
  return Array.from({ length: customers }, (_, c) => ({ own: pool.slice(c * size, (c + 1) * size) }));
}

export interface Recorder {
  samples: Record<Step, SampleBuffer>;
  flows: SampleBuffer;
  completedInWindow: number;
  finishedAfterDeadline: number;
  failed: number;
  failures: Record<string, number>;
}

export async function runCustomers(
  soukPort: number,
  signerPort: number,
  shop: Shop,
  mode: Mode,
  customers: number,
  durationSeconds: number,
  serverPid: number,
): Promise<{ recorder: Recorder; cpu: CpuUsage; elapsedSeconds: number }> {
  const recorder: Recorder = {
    samples: Object.fromEntries(STEPS.map((s) => [s, new SampleBuffer()])) as Record<Step, SampleBuffer>,
    flows: new SampleBuffer(),
    completedInWindow: 0,
    finishedAfterDeadline: 0,
    failed: 0,
    failures: {},
  };
  const agents: http.Agent[] = [];
  const store = { 'x-publishable-key': shop.publishableKey, accept: 'application/json' };
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  const stopCpu = startCpuWatch(serverPid);

  const customer = async (plan: CustomerPlan, c: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const signerAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent, signerAgent);
    let n = 0;
    const step = async (name: Step, fn: () => Promise<Answer>, expected: number[]): Promise<Record<string, unknown>> => {
      const t0 = performance.now();
      let answer: Answer;
      try {
        answer = await fn();
      } catch (error) {
        throw new FlowError(`${STEP_LABEL[name]}: ${error instanceof Error ? error.message.slice(0, 60) : 'error'}`);
      }
      if (!expected.includes(answer.status)) {
        let code = '';
        try {
          code = String((JSON.parse(answer.body) as { code?: unknown }).code ?? '');
        } catch {
          /* not JSON */
        }
        throw new FlowError(`${STEP_LABEL[name]}: ${answer.status}${code ? ` ${code}` : ''}`);
      }
      recorder.samples[name].push(performance.now() - t0);
      return JSON.parse(answer.body) as Record<string, unknown>;
    };
    while (performance.now() < deadline) {
      n += 1;
      const own = plan.own;
      const first = mode === 'hot' ? shop.hotVariant : own[(2 * n) % own.length]!;
      const second = own[(2 * n + 1) % own.length]!;
      const flowStart = performance.now();
      try {
        const cart = await step('cart', () => send(agent, soukPort, 'POST', '/store/carts', store, JSON.stringify({ email: `c${c}-${n}@bench.souk`, shippingAddress: BENCH_ADDRESS })), [201]);
        const cartId = String(cart.id);
        await step('line1', () => send(agent, soukPort, 'POST', `/store/carts/${cartId}/lines`, store, JSON.stringify({ variantId: first, quantity: 1 })), [200, 201]);
        await step('line2', () => send(agent, soukPort, 'POST', `/store/carts/${cartId}/lines`, store, JSON.stringify({ variantId: second, quantity: 1 })), [200, 201]);
        await step('shipping', () => send(agent, soukPort, 'PUT', `/store/carts/${cartId}/shipping-method`, store, JSON.stringify({ methodId: 'standard' })), [200]);
        const order = await step(
          'checkout',
          () => send(agent, soukPort, 'POST', `/store/carts/${cartId}/checkout`, { ...store, 'idempotency-key': `bench-${c}-${n}-${cartId}` }, '{}'),
          [201],
        );
        const total = (order.totals as { total?: number } | undefined)?.total;
        if (typeof order.id !== 'string' || typeof order.accessToken !== 'string' || order.currency !== SHOP.currency || typeof total !== 'number' || total < 2 * SHOP.price) {
          throw new FlowError('checkout: unexpected order body');
        }
        const payment = await step(
          'payment',
          () => send(agent, soukPort, 'POST', `/store/orders/${order.id as string}/payments`, { ...store, 'x-order-token': order.accessToken as string }, JSON.stringify({ provider: 'sandbox' })),
          [201],
        );
        const signed = await step('sign', () => send(signerAgent, signerPort, 'POST', '/sign', {}, JSON.stringify({ platformId: shop.platformId, paymentId: payment.paymentId })), [200]);
        const webhook = await step(
          'webhook',
          () => send(agent, soukPort, 'POST', '/store/payments/webhooks/sandbox', { ...store, ...(signed.headers as Record<string, string>) }, signed.body as string),
          [200],
        );
        if (webhook.outcome !== 'applied' || webhook.status !== 'succeeded') throw new FlowError(`webhook: outcome ${String(webhook.outcome)} ${String(webhook.status)}`);
        const end = performance.now();
        recorder.flows.push(end - flowStart);
        if (end <= deadline) recorder.completedInWindow += 1;
        else recorder.finishedAfterDeadline += 1;
      } catch (error) {
        const key = error instanceof FlowError ? error.key : `error: ${error instanceof Error ? error.message.slice(0, 80) : String(error)}`;
        recorder.failed += 1;
        recorder.failures[key] = (recorder.failures[key] ?? 0) + 1;
        // A broken server must not turn into a busy loop of failures.
        await sleep(5);
      }
    }
  };

  await Promise.all(plans(shop, customers).map((plan, c) => customer(plan, c)));
  const cpu = stopCpu();
  for (const agent of agents) agent.destroy();
  return { recorder, cpu, elapsedSeconds: (performance.now() - started) / 1000 };
}
