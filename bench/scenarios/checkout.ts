// Checkout (issue: commerce flow): completed orders per second and latency per step of the whole
// storefront flow, over real HTTP on loopback, with a bare Fastify server measured in the same run.
//
// Per engine (embedded PGlite, then PostgreSQL in a scratch database):
//   1. start Souk (bench/checkout-server.ts: createSouk + listen as `souk start` does, plus a loopback
//      side port where the sandbox provider signs its webhook) with the demo seed off;
//   2. through the admin API: one platform with the commerce modules, --variants variants (100 per
//      product) at 10.00 USD, each stocked with --stock units;
//   3. bare Fastify hello with autocannon (the machine's HTTP ceiling in this run);
//   4. closed-loop virtual customers, each on its own keep-alive connection, doing the whole flow back to
//      back: create cart (email) → add line × 2 → shipping method → checkout (Idempotency-Key) → start a
//      sandbox payment (X-Order-Token) → the provider approves and signs the webhook (side port,
//      signedSandboxWebhook) → POST the webhook → the order is paid. For --duration s per phase, for each
//      concurrency in --customers, in two modes:
//        distinct: every customer buys 2 variants from a slice of the catalogue no other customer uses;
//        hot:      every customer's first line is the same variant (one stock row for everybody), the
//                  second line one of its own;
//      a customer starts no new flow after the deadline and finishes the one in flight (counted in the
//      database check, not in orders/s);
//   5. independent check in SQL (pg on PostgreSQL; PGlite opened after Souk stopped): orders paid =
//      payments succeeded = flows the customers completed, units committed (ledger) = units in paid
//      orders, every level's on hand = stock set − its committed units, no level oversold.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { bareCells, measureBareRound, newBareRounds, type BareRounds } from '../lib/bare-rounds.ts';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import { BENCH_ADMIN, countInSql, engineDatabase, startBenchSouk, type SqlQuery } from '../lib/engine-run.ts';
import { positive } from '../lib/flags.ts';
import { httpJson } from '../lib/http.ts';
import { freePort } from '../lib/processes.ts';
import { waitForQuiet } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer, type Engine, type StartedServer } from '../lib/servers.ts';
import { adminLogin, createPlatform, type AdminSession } from '../lib/souk-api.ts';
import { median, percentileOfSorted, round, SampleBuffer, sum } from '../lib/stats.ts';
import type { Cell, Table } from '../lib/table.ts';
import { send, type Answer } from '../lib/virtual-client.ts';

// Targets from the issue, on this 2-core machine.
const GOALS = { postgresOrdersPerSecond: 1_000, checkoutP99Ms: 50 };

/** Set when the cart is created (no extra request): standard shipping delivers, so checkout needs it. */
const BENCH_ADDRESS = { firstName: 'Bench', line1: '1 Bench Road', city: 'Berlin', postalCode: '10115', country: 'DE' };
const SHOP = { slug: 'bench-shop', host: 'bench-shop.bench', currency: 'USD', price: 1000 };
const COMMERCE_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments'];
const VARIANTS_PER_PRODUCT = 100;

const STEPS = ['cart', 'line1', 'line2', 'shipping', 'checkout', 'payment', 'sign', 'webhook'] as const;
type Step = (typeof STEPS)[number];
const STEP_LABEL: Record<Step, string> = {
  cart: 'create cart',
  line1: 'add line 1',
  line2: 'add line 2',
  shipping: 'shipping method',
  checkout: 'checkout',
  payment: 'start payment',
  sign: 'provider approve+sign',
  webhook: 'webhook → paid',
};

type Mode = 'distinct' | 'hot';

interface Phase {
  mode: Mode;
  customers: number;
  round: number;
  durationSeconds: number;
  ordersCompleted: number;
  ordersPerSecond: number;
  /** Flows that ended on an unexpected answer (the customer starts a new flow). */
  failedFlows: number;
  failures: Record<string, number>;
  /** Flows still running at the deadline and completed after it (in the database check, not in orders/s). */
  finishedAfterDeadline: number;
  steps: Record<Step, { p50Ms: number; p99Ms: number; count: number }>;
  /** The whole flow, first request to webhook answered. */
  flowP50Ms: number;
  flowP99Ms: number;
  cpu: CpuUsage;
  backgroundBeforePercent: number;
}

interface PhaseSummary {
  mode: Mode;
  customers: number;
  rounds: number;
  ordersPerSecond: number;
  steps: Record<Step, { p50Ms: number; p99Ms: number }>;
  flowP50Ms: number;
  flowP99Ms: number;
  serverCpuPercent: number;
  loadGeneratorCpuPercent: number;
  otherCpuPercent: number;
  failedFlows: number;
}

interface Verification {
  ordersPaid: number;
  ordersOther: Record<string, number>;
  paymentsSucceeded: number;
  unitsCommitted: number;
  unitsInPaidOrders: number;
  levelsOversold: number;
  levelsMismatched: number;
  activeReservations: number;
  flowsCompletedByCustomers: number;
  consistent: boolean;
}

interface EngineRun {
  engine: Engine;
  skipped?: string;
  database?: { name: string; serverVersion: string };
  readyAfterSeconds?: number;
  variants?: number;
  stockPerVariant?: number;
  seedSeconds?: number;
  bare?: BareRounds;
  phases: Phase[];
  summaries: PhaseSummary[];
  verification?: Verification;
}

class FlowError extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

interface Shop {
  platformId: string;
  publishableKey: string;
  variants: string[];
  hotVariant: string;
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

interface Recorder {
  samples: Record<Step, SampleBuffer>;
  flows: SampleBuffer;
  completedInWindow: number;
  finishedAfterDeadline: number;
  failed: number;
  failures: Record<string, number>;
}

async function runCustomers(
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

// ---------------------------------------------------------------------------------------------------
// Setup through the admin API.

async function seedShop(baseUrl: string, session: AdminSession, variants: number, stock: number, log: ScenarioContext['log']): Promise<Shop> {
  const created = await createPlatform(session, {
    slug: SHOP.slug,
    name: 'Bench shop',
    hosts: [SHOP.host],
    defaultCurrency: SHOP.currency,
    defaultLocale: 'en',
    modules: COMMERCE_MODULES,
  });
  const auth = { authorization: `Bearer ${session.token}` };
  const ids: string[] = [];
  const products = Math.ceil(variants / VARIANTS_PER_PRODUCT);
  for (let p = 0; p < products; p++) {
    const count = Math.min(VARIANTS_PER_PRODUCT, variants - p * VARIANTS_PER_PRODUCT);
    const sizes = Array.from({ length: count }, (_, i) => `s${i}`);
    const product = await httpJson<{ variants: { id: string }[] }>(`${baseUrl}/admin/platforms/${SHOP.slug}/products`, {
      method: 'POST',
      headers: auth,
      expectedStatus: 201,
      json: {
        handle: `bench-${p}`,
        title: `Bench product ${p}`,
        status: 'published',
        options: [{ name: 'size', values: sizes }],
        variants: sizes.map((size) => ({ sku: `B${p}-${size}`, options: { size }, prices: [{ currency: SHOP.currency, amount: SHOP.price }] })),
      },
      timeoutMs: 60_000,
    });
    ids.push(...product.variants.map((v) => v.id));
  }
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      await httpJson(`${baseUrl}/admin/platforms/${SHOP.slug}/inventory/levels/${id}`, { method: 'PUT', headers: auth, json: { onHand: stock, reason: 'bench stock' } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  log(`  ${products} products, ${ids.length} variants, ${stock.toLocaleString('en-US')} units each`);
  return { platformId: created.platform.id, publishableKey: created.publishableKey, variants: ids, hotVariant: ids[0]! };
}

// ---------------------------------------------------------------------------------------------------
// The independent count.

async function verify(query: SqlQuery, shop: Shop, stock: number, flows: number): Promise<Verification> {
  const one = async (sql: string) => Number((await query(sql, [shop.platformId]))[0]?.n ?? Number.NaN);
  const statuses = await query('select status, count(*)::int as n from orders where platform_id = $1 group by status', [shop.platformId]);
  const ordersOther: Record<string, number> = {};
  let ordersPaid = 0;
  for (const row of statuses) {
    if (row.status === 'paid') ordersPaid = Number(row.n);
    else ordersOther[String(row.status)] = Number(row.n);
  }
  const paymentsSucceeded = await one(`select count(*)::int as n from payments where platform_id = $1 and status = 'succeeded'`);
  const unitsCommitted = await one(`select coalesce(-sum(delta), 0)::int as n from inventory_ledger where platform_id = $1 and kind = 'commit'`);
  const unitsInPaidOrders = await one(
    `select coalesce(sum(l.quantity), 0)::int as n from order_lines l join orders o on o.platform_id = l.platform_id and o.id = l.order_id
     where l.platform_id = $1 and o.status = 'paid'`,
  );
  const levelsOversold = await one('select count(*)::int as n from inventory_levels where platform_id = $1 and (on_hand < 0 or reserved < 0 or reserved > on_hand)');
  // Every level: stock set − units sold in paid orders = on hand now, and nothing is still held.
  const levelsMismatched = Number(
    (
      await query(
        `select count(*)::int as n from inventory_levels v
         left join (select l.variant_id, sum(l.quantity) as sold from order_lines l join orders o on o.platform_id = l.platform_id and o.id = l.order_id
                    where l.platform_id = $1 and o.status = 'paid' group by l.variant_id) s on s.variant_id = v.variant_id
         where v.platform_id = $1 and (v.on_hand <> $2 - coalesce(s.sold, 0) or v.reserved <> 0)`,
        [shop.platformId, stock],
      )
    )[0]?.n ?? Number.NaN,
  );
  const activeReservations = await one(`select count(*)::int as n from inventory_reservations where platform_id = $1 and status = 'active'`);
  const consistent =
    ordersPaid === paymentsSucceeded &&
    ordersPaid === flows &&
    unitsCommitted === unitsInPaidOrders &&
    unitsCommitted === 2 * ordersPaid &&
    levelsOversold === 0 &&
    levelsMismatched === 0 &&
    activeReservations === 0 &&
    Object.keys(ordersOther).length === 0;
  return { ordersPaid, ordersOther, paymentsSucceeded, unitsCommitted, unitsInPaidOrders, levelsOversold, levelsMismatched, activeReservations, flowsCompletedByCustomers: flows, consistent };
}

// ---------------------------------------------------------------------------------------------------

function pcts(samples: SampleBuffer): { p50Ms: number; p99Ms: number; count: number } {
  const sorted = samples.sorted();
  return { p50Ms: round(percentileOfSorted(sorted, 50), 2), p99Ms: round(percentileOfSorted(sorted, 99), 2), count: samples.size };
}

function summarize(phases: Phase[]): PhaseSummary[] {
  const keys = [...new Set(phases.map((p) => `${p.mode}/${p.customers}`))];
  return keys.map((key) => {
    const group = phases.filter((p) => `${p.mode}/${p.customers}` === key);
    const first = group[0]!;
    return {
      mode: first.mode,
      customers: first.customers,
      rounds: group.length,
      ordersPerSecond: round(median(group.map((p) => p.ordersPerSecond)), 0),
      steps: Object.fromEntries(STEPS.map((s) => [s, { p50Ms: round(median(group.map((p) => p.steps[s].p50Ms)), 2), p99Ms: round(median(group.map((p) => p.steps[s].p99Ms)), 2) }])) as PhaseSummary['steps'],
      flowP50Ms: round(median(group.map((p) => p.flowP50Ms)), 1),
      flowP99Ms: round(median(group.map((p) => p.flowP99Ms)), 1),
      serverCpuPercent: round(median(group.map((p) => p.cpu.serverPercent)), 0),
      loadGeneratorCpuPercent: round(median(group.map((p) => p.cpu.loadGeneratorPercent)), 0),
      otherCpuPercent: round(median(group.map((p) => p.cpu.otherPercent)), 0),
      failedFlows: sum(group.map((p) => p.failedFlows)),
    };
  });
}

function parseList(raw: string, name: string): number[] {
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${name} must be a list of positive integers, got "${raw}"`);
  return values;
}

async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
  const { options, flags, log } = context;
  const run: EngineRun = { engine, phases: [], summaries: [] };
  const customersList = parseList(flags.customers ?? '8,32,64', 'customers');
  const modes = (flags.modes ?? 'distinct,hot').split(',').map((m) => m.trim()) as Mode[];
  for (const mode of modes) if (mode !== 'distinct' && mode !== 'hot') throw new Error(`--modes: unknown mode "${mode}" (distinct, hot)`);
  const variants = Number(flags.variants);
  const stock = Number(flags.stock);

  const scratch = await engineDatabase(engine, context, notes, run);
  if (run.skipped) return run;

  const signerPort = await freePort();
  const { souk, readyAfterSeconds } = await startBenchSouk(context, { engine, scratch, entry: 'checkout-server.ts', env: { SIGNER_PORT: String(signerPort) } });
  run.readyAfterSeconds = readyAfterSeconds;

  const seedStarted = Date.now();
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const shop = await seedShop(souk.baseUrl, session, variants, stock, log);
  run.variants = shop.variants.length;
  run.stockPerVariant = stock;
  run.seedSeconds = round((Date.now() - seedStarted) / 1000, 1);

  // Unmeasured warm-up: JIT, connection pool, caches.
  if (options.warmupSeconds > 0) {
    log(`  warm-up (${options.warmupSeconds} s, distinct, ${customersList[0]} customers)`);
    const warm = await runCustomers(souk.port, signerPort, shop, 'distinct', customersList[0]!, options.warmupSeconds, souk.pid);
    run.phases.push(toPhase('distinct', customersList[0]!, 0, warm, options.warmupSeconds));
    if (warm.recorder.failed > 0) log(`  warm-up failures: ${JSON.stringify(warm.recorder.failures)}`);
  }

  run.bare = newBareRounds();
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuiet(options.quietWaitSeconds, log);
    await measureBareRound(bare, context, r, run.bare);
    for (const mode of modes) {
      for (const customers of customersList) {
        const backgroundBeforePercent = await waitForQuiet(options.quietWaitSeconds, log);
        const result = await runCustomers(souk.port, signerPort, shop, mode, customers, options.durationSeconds, souk.pid);
        const phase = { ...toPhase(mode, customers, r, result, options.durationSeconds), backgroundBeforePercent };
        run.phases.push(phase);
        const failures = phase.failedFlows > 0 ? `  !! ${phase.failedFlows} failed flows ${JSON.stringify(phase.failures)}` : '';
        log(
          `  round ${r}/${options.rounds} ${mode} × ${customers}: ${phase.ordersPerSecond} orders/s, checkout p50 ${phase.steps.checkout.p50Ms} / p99 ${phase.steps.checkout.p99Ms} ms, ` +
            `flow p50 ${phase.flowP50Ms} ms, cpu server ${phase.cpu.serverPercent}% / loadgen ${phase.cpu.loadGeneratorPercent}% / other ${phase.cpu.otherPercent}%${failures}`,
        );
      }
    }
  }
  run.summaries = summarize(run.phases.filter((p) => p.round > 0));

  // The independent count, after every flow has ended.
  const flows = sum(run.phases.map((p) => p.ordersCompleted + p.finishedAfterDeadline));
  await sleep(500);
  run.verification = await countInSql(souk, scratch, (query) => verify(query, shop, stock, flows));
  const v = run.verification;
  log(`${engine}: check: ${JSON.stringify(v)}`);
  if (!v.consistent) notes.push(`${engine}: the database check FAILED: ${JSON.stringify(v)}`);
  return run;
}

function toPhase(mode: Mode, customers: number, roundNo: number, result: Awaited<ReturnType<typeof runCustomers>>, durationSeconds: number): Phase {
  const { recorder } = result;
  const flow = pcts(recorder.flows);
  return {
    mode,
    customers,
    round: roundNo,
    durationSeconds,
    ordersCompleted: recorder.completedInWindow,
    ordersPerSecond: round(recorder.completedInWindow / durationSeconds, 0),
    failedFlows: recorder.failed,
    failures: recorder.failures,
    finishedAfterDeadline: recorder.finishedAfterDeadline,
    steps: Object.fromEntries(STEPS.map((s) => [s, pcts(recorder.samples[s])])) as Phase['steps'],
    flowP50Ms: round(flow.p50Ms, 1),
    flowP99Ms: round(flow.p99Ms, 1),
    cpu: result.cpu,
    backgroundBeforePercent: 0,
  };
}

function buildTables(runs: EngineRun[]): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const main: Table = {
    title: 'Checkout flow: completed (paid) orders/s, medians of rounds',
    columns: ['engine', 'mode', 'customers', 'orders/s', 'vs bare req/s', 'checkout p50 ms', 'checkout p99 ms', 'flow p50 ms', 'flow p99 ms', 'CPU server', 'CPU loadgen', 'CPU other', 'failed flows'],
    rows: [],
    notes: [
      'orders/s: flows completed (webhook answered, order paid) within the measured window ÷ its length. A flow is 8 HTTP requests.',
      'vs bare req/s: HTTP requests per second of the flow (8 × orders/s) ÷ bare Fastify hello req/s of the same engine run.',
    ],
  };
  const bareTable: Table = { title: 'Bare Fastify hello in the same run (autocannon), medians of rounds', columns: ['engine', 'req/s', 'p50 ms', 'p99 ms', 'CPU server', 'CPU loadgen'], rows: [] };
  const steps: Table = {
    title: 'Latency per step, p50 / p99 ms (medians of rounds)',
    columns: ['engine', 'mode', 'customers', ...STEPS.map((s) => STEP_LABEL[s])],
    rows: [],
  };
  const checks: Table = {
    title: 'Independent count (SQL, after the run)',
    columns: ['engine', 'flows completed', 'orders paid', 'payments succeeded', 'units committed', 'units in paid orders', 'other orders', 'levels oversold', 'levels ≠ stock − sold', 'active holds', 'consistent'],
    rows: [],
  };
  const goals: Table = { title: 'Goals from the issue', columns: ['engine', 'goal', 'measured', 'met'], rows: [] };
  for (const run of measured) {
    const bareRps = median(run.bare?.requestsPerSecond ?? []);
    bareTable.rows.push([run.engine, ...bareCells(run.bare)]);
    for (const s of run.summaries) {
      main.rows.push([
        run.engine,
        s.mode,
        s.customers,
        s.ordersPerSecond,
        `${round(((s.ordersPerSecond * STEPS.length) / bareRps) * 100, 1)}%`,
        s.steps.checkout.p50Ms,
        s.steps.checkout.p99Ms,
        s.flowP50Ms,
        s.flowP99Ms,
        `${s.serverCpuPercent}%`,
        `${s.loadGeneratorCpuPercent}%`,
        `${s.otherCpuPercent}%`,
        s.failedFlows,
      ]);
      steps.rows.push([run.engine, s.mode, s.customers, ...STEPS.map((step): Cell => `${s.steps[step].p50Ms} / ${s.steps[step].p99Ms}`)]);
    }
    const v = run.verification;
    if (v) {
      checks.rows.push([
        run.engine,
        v.flowsCompletedByCustomers,
        v.ordersPaid,
        v.paymentsSucceeded,
        v.unitsCommitted,
        v.unitsInPaidOrders,
        Object.keys(v.ordersOther).length ? JSON.stringify(v.ordersOther) : 0,
        v.levelsOversold,
        v.levelsMismatched,
        v.activeReservations,
        v.consistent ? 'yes' : 'NO',
      ]);
    }
    const distinct = run.summaries.filter((s) => s.mode === 'distinct');
    const best = distinct.reduce<PhaseSummary | undefined>((a, b) => (!a || b.ordersPerSecond > a.ordersPerSecond ? b : a), undefined);
    if (run.engine === 'postgres' && best) {
      goals.rows.push([run.engine, `≥ ${GOALS.postgresOrdersPerSecond.toLocaleString('en-US')} checkouts/s, distinct variants`, `${best.ordersPerSecond}/s (${best.customers} customers)`, best.ordersPerSecond >= GOALS.postgresOrdersPerSecond ? 'yes' : 'NO']);
    }
    // "Below saturation": the lowest concurrency measured.
    const low = distinct.reduce<PhaseSummary | undefined>((a, b) => (!a || b.customers < a.customers ? b : a), undefined);
    if (low) {
      goals.rows.push([run.engine, `checkout p99 < ${GOALS.checkoutP99Ms} ms below saturation (distinct, ${low.customers} customers)`, `${low.steps.checkout.p99Ms} ms`, low.steps.checkout.p99Ms < GOALS.checkoutP99Ms ? 'yes' : 'NO']);
    }
  }
  return [bareTable, main, steps, checks, goals];
}

export const checkoutScenario: Scenario = {
  name: 'checkout',
  description: 'The whole storefront flow (cart → checkout → sandbox payment → webhook) over HTTP, distinct and hot variants, vs bare Fastify.',
  flags: {
    customers: { description: 'closed-loop virtual customers per phase, a comma-separated sweep', default: '8,32,64' },
    modes: { description: 'distinct (own variants per customer), hot (one variant in every cart)', default: 'distinct,hot' },
    variants: { description: 'variants in the catalogue (100 per product)', default: '2000' },
    stock: { description: 'units on hand per variant', default: '1000000' },
  },
  async run(context): Promise<ScenarioReport> {
    const { cleanup, log } = context;
    for (const flag of ['variants', 'stock']) positive(context.flags, flag);
    const notes: string[] = [
      `The load generator (virtual customers and autocannon, in the harness process) runs on the same ${context.machine.cores} cores as Souk and PostgreSQL.`,
      'Each phase runs --duration s; customers start no flow after it and finish the one in flight (those flows are in the database check, not in orders/s).',
    ];
    const bare = await startBareServer(cleanup);
    log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
    const runs: EngineRun[] = [];
    for (const engine of context.options.engines) {
      const run = await runEngine(engine, bare, context, notes);
      for (const s of run.summaries) {
        if (s.failedFlows > 0) notes.push(`${engine} / ${s.mode} × ${s.customers}: ${s.failedFlows} failed flows — see the JSON result for reasons.`);
      }
      runs.push(run);
    }
    await bare.stop();
    return { tables: buildTables(runs), notes, data: { goals: GOALS, engines: runs } };
  },
};
