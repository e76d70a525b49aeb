// Flash sale (issue 5): a rush of many logged-in customers on ONE hot variant, over real HTTP on loopback,
// with a bare Fastify server measured in the same run, twice: with autocannon (the machine's HTTP ceiling)
// and with the rush's own shopper client (like for like: the shoppers are node:http in the harness
// process, far dearer per request than autocannon, on the same cores as the servers).
//
// Per engine — embedded (PGlite, in-process stock gate) and postgres (PostgreSQL in a scratch database,
// with the Redis stock gate when Redis answers at --redis-url, under a random key prefix deleted at the
// end; the in-process gate otherwise, said in the notes):
//   1. start Souk (bench/flash-sale-server.ts: createSouk + listen as `souk start` does, plus a loopback
//      side port that seeds customers with sessions; the demo seed is off). With --nodes N (postgres only:
//      PGlite is one process) N such servers, one after the other, each on its own port, on the same
//      scratch database and the same Redis URL and key prefix (one stock gate, one set of rate limits);
//      only the first has the side port, and the admin calls below go to it;
//   2. through the admin API: one platform with the commerce modules and flash-sales (purchase rate limits
//      raised: every shopper here comes from 127.0.0.1), one product with a hot variant stocked for every
//      sale of the run and a warm-up variant; --buyers customers through the side port;
//   3. an unmeasured warm-up (--warmup s): a rush on a sale of the warm-up variant, then the shoppers on
//      bare Fastify's POST /purchase;
//   4. per round, right before its rush, with the rush's --connections and --duration:
//      a. bare Fastify GET / with autocannon (the HTTP ceiling of this run);
//      b. bare Fastify POST /purchase with exactly the rush's client (runShoppers: same keep-alive agent
//         per shopper, same headers incl. authorization and x-device-id, same JSON body, same closed
//         loop); it parses the body and answers a 409 sold-out problem of Souk's size;
//   5. per round, a new sale of --quantity units of the hot variant (limit --limit per customer) starting
//      2 s after it is scheduled; when it starts, --connections closed-loop shoppers (one keep-alive
//      connection each, shopper s to node s mod N) send purchase attempts back to back for --duration s,
//      each attempt as the next buyer in turn. Measured: attempts/s answered at HTTP, p50/p99 of all
//      answers and of winners (202) and losers (409), the time from the start until the last unit was won
//      (sold out), the CPU of all nodes together, and the drain: orders created per second from the first
//      to the last order of the sale (the server's SOUK_FLASH_DRAIN_PER_SECOND, default 200 per node,
//      caps it; --souk-env changes it);
//   6. after waiting for the drain (bounded), an independent count in SQL (pg on PostgreSQL, whichever
//      nodes drained; PGlite opened after Souk stopped): per sale, ticketed units (pending or ordered)
//      ≤ quantity, nobody above the limit, orders = tickets, order units = ticketed units at the sale
//      price, no ticket still pending, and no inventory level with reserved > on hand. Zero oversell is the goal; the tables say if not.
// The rush table gives attempts/s against both bare figures ("vs bare (autocannon)", "vs bare (same client)").
// Load goes to 127.0.0.1 only; every phase is bounded by --duration, the drain wait by --drain-wait.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../src/kernel/redis.ts';
import { bareCells, cpuCells, measureBareRound, newBareRounds, type BareRounds } from '../lib/bare-rounds.ts';
import { startCpuWatch, type CpuUsage } from '../lib/cpu.ts';
import { BENCH_ADMIN, countInSql, engineDatabase, startBenchSouk, type SqlQuery } from '../lib/engine-run.ts';
import { positive } from '../lib/flags.ts';
import { httpJson } from '../lib/http.ts';
import { freePort } from '../lib/processes.ts';
import { waitForQuiet } from '../lib/rounds.ts';
import type { Scenario, ScenarioContext, ScenarioReport } from '../lib/scenario.ts';
import { startBareServer, type Engine, type SoukServer, type StartedServer } from '../lib/servers.ts';
import { adminLogin, createPlatform, type AdminSession } from '../lib/souk-api.ts';
import { median, percentileOfSorted, round, SampleBuffer } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import { send } from '../lib/virtual-client.ts';

const SHOP = { slug: 'flash-shop', host: 'flash-shop.bench', currency: 'USD', price: 2000, salePrice: 990 };
const MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales'];
const START_DELAY_MS = 2000;

interface Shop {
  platformId: string;
  /** updatedAt of the platform after its last write (the rate-limit settings). */
  platformUpdatedAt: string;
  publishableKey: string;
  hotVariant: string;
  warmVariant: string;
  buyers: string[];
}

interface Rush extends ShopperRun {
  label: string;
  round: number;
  saleId: string;
  quantity: number;
  /** Orders created per second, first to last order of the sale (from the database at the end). */
  ordersPerSecond?: number;
  drainSeconds?: number;
  drainedInTime: boolean;
  backgroundBeforePercent: number;
  /** The sale's own attempt counter (admin stats) after the drain, against the shoppers' 202/409 answers. */
  soukCountedAttempts: number;
}

interface SaleCheck {
  saleId: string;
  quantity: number;
  ticketedUnits: number;
  maxPerCustomer: number;
  tickets: number;
  pendingTickets: number;
  failedTickets: number;
  orders: number;
  orderUnits: number;
  wrongPrice: number;
  firstOrderAt: number | null;
  lastOrderAt: number | null;
}

interface Verification {
  sales: SaleCheck[];
  levelsOversold: number;
  consistent: boolean;
  problems: string[];
}

interface EngineRun {
  engine: Engine;
  gate: 'memory' | 'redis';
  /** Souk servers on the one database, the shoppers spread across them (1 on embedded). */
  nodes: number;
  skipped?: string;
  database?: { name: string; serverVersion: string };
  /** Of the first node (the one that migrates the database); the others are in the log. */
  readyAfterSeconds?: number;
  buyers?: number;
  seedSeconds?: number;
  /** Bare Fastify GET / with autocannon, per round. */
  bare?: BareRounds;
  /** Bare Fastify POST /purchase with the rush's shopper client, per round (next to `bare`). */
  bareSameClient?: ShopperRun[];
  rushes: Rush[];
  verification?: Verification;
}

function pct(samples: SampleBuffer, p: number): number {
  return samples.size === 0 ? Number.NaN : round(percentileOfSorted(samples.sorted(), p), 2);
}

// ---------------------------------------------------------------------------------------------------
// Setup through the admin API (and the side port for customers).

async function seedShop(baseUrl: string, seedPort: number, session: AdminSession, buyers: number, hotStock: number, log: ScenarioContext['log']): Promise<Shop> {
  const created = await createPlatform(session, { slug: SHOP.slug, name: 'Flash shop', hosts: [SHOP.host], defaultCurrency: SHOP.currency, defaultLocale: 'en', modules: MODULES });
  const auth = { authorization: `Bearer ${session.token}` };
  // Every shopper of the benchmark comes from 127.0.0.1: the per-IP limit would stop the rush at once.
  const patched = await httpJson<{ updatedAt: string }>(`${baseUrl}/admin/platforms/${SHOP.slug}`, {
    method: 'PATCH',
    headers: auth,
    json: { settings: { 'flash-sales': { purchasesPerIpPerMinute: 10_000_000, purchasesPerDevicePerMinute: 1_000_000 } } },
  });
  const product = await httpJson<{ variants: { id: string }[] }>(`${baseUrl}/admin/platforms/${SHOP.slug}/products`, {
    method: 'POST',
    headers: auth,
    expectedStatus: 201,
    json: {
      handle: 'flash-hot',
      title: 'The hot item',
      status: 'published',
      options: [{ name: 'size', values: ['hot', 'warm'] }],
      variants: ['hot', 'warm'].map((size) => ({ sku: `FLASH-${size}`, options: { size }, prices: [{ currency: SHOP.currency, amount: SHOP.price }] })),
    },
  });
  const [hot, warm] = product.variants.map((v) => v.id) as [string, string];
  for (const [id, onHand] of [
    [hot, hotStock],
    [warm, 100_000],
  ] as const) {
    await httpJson(`${baseUrl}/admin/platforms/${SHOP.slug}/inventory/levels/${id}`, { method: 'PUT', headers: auth, json: { onHand, reason: 'bench stock' } });
  }
  const seeded = await httpJson<{ customers: { id: string; token: string }[] }>(`http://127.0.0.1:${seedPort}/`, {
    method: 'POST',
    json: { platformId: created.platform.id, count: buyers },
    timeoutMs: 300_000,
  });
  log(`  platform ${SHOP.slug}, hot variant with ${hotStock.toLocaleString('en-US')} units, ${seeded.customers.length.toLocaleString('en-US')} customers with sessions`);
  return { platformId: created.platform.id, platformUpdatedAt: patched.updatedAt, publishableKey: created.publishableKey, hotVariant: hot, warmVariant: warm, buyers: seeded.customers.map((c) => c.token) };
}

/**
 * Waits until every further node serves the shop as the first node last wrote it. A node learns of
 * platform writes made on another node by polling (SOUK_PLATFORM_REFRESH_MS, 5 s by default); until
 * then its storefront answers 404 platform_not_found, or applies the default purchase rate limits.
 */
async function waitForNodesToSeeShop(nodes: SoukServer[], session: AdminSession, shop: Shop, log: ScenarioContext['log']): Promise<void> {
  if (nodes.length < 2) return;
  const started = Date.now();
  const until = started + 60_000;
  for (const node of nodes.slice(1)) {
    for (;;) {
      const seen = await httpJson<{ updatedAt: string }>(`${node.baseUrl}/admin/platforms/${SHOP.slug}`, { headers: { authorization: `Bearer ${session.token}` } }).catch(() => undefined);
      if (seen?.updatedAt === shop.platformUpdatedAt) break;
      if (Date.now() > until) throw new Error(`souk pid ${node.pid} did not see platform ${SHOP.slug} as written (updatedAt ${shop.platformUpdatedAt}) within 60 s`);
      await sleep(200);
    }
  }
  log(`  every node serves ${SHOP.slug} with its settings after ${round((Date.now() - started) / 1000, 1)} s`);
}

async function scheduleSale(session: AdminSession, variantId: string, quantity: number, limit: number, durationSeconds: number): Promise<{ saleId: string; startsAt: number }> {
  const startsAt = Date.now() + START_DELAY_MS;
  const sale = await httpJson<{ id: string }>(`${session.baseUrl}/admin/platforms/${SHOP.slug}/flash-sales`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}` },
    expectedStatus: 201,
    json: {
      name: `Bench rush ${new Date(startsAt).toISOString()}`,
      startsAt: new Date(startsAt).toISOString(),
      // Long enough that the end timer never fires during the run (the drain and the count come after the rush).
      endsAt: new Date(startsAt + (durationSeconds + 3600) * 1000).toISOString(),
      perCustomerLimit: limit,
      minAccountAgeHours: 0,
      paymentTimeoutSeconds: 3600,
      items: [{ variantId, salePrice: SHOP.salePrice, quantity }],
    },
  });
  return { saleId: sale.id, startsAt };
}

interface SaleStats {
  queueDepth: number;
  ordersCreated: number;
  gate: { counters: { attempts: number; won: number; soldOut: number } };
}

async function saleStats(session: AdminSession, saleId: string): Promise<SaleStats> {
  return httpJson<SaleStats>(`${session.baseUrl}/admin/platforms/${SHOP.slug}/flash-sales/${saleId}/stats`, { headers: { authorization: `Bearer ${session.token}` } });
}

// ---------------------------------------------------------------------------------------------------
// The shoppers: closed-loop, each on its own keep-alive connection, buyers taken in turn. One client for
// the rush on Souk and for the bare baseline (POST /purchase on bare Fastify), so that the two numbers
// pay the same client cost on the cores they share with the servers.

interface ShopperTarget {
  /** Shopper s sends to ports[s % ports.length]. */
  ports: number[];
  path: string;
  /** The processes answering, for CPU accounting (summed). */
  serverPids: number[];
}

/** Figures of one closed-loop run of the shoppers. */
interface ShopperRun {
  durationSeconds: number;
  attempts: number;
  attemptsPerSecond: number;
  answers: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  wonP50Ms: number;
  wonP99Ms: number;
  lostP50Ms: number;
  lostP99Ms: number;
  unitsWon: number;
  /** Seconds from the first attempt to the answer that won unit number `quantity`; null if it did not come. */
  soldOutAfterSeconds: number | null;
  cpu: CpuUsage;
}

/** Which buyer sends the next attempt; the rush keeps one across its runs, the bare baseline its own. */
interface BuyerTurn {
  next: number;
}

const rushTurn: BuyerTurn = { next: 0 };

async function runShoppers(
  target: ShopperTarget,
  shop: Shop,
  turn: BuyerTurn,
  variantId: string,
  quantity: number,
  shoppers: number,
  durationSeconds: number,
): Promise<ShopperRun> {
  const all = new SampleBuffer();
  const won = new SampleBuffer();
  const lost = new SampleBuffer();
  const answers: Record<string, number> = {};
  let unitsWon = 0;
  let soldOutAt: number | null = null;
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  const stopCpu = startCpuWatch(target.serverPids);
  const body = JSON.stringify({ variantId, quantity: 1 });
  const agents: http.Agent[] = [];
  let inWindow = 0;

  const shopper = async (s: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const port = target.ports[s % target.ports.length]!;
    while (performance.now() < deadline) {
      const token = shop.buyers[turn.next++ % shop.buyers.length]!;
      const t0 = performance.now();
      let key: string;
      try {
        const answer = await send(
          agent,
          port,
          'POST',
          target.path,
          { 'x-publishable-key': shop.publishableKey, authorization: `Bearer ${token}`, 'x-device-id': `bench-device-${s}`, accept: 'application/json' },
          body,
        );
        const ms = performance.now() - t0;
        const end = performance.now();
        if (end <= deadline) inWindow += 1;
        all.push(ms);
        let code = '';
        let duplicate = false;
        try {
          const parsed = JSON.parse(answer.body) as { code?: unknown; duplicate?: unknown };
          code = typeof parsed.code === 'string' ? parsed.code : '';
          duplicate = parsed.duplicate === true;
        } catch {
          /* not JSON */
        }
        key = `${answer.status}${code ? ` ${code}` : ''}${duplicate ? ' duplicate' : ''}`;
        if (answer.status === 202 && !duplicate) {
          won.push(ms);
          unitsWon += 1;
          if (unitsWon === quantity) soldOutAt = end;
        } else if (answer.status === 409) {
          lost.push(ms);
        } else if (answer.status >= 500 || answer.status === 429) {
          await sleep(5);
        }
      } catch (error) {
        key = `error: ${error instanceof Error ? error.message.slice(0, 60) : String(error)}`;
        await sleep(5);
      }
      answers[key] = (answers[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: shoppers }, (_, s) => shopper(s)));
  const cpu = stopCpu();
  for (const agent of agents) agent.destroy();
  return {
    durationSeconds,
    attempts: all.size,
    attemptsPerSecond: round(inWindow / durationSeconds, 0),
    answers,
    p50Ms: pct(all, 50),
    p99Ms: pct(all, 99),
    wonP50Ms: pct(won, 50),
    wonP99Ms: pct(won, 99),
    lostP50Ms: pct(lost, 50),
    lostP99Ms: pct(lost, 99),
    unitsWon,
    soldOutAfterSeconds: soldOutAt === null ? null : round(((soldOutAt as number) - started) / 1000, 2),
    cpu,
  };
}

/** The rush on a sale: the shoppers, spread across the nodes, from 50 ms after its start, for durationSeconds. */
async function runRush(
  nodes: SoukServer[],
  shop: Shop,
  saleId: string,
  variantId: string,
  quantity: number,
  startsAt: number,
  shoppers: number,
  durationSeconds: number,
): Promise<ShopperRun> {
  const wait = startsAt + 50 - Date.now();
  if (wait > 0) await sleep(wait);
  const target = { ports: nodes.map((n) => n.port), path: `/store/flash-sales/${saleId}/purchase`, serverPids: nodes.map((n) => n.pid) };
  return runShoppers(target, shop, rushTurn, variantId, quantity, shoppers, durationSeconds);
}

/**
 * The bare baseline with the rush's own client: the same shoppers, headers and body against bare
 * Fastify's POST /purchase (parse the JSON, answer a sold-out problem of Souk's size). It never answers
 * 202, so nothing is "won"; its own buyer turn leaves the rush's order of buyers as it was.
 */
const bareTurn: BuyerTurn = { next: 0 };

function runBareSameClient(bare: StartedServer, shop: Shop, shoppers: number, durationSeconds: number): Promise<ShopperRun> {
  return runShoppers({ ports: [bare.port], path: '/purchase', serverPids: [bare.pid] }, shop, bareTurn, shop.hotVariant, Number.POSITIVE_INFINITY, shoppers, durationSeconds);
}

async function waitForDrain(session: AdminSession, saleId: string, maxSeconds: number): Promise<boolean> {
  const until = Date.now() + maxSeconds * 1000;
  while (Date.now() < until) {
    const stats = await saleStats(session, saleId);
    if (stats.queueDepth === 0) return true;
    await sleep(250);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// The independent count.

async function verify(query: SqlQuery, platformId: string, sales: { saleId: string; quantity: number }[], limit: number): Promise<Verification> {
  const checks: SaleCheck[] = [];
  const problems: string[] = [];
  for (const { saleId, quantity } of sales) {
    const [t] = await query(
      `select coalesce(sum(quantity) filter (where status in ('pending', 'ordered')), 0)::int as units,
              count(*)::int as tickets,
              count(*) filter (where status = 'pending')::int as pending,
              count(*) filter (where status = 'failed')::int as failed,
              (select coalesce(max(u), 0)::int from (select sum(quantity) as u from flash_sale_tickets
                 where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered') group by customer_id) x) as max_per_customer
       from flash_sale_tickets where platform_id = $1 and sale_id = $2`,
      [platformId, saleId],
    );
    const [o] = await query(
      `select count(distinct o.id)::int as orders, coalesce(sum(l.quantity), 0)::int as units,
              count(*) filter (where l.unit_price <> $3)::int as wrong_price,
              (extract(epoch from min(o.created_at)) * 1000)::float8 as first_at, (extract(epoch from max(o.created_at)) * 1000)::float8 as last_at
       from orders o join order_lines l on l.platform_id = o.platform_id and l.order_id = o.id
       where o.platform_id = $1 and o.source ->> 'saleId' = $2::text`,
      [platformId, saleId, SHOP.salePrice],
    );
    const check: SaleCheck = {
      saleId,
      quantity,
      ticketedUnits: Number(t!.units),
      maxPerCustomer: Number(t!.max_per_customer),
      tickets: Number(t!.tickets),
      pendingTickets: Number(t!.pending),
      failedTickets: Number(t!.failed),
      orders: Number(o!.orders),
      orderUnits: Number(o!.units),
      wrongPrice: Number(o!.wrong_price),
      firstOrderAt: o!.first_at === null ? null : Number(o!.first_at),
      lastOrderAt: o!.last_at === null ? null : Number(o!.last_at),
    };
    checks.push(check);
    const short = saleId.slice(-8);
    if (check.ticketedUnits > quantity) problems.push(`sale …${short}: OVERSOLD, ${check.ticketedUnits} units ticketed of ${quantity}`);
    if (check.maxPerCustomer > limit) problems.push(`sale …${short}: a customer holds ${check.maxPerCustomer} units, limit ${limit}`);
    if (check.pendingTickets > 0) problems.push(`sale …${short}: ${check.pendingTickets} tickets still waiting for their order`);
    if (check.orderUnits !== check.ticketedUnits) problems.push(`sale …${short}: orders hold ${check.orderUnits} units, tickets ${check.ticketedUnits}`);
    if (check.orders !== check.tickets - check.failedTickets) problems.push(`sale …${short}: ${check.orders} orders for ${check.tickets - check.failedTickets} tickets`);
    if (check.wrongPrice > 0) problems.push(`sale …${short}: ${check.wrongPrice} order lines not at the sale price`);
  }
  const [levels] = await query('select count(*)::int as n from inventory_levels where platform_id = $1 and (reserved > on_hand or on_hand < 0 or reserved < 0)', [platformId]);
  const levelsOversold = Number(levels!.n);
  if (levelsOversold > 0) problems.push(`${levelsOversold} inventory level(s) with reserved above on hand`);
  return { sales: checks, levelsOversold, consistent: problems.length === 0, problems };
}

// ---------------------------------------------------------------------------------------------------

async function redisReachable(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(client, prefix);
  } finally {
    client.disconnect();
  }
}

async function runEngine(engine: Engine, bare: StartedServer, context: ScenarioContext, notes: string[]): Promise<EngineRun> {
  const { options, flags, cleanup, log } = context;
  const buyers = positive(flags, 'buyers');
  const quantity = positive(flags, 'quantity');
  const limit = positive(flags, 'limit');
  const drainWait = positive(flags, 'drain-wait');
  const nodeCount = engine === 'postgres' ? positive(flags, 'nodes') : 1;
  if (engine !== 'postgres' && positive(flags, 'nodes') > 1) notes.push(`${engine}: --nodes ${flags.nodes} ignored, PGlite is one process: one node`);
  const run: EngineRun = { engine, gate: 'memory', nodes: nodeCount, rushes: [] };

  const scratch = await engineDatabase(engine, context, notes, run);
  if (run.skipped) return run;
  const soukEnv: Record<string, string | undefined> = {};
  if (engine === 'postgres') {
    const redisUrl = flags['redis-url']!;
    const unreachable = redisUrl === 'none' ? 'disabled by --redis-url none' : await redisReachable(redisUrl);
    if (unreachable && nodeCount > 1) {
      // Each node's in-process gate would hand out the whole stock on its own.
      run.skipped = `--nodes ${nodeCount} needs the shared Redis stock gate, and Redis at ${redisUrl} is not used (${unreachable})`;
      notes.push(`postgres skipped: ${run.skipped}`);
      log(`postgres skipped: ${run.skipped}`);
      await scratch?.drop();
      return run;
    }
    if (unreachable) {
      notes.push(`postgres: Redis at ${redisUrl} not used (${unreachable}); the stock gate ran in process`);
      soukEnv.REDIS_URL = undefined;
    } else {
      const prefix = `souk_bench:${randomBytes(5).toString('hex')}:`;
      soukEnv.REDIS_URL = redisUrl;
      soukEnv.SOUK_REDIS_PREFIX = prefix;
      run.gate = 'redis';
      cleanup.add(`delete Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
      log(`${engine}: Redis stock gate at ${redisUrl}, key prefix ${prefix}`);
    }
  } else {
    // The embedded engine is one process: the in-process gate, whatever the shell's REDIS_URL says.
    soukEnv.REDIS_URL = undefined;
  }

  // One node after the other: the first migrates the database and creates the admin. Only the first has
  // the side port; the others find its customers in the shared database.
  const seedPort = await freePort();
  const nodes: SoukServer[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const remark = nodeCount === 1 ? `${run.gate} gate` : `${run.gate} gate, node ${i + 1}/${nodeCount}`;
    const started = await startBenchSouk(context, { engine, scratch, entry: 'flash-sale-server.ts', remark, env: { SEED_PORT: i === 0 ? String(seedPort) : undefined, ...soukEnv } });
    nodes.push(started.souk);
    run.readyAfterSeconds ??= started.readyAfterSeconds;
  }
  const souk = nodes[0]!;
  const label = `${engine}${nodeCount > 1 ? ` ×${nodeCount}` : ''} ${run.gate}`;

  const seedStarted = Date.now();
  const session = await adminLogin(souk.baseUrl, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const hotStock = quantity * options.rounds + 100;
  const shop = await seedShop(souk.baseUrl, seedPort, session, buyers, hotStock, log);
  run.buyers = shop.buyers.length;
  run.seedSeconds = round((Date.now() - seedStarted) / 1000, 1);
  await waitForNodesToSeeShop(nodes, session, shop, log);
  const sales: { saleId: string; quantity: number }[] = [];

  // Unmeasured warm-up on the other variant: JIT, pools, the session cache of the first buyers.
  if (options.warmupSeconds > 0) {
    const warmQuantity = Math.min(quantity, 500);
    const { saleId, startsAt } = await scheduleSale(session, shop.warmVariant, warmQuantity, limit, options.warmupSeconds);
    sales.push({ saleId, quantity: warmQuantity });
    log(`  warm-up (${options.warmupSeconds} s, ${options.connections} shoppers, ${warmQuantity} units)`);
    const warm = await runRush(nodes, shop, saleId, shop.warmVariant, warmQuantity, startsAt, options.connections, options.warmupSeconds);
    log(`  warm-up: ${warm.attemptsPerSecond} attempts/s, answers ${JSON.stringify(warm.answers)}`);
    await waitForDrain(session, saleId, drainWait);
    log(`  warm-up bare POST /purchase, same client (${options.warmupSeconds} s)`);
    await runBareSameClient(bare, shop, options.connections, options.warmupSeconds);
  }

  run.bare = newBareRounds();
  run.bareSameClient = [];
  for (let r = 1; r <= options.rounds; r++) {
    await waitForQuiet(options.quietWaitSeconds, log);
    await measureBareRound(bare, context, r, run.bare);

    await waitForQuiet(options.quietWaitSeconds, log);
    const sc = await runBareSameClient(bare, shop, options.connections, options.durationSeconds);
    run.bareSameClient.push(sc);
    const scOdd = Object.entries(sc.answers).filter(([k]) => k !== '409 sold_out');
    if (scOdd.length > 0) notes.push(`${engine} round ${r}: bare POST /purchase (same client) answered ${JSON.stringify(Object.fromEntries(scOdd))}`);
    log(
      `  round ${r}/${options.rounds} bare POST /purchase (same client): ${sc.attemptsPerSecond} req/s, p50 ${sc.p50Ms} ms, p99 ${sc.p99Ms} ms, ` +
        `cpu server ${sc.cpu.serverPercent}% / loadgen ${sc.cpu.loadGeneratorPercent}%${scOdd.length > 0 ? `  !! ${JSON.stringify(Object.fromEntries(scOdd))}` : ''}`,
    );

    const backgroundBeforePercent = await waitForQuiet(options.quietWaitSeconds, log);
    const { saleId, startsAt } = await scheduleSale(session, shop.hotVariant, quantity, limit, options.durationSeconds);
    sales.push({ saleId, quantity });
    const result = await runRush(nodes, shop, saleId, shop.hotVariant, quantity, startsAt, options.connections, options.durationSeconds);
    const drainedInTime = await waitForDrain(session, saleId, drainWait);
    // Answers given before the gate reach the counters within 250 ms (flash-sales/tally.ts).
    await sleep(600);
    const soukCountedAttempts = (await saleStats(session, saleId)).gate.counters.attempts;
    const rush: Rush = { ...result, quantity, label, round: r, saleId, drainedInTime, backgroundBeforePercent, soukCountedAttempts };
    run.rushes.push(rush);
    const odd = Object.entries(rush.answers).filter(([k]) => !k.startsWith('202') && !k.startsWith('409'));
    log(
      `  round ${r}/${options.rounds} rush × ${options.connections}${nodeCount > 1 ? ` on ${nodeCount} nodes` : ''}: ${rush.attemptsPerSecond} attempts/s, p50 ${rush.p50Ms} / p99 ${rush.p99Ms} ms, ` +
        `won ${rush.unitsWon}/${quantity}${rush.soldOutAfterSeconds === null ? ' (not sold out)' : `, sold out after ${rush.soldOutAfterSeconds} s`}, ` +
        `cpu server ${rush.cpu.serverPercent}% / loadgen ${rush.cpu.loadGeneratorPercent}% / other ${rush.cpu.otherPercent}%` +
        `${drainedInTime ? '' : `, drain NOT finished within ${drainWait} s`}${odd.length > 0 ? `  !! ${JSON.stringify(Object.fromEntries(odd))}` : ''}`,
    );
  }

  // The independent count, after the drain.
  await sleep(300);
  const allNodes = {
    dataDir: souk.dataDir,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  run.verification = await countInSql(allNodes, scratch, (query) => verify(query, shop.platformId, sales, limit));
  for (const rush of run.rushes) {
    const check = run.verification.sales.find((s) => s.saleId === rush.saleId);
    if (check?.firstOrderAt != null && check.lastOrderAt != null && check.orders > 1) {
      rush.drainSeconds = round((check.lastOrderAt - check.firstOrderAt) / 1000, 2);
      rush.ordersPerSecond = rush.drainSeconds > 0 ? round((check.orders - 1) / rush.drainSeconds, 0) : undefined;
    }
  }
  const v = run.verification;
  log(`${engine}: check: ${v.consistent ? 'consistent' : 'FAILED'}${v.problems.length > 0 ? ` — ${v.problems.join('; ')}` : ''}`);
  if (!v.consistent) notes.push(`${engine}: the database check FAILED: ${v.problems.join('; ')}`);
  return run;
}

function buildTables(runs: EngineRun[], shoppers: number): Table[] {
  const measured = runs.filter((r) => !r.skipped);
  const bareTable: Table = {
    title: 'Bare Fastify in the same run, medians of rounds',
    columns: ['engine', 'client', 'request', 'req/s', 'p50 ms', 'p99 ms', 'CPU server', 'CPU loadgen'],
    rows: [],
    notes: [
      'autocannon: GET / {"hello":"world"}, the HTTP ceiling. same client: POST /purchase (JSON body in, 409 sold-out problem of Souk\'s size out) with the rush\'s own shoppers, headers and body.',
      'Both with the same --connections and --duration, each round right before its rush. The shoppers cost more CPU per request than autocannon, on the cores the servers use.',
    ],
  };
  const main: Table = {
    title: `Flash-sale rush on one hot variant, ${shoppers} closed-loop shoppers, medians of rounds`,
    columns: ['engine', 'gate', 'nodes', 'attempts/s', 'vs bare (autocannon)', 'vs bare (same client)', 'p50 ms', 'p99 ms', 'won p50 / p99 ms', 'lost p50 / p99 ms', 'sold out after s', 'orders/s drained', 'CPU server', 'CPU loadgen', 'CPU other'],
    rows: [],
    notes: [
      'attempts/s: purchase answers (202 won, 409 sold_out / limit_reached, anything else) within the measured window ÷ its length.',
      'vs bare: attempts/s ÷ bare req/s of the same engine run: autocannon on GET /, or the same shopper client on POST /purchase (like for like).',
      'sold out after: from the sale start to the answer that won the last unit. orders/s drained: orders of the sale ÷ time from its first to its last order (capped by SOUK_FLASH_DRAIN_PER_SECOND per node).',
      'nodes: Souk servers on the one database and Redis gate, shopper s on node s mod nodes; CPU server is all of them together.',
    ],
  };
  const answersTable: Table = {
    title: 'Answers per round',
    columns: ['engine', 'gate', 'nodes', 'round', 'attempts', 'Souk counted', 'units won', 'answers'],
    rows: [],
    notes: ['Souk counted: the sale\'s attempts counter in the admin stats (gate answers plus answers given before the gate), to compare with the shoppers\' 202 and 409 answers.'],
  };
  const checks: Table = {
    title: 'Independent count (SQL, after the drain)',
    columns: ['engine', 'nodes', 'sale', 'quantity', 'ticketed units', 'max per customer', 'tickets', 'orders', 'order units', 'pending', 'failed', 'wrong price', 'oversold'],
    rows: [],
  };
  for (const run of measured) {
    const bareRps = median(run.bare?.requestsPerSecond ?? []);
    bareTable.rows.push([run.engine, 'autocannon', 'GET /', ...bareCells(run.bare)]);
    const sameClient = run.bareSameClient ?? [];
    const sameClientRps = median(sameClient.map((b) => b.attemptsPerSecond));
    bareTable.rows.push([
      run.engine,
      'same client',
      'POST /purchase',
      round(sameClientRps, 0),
      round(median(sameClient.map((b) => b.p50Ms)), 2),
      round(median(sameClient.map((b) => b.p99Ms)), 2),
      ...cpuCells(sameClient.map((b) => b.cpu)),
    ]);
    const rushes = run.rushes;
    if (rushes.length > 0) {
      const med = (pick: (r: Rush) => number | null | undefined) => {
        const values = rushes.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return values.length === 0 ? null : round(median(values), 2);
      };
      const attempts = med((r) => r.attemptsPerSecond);
      main.rows.push([
        run.engine,
        run.gate,
        run.nodes,
        attempts === null ? null : round(attempts, 0),
        attempts === null || !bareRps ? null : `${round((attempts / bareRps) * 100, 1)}%`,
        attempts === null || !sameClientRps ? null : `${round((attempts / sameClientRps) * 100, 1)}%`,
        med((r) => r.p50Ms),
        med((r) => r.p99Ms),
        `${med((r) => r.wonP50Ms) ?? '–'} / ${med((r) => r.wonP99Ms) ?? '–'}`,
        `${med((r) => r.lostP50Ms) ?? '–'} / ${med((r) => r.lostP99Ms) ?? '–'}`,
        med((r) => r.soldOutAfterSeconds) ?? 'not sold out',
        med((r) => r.ordersPerSecond),
        `${round(median(rushes.map((r) => r.cpu.serverPercent)), 0)}%`,
        `${round(median(rushes.map((r) => r.cpu.loadGeneratorPercent)), 0)}%`,
        `${round(median(rushes.map((r) => r.cpu.otherPercent)), 0)}%`,
      ]);
    }
    for (const r of rushes) answersTable.rows.push([run.engine, run.gate, run.nodes, r.round, r.attempts, r.soukCountedAttempts, `${r.unitsWon} / ${r.quantity}`, JSON.stringify(r.answers)]);
    for (const c of run.verification?.sales ?? []) {
      checks.rows.push([
        run.engine,
        run.nodes,
        `…${c.saleId.slice(-8)}`,
        c.quantity,
        c.ticketedUnits,
        c.maxPerCustomer,
        c.tickets,
        c.orders,
        c.orderUnits,
        c.pendingTickets,
        c.failedTickets,
        c.wrongPrice,
        c.ticketedUnits > c.quantity ? `YES (${c.ticketedUnits - c.quantity})` : 'no',
      ]);
    }
  }
  return [bareTable, main, answersTable, checks];
}

export const flashSaleScenario: Scenario = {
  name: 'flash-sale',
  description: 'A rush of logged-in customers on one hot flash-sale variant over HTTP: attempts/s, p50/p99, time to sell out, orders/s drained, zero oversell by SQL, vs bare Fastify (autocannon and the same client).',
  flags: {
    buyers: { description: 'customer accounts with sessions; attempts take them in turn', default: '20000' },
    quantity: { description: 'units of the hot variant per sale (one sale per round)', default: '5000' },
    limit: { description: 'units one customer may hold in a sale', default: '2' },
    'redis-url': { description: 'Redis for the postgres engine’s stock gate ("none": in process)', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'drain-wait': { description: 'seconds to wait after a rush for its tickets to become orders', default: '120' },
    nodes: { description: 'Souk servers on one database and Redis gate, shoppers spread across them (postgres only)', default: '1' },
  },
  async run(context): Promise<ScenarioReport> {
    const { cleanup, log } = context;
    const notes: string[] = [
      `The load generator (shoppers and autocannon, in the harness process) runs on the same ${context.machine.cores} cores as Souk, PostgreSQL and Redis.`,
      'Each rush runs --duration s from the sale start; shoppers send no attempt after it. A shopper answered 429 or 5xx pauses 5 ms.',
    ];
    const bare = await startBareServer(cleanup);
    log(`bare fastify pid ${bare.pid} on ${bare.baseUrl}`);
    const runs: EngineRun[] = [];
    for (const engine of context.options.engines) runs.push(await runEngine(engine, bare, context, notes));
    await bare.stop();
    return { tables: buildTables(runs, context.options.connections), notes, data: { engines: runs } };
  },
};
