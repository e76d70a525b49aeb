// Flash sale across two real API nodes: two child processes (test/fixtures/souk-node.ts), each a
// Souk HTTP server with its event worker and drain, on one PostgreSQL database, sharing the stock gate in
// Redis (a random key prefix per test, deleted afterwards) and, when NATS_URL is set, their events through
// JetStream (a stream and subject prefix per test).
//
// 1. 5,000 customers fire 10,000 purchase attempts (200 in flight, alternating between the nodes) at a sale
//    of 1,000 units (600 + 400 of two variants) with a limit of 2 per customer: exactly 1,000 units are
//    won, nobody holds more than 2, every acknowledged ticket exists, and after the drain there is one
//    pending_payment order per ticket at the sale price, the sale's carve-out is empty and the gate says 0.
// 2. The same rush, but one node is SIGKILLed in the middle of it and Redis crashes and restarts empty
//    (a redis-server of this test's own, SIGKILLed and started again: other suites share the machine's
//    Redis; without the binary the test prefix's keys are deleted instead). Reconciliation on the surviving
//    node rebuilds the gate from the tickets; the rush finishes there. Then, in SQL: units in active
//    tickets + units left in the gate = the sale quantity, orders = ticketed units, nothing oversold, and
//    the independent checker (scripts/check-commerce.ts) finds the shop consistent.
// 3. The same rush, one node SIGKILLed in the middle of it, and no operator: the survivor sees the dead
//    node's heartbeat lapse and returns the units it had taken without a ticket, so within a few heartbeat
//    timeouts ticketed units + units on sale in the gate = the sale quantity. The rush then finishes on the
//    survivor, the attempts the dead node never answered are retried there, and a customer who holds a
//    ticket gets that ticket back (never sold_out); every ticket named in a 202 exists.
//
// A customer who already holds units and finds the item sold out is answered 202 with that ticket
// (duplicate: true): '202 duplicate' is an expected answer in every scenario.
//
// PostgreSQL and Redis only (two processes share the database and the gate); skipped on a PGlite-only run,
// a failure when SOUK_REQUIRE_SERVICES=1 and a service is missing. No timing is asserted.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSoukNode, type SoukNode } from './souk-node-process.ts';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createTempPostgres, engines, loginAsNewOwner, testConfig, type TestEnv } from './harness.ts';
import { createShop, stockedVariants, type Shop } from './commerce.ts';
import { findBinary, PrivateServer } from './private-server.ts';
import { waitFor } from './wait.ts';
import { prng } from './prng.ts';
import { createSouk } from '../src/server.ts';
import { deleteKeysWithPrefix } from '../src/kernel/redis.ts';
import type { Config } from '../src/kernel/config.ts';
import { newId, sha256 } from '../src/kernel/ids.ts';
import { registerCustomer } from '../src/modules/accounts/index.ts';
import { checkCommerce, formatReport } from '../scripts/check-commerce.ts';

const onPostgres = engines().includes('postgres');
const redisUrl = process.env.REDIS_URL || undefined;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the two-node flash-sale suite cannot run.');
}
const natsUrl = process.env.NATS_URL || undefined;
const transport: Config['eventsTransport'] = natsUrl ? 'jetstream' : 'embedded';
const skip = !onPostgres ? 'needs PostgreSQL (DATABASE_URL)' : !redisUrl ? 'needs Redis (REDIS_URL)' : false;

const CUSTOMERS = 5_000;
const ATTEMPTS = 10_000;
const IN_FLIGHT = 200;
const SPLIT = [600, 400];
const QUANTITY = SPLIT[0]! + SPLIT[1]!;
const LIMIT = 2;
const SALE_PRICE = 990;
const LIST_PRICE = 2000;
const STOCK = 1500;
/** Short heartbeats so scenario 3 finds the dead node in a few seconds. */
const NODE_TIMEOUT_MS = 2000;

// ---- the nodes ------------------------------------------------------------------------------------------

type Node = SoukNode;
const startNode = startSoukNode;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

// Keep-alive sockets shared by the rush: node:http costs the load generator far less CPU than fetch, and on
// this 2-core machine the load generator competes with both nodes, PostgreSQL and Redis.
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

/** One HTTP call; throws when no answer came (connection refused or reset: the node died). */
function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}${path}`,
      { method, agent, headers: payload ? { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) } : headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { text };
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.setTimeout(60_000, () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}

// ---- the stage: database, Redis prefix, NATS stream, shop, customers, two nodes -----------------------

interface Customer {
  id: string;
  token: string;
}

interface Stage {
  url: string;
  prefix: string;
  redis: Redis;
  sql: pg.Pool;
  shop: Shop;
  platformId: string;
  variants: [string, string];
  customers: Customer[];
  nodes: Node[];
  dispose(): Promise<void>;
}

async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** Customers straight into the tables: one registered through the accounts service (a real argon2 hash),
 *  the others sharing that hash, each with a session token (hashing 5,000 passwords would take minutes). */
async function seedCustomers(souk: Awaited<ReturnType<typeof createSouk>>, platformId: string, count: number): Promise<Customer[]> {
  const pdb = souk.ctx.platformDb(platformId);
  const first = await registerCustomer(pdb, { email: 'buyer0@rush.test', password: 'rush-password' }, 24 * 3600);
  const hash = (await pdb.maybeOne<{ password_hash: string }>('select password_hash from customers where platform_id = $1 and id = $2', [first.customer.id]))!.password_hash;
  const ids = Array.from({ length: count - 1 }, () => newId());
  const tokens = ids.map(() => `sc_${randomBytes(18).toString('hex')}`);
  for (let from = 0; from < ids.length; from += 1000) {
    const chunk = ids.slice(from, from + 1000);
    await pdb.execute(
      `insert into customers (platform_id, id, email, password_hash) select $1, t.id, 'buyer' || ($3::int + t.n) || '@rush.test', $4
       from unnest($2::uuid[]) with ordinality as t(id, n)`,
      [chunk, from, hash],
    );
    await pdb.execute(
      `insert into customer_sessions (platform_id, id, customer_id, token_hash, expires_at)
       select $1, t.sid, t.cid, t.th, now() + interval '1 day' from unnest($2::uuid[], $3::uuid[], $4::text[]) as t(sid, cid, th)`,
      [chunk.map(() => newId()), chunk, tokens.slice(from, from + 1000).map(sha256)],
    );
  }
  return [{ id: first.customer.id, token: first.token }, ...ids.map((id, i) => ({ id, token: tokens[i]! }))];
}

async function stage(slug: string, options: { redisUrl?: string } = {}): Promise<Stage> {
  const stageRedisUrl = options.redisUrl ?? redisUrl!;
  const temp = await createTempPostgres();
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const prefix = `souk_t:fsn:${run}:`;
  const nats = { natsUrl, natsStream: `SOUK_T_FSN_${run}`.toUpperCase(), natsSubjectPrefix: `souk_t.fsn.${run}`, natsAckWaitMs: 3000 };
  const redis = new Redis(stageRedisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  // The kill test crashes this Redis on purpose; the client reconnects by itself.
  redis.on('error', () => undefined);
  const sql = new pg.Pool({ connectionString: temp.url, max: 4 });
  const nodes: Node[] = [];
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    for (const node of nodes) await node.stop().catch(() => undefined);
    await sql.end().catch(() => undefined);
    await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    if (transport === 'jetstream') await deleteStream(nats.natsStream).catch(() => undefined);
    await temp.drop();
  };
  try {
    // Seeding through the admin API of a Souk in this process (no worker: the nodes do the work).
    const souk = await createSouk({
      logger: false,
      config: { ...testConfig, seedDemo: false, databaseUrl: temp.url, eventsWorker: false, eventsTransport: transport, ...(transport === 'jetstream' ? nats : {}), redisUrl: stageRedisUrl, redisKeyPrefix: prefix },
    });
    let shop: Shop;
    let variants: string[];
    let customers: Customer[];
    try {
      const env: TestEnv = { engine: 'postgres', souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
      // Every attempt comes from 127.0.0.1; the double-click window is off so a second click tests the limit.
      const settings = { 'flash-sales': { purchasesPerIpPerMinute: 10_000_000, purchasesPerDevicePerMinute: 1_000_000, doubleClickMs: 0 } };
      shop = await createShop(env, slug, settings);
      variants = await stockedVariants(shop, 2, STOCK, LIST_PRICE);
      customers = await seedCustomers(souk, shop.platform.platform.id, CUSTOMERS);
    } finally {
      await souk.close();
    }
    const nodeEnv: Record<string, string> = {
      DATABASE_URL: temp.url,
      REDIS_URL: stageRedisUrl,
      SOUK_REDIS_PREFIX: prefix,
      SOUK_EVENTS_TRANSPORT: transport,
      SOUK_DB_POOL_SIZE: '8',
      SOUK_FLASH_DRAIN_PER_SECOND: '400',
      SOUK_FLASH_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
      ...(transport === 'jetstream'
        ? { NATS_URL: natsUrl!, SOUK_NATS_STREAM: nats.natsStream, SOUK_NATS_SUBJECT_PREFIX: nats.natsSubjectPrefix, SOUK_NATS_ACK_WAIT_MS: String(nats.natsAckWaitMs) }
        : {}),
    };
    note('seeded');
    nodes.push(...(await Promise.all([startNode('A', nodeEnv), startNode('B', nodeEnv)])));
    note('nodes up');
    return { url: temp.url, prefix, redis, sql, shop, platformId: shop.platform.platform.id, variants: [variants[0]!, variants[1]!], customers, nodes, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

// ---- the sale and the rush ------------------------------------------------------------------------------

async function scheduleSale(s: Stage, node: Node, startsInMs: number): Promise<{ saleId: string; startsAt: number }> {
  const startsAt = Date.now() + startsInMs;
  const res = await call(node.base, 'POST', `/admin/platforms/${s.shop.slug}/flash-sales`, { authorization: `Bearer ${s.shop.platform.adminToken}` }, {
    name: 'Rush',
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(startsAt + 30 * 60_000).toISOString(),
    perCustomerLimit: LIMIT,
    minAccountAgeHours: 0,
    paymentTimeoutSeconds: 3600,
    items: [
      { variantId: s.variants[0], salePrice: SALE_PRICE, quantity: SPLIT[0] },
      { variantId: s.variants[1], salePrice: SALE_PRICE, quantity: SPLIT[1] },
    ],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { saleId: res.body.id as string, startsAt };
}

interface Attempt {
  n: number;
  customer: number;
  variantId: string;
  quantity: number;
  /** Node index the attempt goes to first. */
  node: number;
  status?: number;
  code?: string;
  ticketId?: string;
  duplicate?: boolean;
  /** No answer (the node died under it). */
  error?: string;
  tries: number;
}

/** Two attempts per customer, shuffled: 3 of 5 customers want variant 0; one in 7 asks for 2 units first. */
function plan(s: Stage, seed: number): Attempt[] {
  const attempts: Attempt[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const variantId = c % 5 < 3 ? s.variants[0] : s.variants[1];
    attempts.push({ n: 0, customer: c, variantId, quantity: c % 7 === 0 ? 2 : 1, node: 0, tries: 0 });
    attempts.push({ n: 0, customer: c, variantId, quantity: 1, node: 0, tries: 0 });
  }
  const rand = prng(seed);
  for (let i = attempts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [attempts[i], attempts[j]] = [attempts[j]!, attempts[i]!];
  }
  attempts.forEach((a, i) => {
    a.n = i;
    a.node = i % 2;
  });
  assert.equal(attempts.length, ATTEMPTS);
  return attempts;
}

/** Progress lines on stderr when FLASH_NODES_DEBUG=1 (where a slow run spends its time). */
const started = Date.now();
const note = (line: string) => {
  if (process.env.FLASH_NODES_DEBUG === '1') console.error(`[+${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One purchase as a shopper's client does it: 503 try_again and 429 are retried after a short pause. */
async function attemptOnce(s: Stage, saleId: string, a: Attempt, base: string): Promise<void> {
  const c = s.customers[a.customer]!;
  const headers = { 'x-publishable-key': s.shop.platform.publishableKey, authorization: `Bearer ${c.token}`, 'x-device-id': `dev-${a.customer}` };
  for (;;) {
    a.tries += 1;
    let res: Answer;
    try {
      res = await call(base, 'POST', `/store/flash-sales/${saleId}/purchase`, headers, { variantId: a.variantId, quantity: a.quantity });
    } catch (error) {
      a.error = String(error);
      return;
    }
    a.error = undefined;
    a.status = res.status;
    a.code = typeof res.body.code === 'string' ? res.body.code : undefined;
    if ((res.status === 503 || res.status === 429) && a.tries < 20) {
      await sleep(50 + 20 * a.tries);
      continue;
    }
    if (res.status === 202) {
      a.ticketId = res.body.ticketId as string;
      a.duplicate = res.body.duplicate === true;
    }
    return;
  }
}

/** Runs `attempts` through `run`, IN_FLIGHT at once; takes no new one once `stop()` says so. */
async function rush(attempts: Attempt[], run: (a: Attempt) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (!stop() && next < attempts.length) {
      await run(attempts[next++]!);
      done += 1;
      if (done % 1000 === 0) note(`${done} attempts answered`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}


/** Both nodes take attempts until about 40% of the units are won, then `victim` dies with requests in flight. */
async function rushUntilKilled(s: Stage, saleId: string, attempts: Attempt[], victim: Node): Promise<void> {
  let won = 0;
  let killing: Promise<void> | undefined;
  await rush(
    attempts,
    async (x) => {
      await attemptOnce(s, saleId, x, s.nodes[x.node]!.base);
      if (x.status === 202 && !x.duplicate) won += x.quantity;
      if (!killing && won >= 400) killing = victim.kill();
    },
    () => killing !== undefined,
  );
  await killing;
}

// ---- what the database says -----------------------------------------------------------------------------

async function one<T>(s: Stage, text: string, params: unknown[] = []): Promise<T> {
  return (await s.sql.query(text, params)).rows[0] as T;
}

interface Truth {
  tickets: Record<string, number>;
  activeUnits: number;
  activeTickets: number;
  maxPerCustomer: number;
  perVariant: Record<string, number>;
  orders: number;
  orderUnits: number;
  wrongPrice: number;
  ticketsWithoutOrder: number;
  carveOutUnits: number;
  itemQuantity: number;
}

async function truth(s: Stage, saleId: string): Promise<Truth> {
  const p = s.platformId;
  const byStatus = await s.sql.query<{ status: string; n: number }>('select status, count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 group by status', [p, saleId]);
  const active = await one<{ units: number; n: number }>(s,
    `select coalesce(sum(quantity), 0)::int as units, count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered')`,
    [p, saleId],
  );
  const perCustomer = await one<{ m: number }>(s,
    `select coalesce(max(u), 0)::int as m from (select sum(quantity) as u from flash_sale_tickets
     where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered') group by customer_id) x`,
    [p, saleId],
  );
  const perVariant = await s.sql.query<{ variant_id: string; units: number }>(
    `select variant_id, sum(quantity)::int as units from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered') group by variant_id`,
    [p, saleId],
  );
  const orders = await one<{ n: number; units: number; wrong: number }>(s,
    `select count(distinct o.id)::int as n, coalesce(sum(l.quantity), 0)::int as units, count(*) filter (where l.unit_price <> $3)::int as wrong
     from orders o join order_lines l on l.platform_id = o.platform_id and l.order_id = o.id
     where o.platform_id = $1 and o.source ->> 'saleId' = $2::text`,
    [p, saleId, SALE_PRICE],
  );
  // An ordered ticket whose order is not the one made for it (by the order's own source).
  const orphaned = await one<{ n: number }>(s,
    `select count(*)::int as n from flash_sale_tickets t left join orders o on o.platform_id = t.platform_id and o.id = t.order_id and o.source ->> 'ticketId' = t.id::text
     where t.platform_id = $1 and t.sale_id = $2 and t.status = 'ordered' and o.id is null`,
    [p, saleId],
  );
  const carveOut = await one<{ units: number }>(s,
    `select coalesce(sum(l.quantity), 0)::int as units from flash_sales s
     join inventory_reservation_lines l on l.platform_id = s.platform_id and l.reservation_id = s.reservation_id
     where s.platform_id = $1 and s.id = $2`,
    [p, saleId],
  );
  const items = await one<{ q: number }>(s,'select coalesce(sum(quantity), 0)::int as q from flash_sale_items where platform_id = $1 and sale_id = $2', [p, saleId]);
  return {
    tickets: Object.fromEntries(byStatus.rows.map((r) => [r.status, r.n])),
    activeUnits: active.units,
    activeTickets: active.n,
    maxPerCustomer: perCustomer.m,
    perVariant: Object.fromEntries(perVariant.rows.map((r) => [r.variant_id, r.units])),
    orders: orders.n,
    orderUnits: orders.units,
    wrongPrice: orders.wrong,
    ticketsWithoutOrder: orphaned.n,
    carveOutUnits: carveOut.units,
    itemQuantity: items.q,
  };
}

async function drained(s: Stage, saleId: string): Promise<void> {
  await waitFor(
    'every ticket to become an order',
    async () => (await one<{ n: number }>(s,`select count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status = 'pending'`, [s.platformId, saleId])).n === 0,
    120_000,
    200,
  );
}

async function gateRemaining(s: Stage, node: Node, saleId: string): Promise<{ loaded: boolean; remaining: Record<string, number>; epoch: number | null }> {
  const res = await call(node.base, 'GET', `/admin/platforms/${s.shop.slug}/flash-sales/${saleId}/stats`, { authorization: `Bearer ${s.shop.platform.adminToken}` });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const gate = res.body.gate as { loaded: boolean; state: { epoch: number; remaining: Record<string, number> } | null };
  return { loaded: gate.loaded, remaining: gate.state?.remaining ?? {}, epoch: gate.state?.epoch ?? null };
}

const sumOf = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

function tally(attempts: Attempt[]): { answers: Record<string, number>; wonUnits: number; perCustomer: Map<number, number>; tickets: Set<string> } {
  const answers: Record<string, number> = {};
  const perCustomer = new Map<number, number>();
  const tickets = new Set<string>();
  let wonUnits = 0;
  for (const a of attempts) {
    const key = a.error !== undefined ? 'no answer' : a.status === undefined ? 'not sent' : `${a.status}${a.code ? ` ${a.code}` : ''}${a.duplicate ? ' duplicate' : ''}`;
    answers[key] = (answers[key] ?? 0) + 1;
    if (a.status === 202 && !a.duplicate && a.error === undefined) {
      wonUnits += a.quantity;
      perCustomer.set(a.customer, (perCustomer.get(a.customer) ?? 0) + a.quantity);
      tickets.add(a.ticketId!);
    }
  }
  return { answers, wonUnits, perCustomer, tickets };
}

async function ticketIds(s: Stage, saleId: string): Promise<Set<string>> {
  const rows = await s.sql.query<{ id: string }>(`select id from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered')`, [s.platformId, saleId]);
  return new Set(rows.rows.map((r) => r.id));
}

/** Every ticket named in a 202 (won or duplicate) exists and is the asking customer's. */
async function assertEvery202Resolves(s: Stage, saleId: string, attempts: Attempt[]): Promise<void> {
  const rows = await s.sql.query<{ id: string; customer_id: string }>('select id, customer_id from flash_sale_tickets where platform_id = $1 and sale_id = $2', [s.platformId, saleId]);
  const owner = new Map(rows.rows.map((r) => [r.id, r.customer_id]));
  const answered = attempts.filter((x) => x.status === 202 && x.error === undefined);
  const dangling = answered.filter((x) => owner.get(x.ticketId!) !== s.customers[x.customer]!.id);
  assert.deepEqual(dangling.map((x) => ({ n: x.n, ticketId: x.ticketId, duplicate: x.duplicate })), [], 'a 202 named a ticket that does not exist or is not the customer’s');
}

async function waitForStart(startsAt: number): Promise<void> {
  // Same machine, same clock: a little past the start so no node still sees the sale as upcoming.
  const wait = startsAt - Date.now() + 300;
  if (wait > 0) await sleep(wait);
}

// ---- the tests ------------------------------------------------------------------------------------------

describe(`flash sale on two API nodes [postgres, redis, ${transport} events]`, { skip, concurrency: false }, () => {
  const stages: Stage[] = [];
  let privateRedis: PrivateServer | undefined;
  after(async () => {
    for (const s of stages) await s.dispose();
    await privateRedis?.destroy();
    agent.destroy();
  });

  it('10,000 concurrent attempts from 5,000 customers on two nodes sell exactly 1,000 units, each as one order at the sale price', { timeout: 300_000 }, async () => {
    const s = await stage('rush-two');
    stages.push(s);
    const [a, b] = s.nodes as [Node, Node];
    const { saleId, startsAt } = await scheduleSale(s, a, 3000);
    const attempts = plan(s, 20261130);
    note('stage ready, sale scheduled');
    await waitForStart(startsAt);
    await rush(attempts, (at) => attemptOnce(s, saleId, at, s.nodes[at.node]!.base));
    note(`rush done: ${JSON.stringify(tally(attempts).answers)}`);

    const { answers, wonUnits, perCustomer, tickets } = tally(attempts);
    const allowed = new Set(['202', '202 duplicate', '409 sold_out', '409 limit_reached']);
    for (const key of Object.keys(answers)) assert.ok(allowed.has(key), `unexpected answers ${JSON.stringify(answers)}\nA: ${a.output().slice(-3000)}\nB: ${b.output().slice(-3000)}`);
    assert.equal(wonUnits, QUANTITY, `units won over HTTP: ${JSON.stringify(answers)}`);
    assert.ok(Math.max(...perCustomer.values()) <= LIMIT, 'a customer won more than the limit');
    assert.ok(attempts.some((x) => x.node === 0 && x.status === 202) && attempts.some((x) => x.node === 1 && x.status === 202), 'both nodes sold');

    // Every acknowledged ticket exists, and no ticket exists that nobody was told about.
    assert.deepEqual([...(await ticketIds(s, saleId))].sort(), [...tickets].sort());
    await assertEvery202Resolves(s, saleId, attempts);
    let t = await truth(s, saleId);
    assert.equal(t.activeUnits, QUANTITY);
    assert.ok(t.maxPerCustomer <= LIMIT);
    assert.deepEqual(t.perVariant, { [s.variants[0]]: SPLIT[0], [s.variants[1]]: SPLIT[1] });

    note('tickets checked');
    await drained(s, saleId);
    note('drained');
    t = await truth(s, saleId);
    assert.deepEqual(t.tickets, { ordered: tickets.size }, JSON.stringify(t));
    assert.equal(t.orders, tickets.size, 'one order per ticket');
    assert.equal(t.orderUnits, QUANTITY, 'orders hold the units sold');
    assert.equal(t.wrongPrice, 0, 'every line at the sale price');
    assert.equal(t.ticketsWithoutOrder, 0);
    assert.equal(t.carveOutUnits, 0, 'the carve-out is empty: every unit moved into an order');
    const gate = await gateRemaining(s, b, saleId);
    assert.equal(gate.loaded, true);
    assert.deepEqual(gate.remaining, { [s.variants[0]]: 0, [s.variants[1]]: 0 });
    const statuses = await s.sql.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from orders where platform_id = $1 and source ->> 'saleId' = $2 group by status`,
      [s.platformId, saleId],
    );
    assert.deepEqual(statuses.rows, [{ status: 'pending_payment', n: tickets.size }]);

    // A buyer polls their ticket on either node and finds the order.
    const sample = attempts.filter((x) => x.status === 202).slice(0, 10);
    for (const [i, x] of sample.entries()) {
      const res = await call(s.nodes[i % 2]!.base, 'GET', `/store/flash-sales/tickets/${x.ticketId}`, {
        'x-publishable-key': s.shop.platform.publishableKey,
        authorization: `Bearer ${s.customers[x.customer]!.token}`,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'ordered');
      assert.equal(typeof res.body.orderId, 'string');
    }

    const report = await checkCommerce(s.url, { platform: s.shop.slug });
    assert.equal(report.ok, true, formatReport(report));
    await s.dispose();
  });

  it('a node SIGKILLed mid-rush and a Redis restart: reconciliation rebuilds the gate, nothing is oversold or lost', { timeout: 300_000 }, async () => {
    // This test's own redis-server (no persistence), so it can really crash and come back empty without
    // disturbing the suites that share the machine's Redis. Without the binary, the test prefix's keys
    // are deleted instead, which is what a restart leaves behind.
    const redisBinary = findBinary('redis-server');
    if (redisBinary) privateRedis = await PrivateServer.start(redisBinary, (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    else if (process.env.SOUK_REQUIRE_SERVICES === '1') assert.fail('redis-server is not installed: cannot restart Redis in this test');
    const s = await stage('rush-kill', privateRedis ? { redisUrl: `redis://127.0.0.1:${privateRedis.port}` } : {});
    stages.push(s);
    const [a, b] = s.nodes as [Node, Node];
    const { saleId, startsAt } = await scheduleSale(s, b, 3000);
    const attempts = plan(s, 777);
    await waitForStart(startsAt);

    await rushUntilKilled(s, saleId, attempts, a);
    const beforeRestart = tally(attempts);
    note(`node A killed: ${JSON.stringify(beforeRestart.answers)}`);
    assert.ok(beforeRestart.wonUnits >= 400 && beforeRestart.wonUnits <= QUANTITY);

    // Redis crashes and comes back empty: the gate, its counters and the rate limits are gone.
    assert.equal((await gateRemaining(s, b, saleId)).loaded, true);
    if (privateRedis) {
      await privateRedis.restart({ signal: 'SIGKILL', pauseMs: 500 });
      await waitFor('the test client back on Redis', async () => (await s.redis.ping().catch(() => '')) === 'PONG', 15_000, 100);
      // The survivor may already have written again (its rate-limit counts); the gate must be gone.
      assert.equal(await s.redis.exists(`${s.prefix}fs:{${saleId}}:epoch`), 0, 'the gate came back empty');
    } else {
      assert.ok((await deleteKeysWithPrefix(s.redis, s.prefix)) > 0, 'the gate had keys to lose');
    }

    // The survivor reconnects by itself; until it has, the reconciliation answers 5xx, so ask until it works.
    const res = (await waitFor('the reconciliation on the survivor', async () => {
      const answer = await call(b.base, 'POST', `/admin/platforms/${s.shop.slug}/flash-sales/${saleId}/reconcile`, { authorization: `Bearer ${s.shop.platform.adminToken}` });
      return answer.status < 500 ? answer : undefined;
    }, 30_000, 250))!;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.repaired, true, JSON.stringify(res.body));
    assert.equal(res.body.before, null);
    note(`reconciled: ${JSON.stringify({ ...res.body, before: undefined })}`);
    const rebuilt = res.body.after as { remaining: Record<string, number>; epoch: number };
    assert.equal(sumOf(rebuilt.remaining) + (res.body.activeUnits as number), QUANTITY, `rebuilt gate + active tickets = sale quantity: ${JSON.stringify(res.body)}`);

    // The rush finishes on the survivor: what is left, and what got no answer from the dead node.
    const again = attempts.filter((x) => x.error !== undefined || x.status === undefined || x.status >= 500);
    for (const x of again) {
      x.error = undefined;
      x.status = undefined;
      x.tries = 0;
    }
    await rush(again, (x) => attemptOnce(s, saleId, x, b.base));
    const { answers, perCustomer, tickets } = tally(attempts);
    const allowed = new Set(['202', '202 duplicate', '409 sold_out', '409 limit_reached']);
    for (const key of Object.keys(answers)) assert.ok(allowed.has(key), `unexpected answers from the survivor ${JSON.stringify(answers)}\nB: ${b.output().slice(-3000)}`);
    assert.ok(Math.max(...perCustomer.values()) <= LIMIT);

    note(`rush finished on B: ${JSON.stringify(answers)}`);
    await drained(s, saleId);
    const t = await truth(s, saleId);
    const gate = await gateRemaining(s, b, saleId);
    note(`drained: ${JSON.stringify({ ...t, gate })}`);
    assert.equal(gate.loaded, true);
    assert.equal(t.itemQuantity, QUANTITY);
    assert.equal(t.activeUnits + sumOf(gate.remaining), QUANTITY, `active ticket units ${t.activeUnits} + gate ${JSON.stringify(gate.remaining)} = ${QUANTITY}`);
    assert.ok(t.activeUnits <= QUANTITY, 'oversold');
    for (const [i, v] of s.variants.entries()) assert.ok((t.perVariant[v] ?? 0) <= SPLIT[i]!, `variant ${i} oversold: ${JSON.stringify(t.perVariant)}`);
    assert.ok(t.maxPerCustomer <= LIMIT, 'a customer over the limit');
    assert.equal(t.tickets.pending ?? 0, 0);
    assert.equal(t.tickets.failed ?? 0, 0, JSON.stringify(t.tickets));
    assert.equal(t.orders, t.activeTickets, 'one order per ticket');
    assert.equal(t.orderUnits, t.activeUnits, 'orders = ticketed units');
    assert.equal(t.wrongPrice, 0);
    assert.equal(t.ticketsWithoutOrder, 0);
    assert.equal(t.carveOutUnits, sumOf(gate.remaining), 'what the gate still sells is still carved out');
    // Every ticket acknowledged with 202 exists (the dead node's unanswered ones may exist too).
    const inDb = await ticketIds(s, saleId);
    for (const id of tickets) assert.ok(inDb.has(id), `acknowledged ticket ${id} is gone`);

    const report = await checkCommerce(s.url, { platform: s.shop.slug });
    assert.equal(report.ok, true, formatReport(report));
    await s.dispose();
  });
  it('a node SIGKILLed mid-rush with no operator: the survivor returns its in-flight takes, retries get their tickets, every 202 resolves', { timeout: 300_000 }, async () => {
    const s = await stage('rush-lost');
    stages.push(s);
    const [a, b] = s.nodes as [Node, Node];
    const { saleId, startsAt } = await scheduleSale(s, b, 3000);
    const attempts = plan(s, 4242);
    await waitForStart(startsAt);

    await rushUntilKilled(s, saleId, attempts, a);
    note(`node A killed: ${JSON.stringify(tally(attempts).answers)}`);

    // No reconcile call: within a few heartbeat timeouts every unit is ticketed or back on sale.
    const balance = async () => {
      const t = await truth(s, saleId);
      const gate = await gateRemaining(s, b, saleId);
      return { active: t.activeUnits, onSale: sumOf(gate.remaining), epoch: gate.epoch };
    };
    note(`right after the kill: ${JSON.stringify(await balance())}`);
    const settled = await waitFor('ticketed + on sale = the sale quantity, with no operator', async () => {
      const now = await balance();
      return now.active + now.onSale === QUANTITY ? now : undefined;
    }, 6 * NODE_TIMEOUT_MS + 10_000, 100);
    note(`balanced without an operator: ${JSON.stringify(settled)}`);

    // The rush finishes on the survivor (it sells out), then every attempt the dead node never answered
    // is retried there, as a shopper's client would.
    const unsent = attempts.filter((x) => x.status === undefined && x.error === undefined);
    await rush(unsent, (x) => attemptOnce(s, saleId, x, b.base));
    const lost = attempts.filter((x) => x.error !== undefined || (x.status !== undefined && x.status >= 500));
    const holdersBefore = new Set(
      (await s.sql.query<{ customer_id: string }>(`select distinct customer_id from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered')`, [s.platformId, saleId])).rows.map((r) => r.customer_id),
    );
    for (const x of lost) {
      x.error = undefined;
      x.status = undefined;
      x.tries = 0;
    }
    await rush(lost, (x) => attemptOnce(s, saleId, x, b.base));
    note(`retried ${lost.length} unanswered attempts on B: ${JSON.stringify(tally(lost).answers)}`);
    for (const x of lost) {
      if (!holdersBefore.has(s.customers[x.customer]!.id)) continue;
      assert.ok(x.status === 202 || x.code === 'limit_reached', `a ticket holder's retry was answered ${x.status} ${x.code ?? ''}`);
    }
    const { answers, perCustomer } = tally(attempts);
    const allowed = new Set(['202', '202 duplicate', '409 sold_out', '409 limit_reached']);
    for (const key of Object.keys(answers)) assert.ok(allowed.has(key), `unexpected answers ${JSON.stringify(answers)}\nB: ${b.output().slice(-3000)}`);
    assert.ok(Math.max(...perCustomer.values()) <= LIMIT);
    await assertEvery202Resolves(s, saleId, attempts);
    // A buyer polls a retried purchase's ticket on the survivor and finds it.
    for (const x of lost.filter((y) => y.status === 202).slice(0, 10)) {
      const res = await call(b.base, 'GET', `/store/flash-sales/tickets/${x.ticketId}`, {
        'x-publishable-key': s.shop.platform.publishableKey,
        authorization: `Bearer ${s.customers[x.customer]!.token}`,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }

    await drained(s, saleId);
    const t = await truth(s, saleId);
    const gate = await gateRemaining(s, b, saleId);
    note(`drained: ${JSON.stringify({ ...t, gate })}`);
    assert.equal(t.activeUnits + sumOf(gate.remaining), QUANTITY, `active ticket units ${t.activeUnits} + gate ${JSON.stringify(gate.remaining)} = ${QUANTITY}`);
    for (const [i, v] of s.variants.entries()) assert.ok((t.perVariant[v] ?? 0) <= SPLIT[i]!, `variant ${i} oversold: ${JSON.stringify(t.perVariant)}`);
    assert.ok(t.maxPerCustomer <= LIMIT, 'a customer over the limit');
    assert.equal(t.orders, t.activeTickets, 'one order per ticket');
    assert.equal(t.orderUnits, t.activeUnits, 'orders = ticketed units');
    assert.equal(t.ticketsWithoutOrder, 0);
    assert.equal(t.carveOutUnits, sumOf(gate.remaining), 'what the gate still sells is still carved out');
    const report = await checkCommerce(s.url, { platform: s.shop.slug });
    assert.equal(report.ok, true, formatReport(report));
    await s.dispose();
  });
});
