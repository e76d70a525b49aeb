// Flash sales end to end, on both database engines, with the in-process stock gate and (when REDIS_URL is
// set) the Redis gate: scheduling carves stock out, refusals change nothing, a rush sells exactly the sale
// quantity, tickets become orders at the sale price, unpaid orders give their units back, a gate that lost
// its state is rebuilt from the tickets, and the end of the sale returns what was not sold.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import type { LightMyRequestResponse } from 'fastify';
import { eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { createShop, expectProblem, stockedVariants, stockOf, type Shop } from '../../../test/commerce.ts';
import { waitFor } from '../../../test/wait.ts';
import type { Config } from '../../kernel/config.ts';
import { newId, sha256 } from '../../kernel/ids.ts';
import { deleteKeysWithPrefix } from '../../kernel/redis.ts';
import { flashSalesModule, type FlashSaleRiskHook } from './index.ts';

const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Short heartbeats, so a lost node is found in well under a second (read when each Souk of this file starts).
const NODE_TIMEOUT_MS = 600;
process.env.SOUK_FLASH_NODE_TIMEOUT_MS = String(NODE_TIMEOUT_MS);
let shopCounter = 0;

async function flashShop(env: TestEnv, flash: Record<string, unknown> = {}): Promise<Shop> {
  shopCounter += 1;
  const settings = { 'flash-sales': { purchasesPerIpPerMinute: 10_000_000, purchasesPerDevicePerMinute: 1_000_000, ...flash } };
  return createShop(env, `fs${shopCounter}-${randomBytes(2).toString('hex')}`, settings);
}

interface Buyer {
  id: string;
  token: string;
}

/** Customers with sessions written straight to the tables: registering 1,000 through the API would hash 1,000 passwords. */
async function buyers(shop: Shop, count: number, ageHours = 48): Promise<Buyer[]> {
  const ids = Array.from({ length: count }, () => newId());
  const tokens = ids.map(() => `sc_${randomBytes(18).toString('hex')}`);
  const pdb = shop.env.souk.ctx.platformDb(shop.platform.platform.id);
  await pdb.execute(
    `insert into customers (platform_id, id, email, password_hash, created_at)
     select $1, t.id, t.id::text || '@buyers.test', 'not-a-hash', now() - make_interval(hours => $3::int) from unnest($2::uuid[]) as t(id)`,
    [ids, ageHours],
  );
  await pdb.execute(
    `insert into customer_sessions (platform_id, id, customer_id, token_hash, expires_at)
     select $1, t.sid, t.cid, t.th, now() + interval '1 day' from unnest($2::uuid[], $3::uuid[], $4::text[]) as t(sid, cid, th)`,
    [ids.map(() => newId()), ids, tokens.map(sha256)],
  );
  return ids.map((id, i) => ({ id, token: tokens[i]! }));
}

interface SaleInput {
  startsAt?: string;
  endsAt?: string;
  perCustomerLimit?: number | null;
  minAccountAgeHours?: number;
  paymentTimeoutSeconds?: number;
  items: Array<{ variantId: string; salePrice?: number; quantity: number }>;
}

async function schedule(shop: Shop, input: SaleInput): Promise<LightMyRequestResponse> {
  return shop.admin({
    method: 'POST',
    url: `/admin/platforms/${shop.slug}/flash-sales`,
    payload: {
      name: 'Midnight sale',
      startsAt: input.startsAt ?? at(-1000),
      endsAt: input.endsAt ?? at(3_600_000),
      ...(input.perCustomerLimit === undefined ? {} : { perCustomerLimit: input.perCustomerLimit }),
      ...(input.minAccountAgeHours === undefined ? {} : { minAccountAgeHours: input.minAccountAgeHours }),
      ...(input.paymentTimeoutSeconds === undefined ? {} : { paymentTimeoutSeconds: input.paymentTimeoutSeconds }),
      items: input.items.map((i) => ({ variantId: i.variantId, salePrice: i.salePrice ?? 500, quantity: i.quantity })),
    },
  });
}

async function scheduled(shop: Shop, input: SaleInput): Promise<string> {
  const res = await schedule(shop, input);
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

function buy(shop: Shop, saleId: string, buyer: Buyer | null, variantId: string, quantity?: number, headers: Record<string, string> = {}) {
  return shop.store({
    method: 'POST',
    url: `/store/flash-sales/${saleId}/purchase`,
    payload: quantity === undefined ? { variantId } : { variantId, quantity },
    headers: { ...(buyer ? { authorization: `Bearer ${buyer.token}` } : {}), ...headers },
  });
}

async function stats(shop: Shop, saleId: string) {
  const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/stats` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as {
    phase: string;
    gate: { loaded: boolean; state: { epoch: number; remaining: Record<string, number>; unitsHeld: number } | null; counters: Record<string, number> };
    items: Array<{ variantId: string; quantity: number; activeUnits: number; remaining: number }>;
    tickets: { pending: number; ordered: number; cancelled: number; failed: number };
    ordersCreated: number;
    queueDepth: number;
    ordersDrainedPerSecond: number;
    drainRateLimitPerSecond: number;
  };
}

async function saleOrders(shop: Shop, saleId: string) {
  return shop.env.souk.database.query<{ order_id: string; customer_id: string; status: string; variant_id: string; quantity: number; unit_price: string; total: string }>(
    `select o.id as order_id, o.customer_id, o.status, l.variant_id, l.quantity, l.unit_price, o.total
     from flash_sale_tickets t
     join orders o on o.platform_id = t.platform_id and o.id = t.order_id
     join order_lines l on l.platform_id = o.platform_id and l.order_id = o.id
     where t.platform_id = $1 and t.sale_id = $2`,
    [shop.platform.platform.id, saleId],
  );
}

async function ticketCount(shop: Shop, saleId: string): Promise<number> {
  const rows = await shop.env.souk.database.query<{ n: number }>('select count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2', [
    shop.platform.platform.id,
    saleId,
  ]);
  return rows[0]!.n;
}

function flashSuite(env: TestEnv): void {
  test('scheduling carves the sale quantity out of normal stock; bad input is refused and changes nothing', async () => {
    const shop = await flashShop(env);
    const [variant, other] = await stockedVariants(shop, 2, 500, 2000);
    const saleId = await scheduled(shop, { perCustomerLimit: 2, items: [{ variantId: variant!, quantity: 200, salePrice: 990 }] });
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 500, reserved: 200, available: 300 });

    const one = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}` });
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().phase, 'live');
    assert.equal(one.json().items[0].salePrice, 990);
    assert.equal(one.json().items[0].currency, 'USD');
    const listed = await shop.store({ method: 'GET', url: '/store/flash-sales' });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.ok(Math.abs(Date.parse(listed.json().serverTime) - Date.now()) < 5000);
    assert.equal(listed.json().items.length, 1);
    assert.equal(listed.json().items[0].items[0].remaining, 200);

    const draft = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${shop.slug}/products`,
      payload: { handle: `draft-${shop.slug}`, title: 'Draft', status: 'draft', variants: [{ sku: `draft-${shop.slug}`, prices: [{ currency: 'USD', amount: 100 }] }] },
    });
    assert.equal(draft.statusCode, 201, draft.body);
    const draftVariant = draft.json().variants[0].id as string;

    const bad: Array<[SaleInput | Record<string, unknown>, number, string | undefined]> = [
      [{ items: [{ variantId: other!, quantity: 10 }], startsAt: at(60_000), endsAt: at(30_000) }, 400, 'invalid_window'],
      [{ items: [{ variantId: other!, quantity: 10 }], startsAt: at(-60_000), endsAt: at(-30_000) }, 400, 'ends_in_past'],
      [{ items: [{ variantId: other!, quantity: 10 }], endsAt: at(30 * 24 * 3_600_000) }, 400, 'ends_too_late'],
      [{ items: [{ variantId: newId(), quantity: 10 }] }, 400, 'unknown_variant'],
      [{ items: [{ variantId: other!, quantity: 10 }, { variantId: other!, quantity: 5 }] }, 400, 'duplicate_variant'],
      [{ items: [{ variantId: other!, quantity: 501 }] }, 409, 'out_of_stock'],
      [{ items: [{ variantId: variant!, quantity: 301 }] }, 409, 'out_of_stock'],
      [{ items: [{ variantId: draftVariant, quantity: 1 }] }, 422, 'variant_not_published'],
      [{ items: [] }, 400, undefined],
      [{ items: [{ variantId: other!, quantity: 0 }] }, 400, undefined],
      [{ items: [{ variantId: other!, quantity: 1 }], perCustomerLimit: 0 }, 400, undefined],
    ];
    for (const [input, status, code] of bad) expectProblem(await schedule(shop, input as SaleInput), status, code);
    const garbage = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/flash-sales`, payload: { name: 'x', startsAt: 'soon', endsAt: 'later', items: [{ variantId: other, salePrice: 1, quantity: 1 }] } });
    expectProblem(garbage, 400);

    const all = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales` });
    assert.equal(all.json().items.length, 1);
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 500, reserved: 200, available: 300 });
    assert.deepEqual(await stockOf(shop, other!), { onHand: 500, reserved: 0, available: 500 });
    expectProblem(await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales/${newId()}` }), 404, 'sale_not_found');

    // Cancelling returns the carve-out; a second cancel is a conflict.
    const cancelled = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/cancel` });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().status, 'cancelled');
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 500, reserved: 0, available: 500 });
    expectProblem(await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/cancel` }), 409, 'sale_closed');
    const [buyer] = await buyers(shop, 1);
    expectProblem(await buy(shop, saleId, buyer!, variant!), 409, 'sale_cancelled');
  });

  test('purchases outside a live sale, of another shop or by the wrong buyer are refused with a clear 4xx and change nothing', async () => {
    const shop = await flashShop(env);
    const otherShop = await flashShop(env);
    const [variant, notInSale] = await stockedVariants(shop, 2, 100);
    const [foreignVariant] = await stockedVariants(otherShop, 1, 100);
    const upcoming = await scheduled(shop, { startsAt: at(3_600_000), endsAt: at(7_200_000), items: [{ variantId: variant!, quantity: 10 }] });
    const live = await scheduled(shop, { perCustomerLimit: 2, items: [{ variantId: notInSale!, quantity: 10 }] });
    const picky = await scheduled(shop, { minAccountAgeHours: 24, items: [{ variantId: variant!, quantity: 10 }] });
    const foreign = await scheduled(otherShop, { items: [{ variantId: foreignVariant!, quantity: 10 }] });
    const [old, oldToo] = await buyers(shop, 2, 48);
    const [young] = await buyers(shop, 1, 1);
    const [otherBuyer] = await buyers(otherShop, 1, 48);

    expectProblem(await buy(shop, upcoming, old!, variant!), 409, 'sale_not_started');
    expectProblem(await buy(shop, newId(), old!, variant!), 404, 'sale_not_found');
    expectProblem(await buy(shop, foreign, old!, foreignVariant!), 404, 'sale_not_found');
    expectProblem(await buy(otherShop, live, otherBuyer!, notInSale!), 404, 'sale_not_found');
    expectProblem(await buy(shop, live, null, notInSale!), 401);
    expectProblem(await buy(shop, live, { id: '', token: 'sc_not_a_session' }, notInSale!), 401);
    expectProblem(await buy(shop, live, otherBuyer!, notInSale!), 401);
    expectProblem(await buy(shop, picky, young!, variant!), 403, 'account_too_new');
    expectProblem(await buy(shop, live, old!, variant!), 400, 'variant_not_in_sale');
    expectProblem(await buy(shop, live, old!, notInSale!, 3), 409, 'limit_reached');
    expectProblem(await buy(shop, live, old!, notInSale!, 0), 400);
    expectProblem(await buy(shop, live, old!, 'not-a-uuid'), 400);
    expectProblem(await shop.store({ method: 'POST', url: '/store/flash-sales/not-a-uuid/purchase', payload: { variantId: notInSale }, headers: { authorization: `Bearer ${old!.token}` } }), 400);

    // Risk hook (this Souk's own, on the runtime): deny and challenge are 403s that take nothing.
    const rt = env.souk.runtimeOf(flashSalesModule);
    const defaultHook = rt.riskHook;
    const hook: FlashSaleRiskHook = (input) =>
      input.customerId === old!.id ? { decision: 'challenge', challenge: { kind: 'captcha', id: 'c1' } } : { decision: 'deny', reason: 'Too many accounts on this device.' };
    rt.riskHook = hook;
    try {
      const challenged = await buy(shop, live, old!, notInSale!);
      expectProblem(challenged, 403, 'challenge_required');
      assert.deepEqual(challenged.json().challenge, { kind: 'captcha', id: 'c1' });
      const denied = await buy(shop, live, oldToo!, notInSale!);
      expectProblem(denied, 403, 'risk_denied');
      assert.match(denied.json().detail, /Too many accounts/);
    } finally {
      rt.riskHook = defaultHook;
    }

    // Per-device limit (the shop allows 3 a minute here).
    const strict = await flashShop(env, { purchasesPerDevicePerMinute: 3 });
    const [strictVariant] = await stockedVariants(strict, 1, 100);
    const strictSale = await scheduled(strict, { perCustomerLimit: 1, items: [{ variantId: strictVariant!, quantity: 10 }] });
    const strictBuyers = await buyers(strict, 4);
    const device = { 'x-device-id': 'phone-1' };
    for (const b of strictBuyers.slice(0, 3)) assert.equal((await buy(strict, strictSale, b, strictVariant!, 1, device)).statusCode, 202);
    const limited = await buy(strict, strictSale, strictBuyers[3]!, strictVariant!, 1, device);
    expectProblem(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);

    for (const saleId of [upcoming, live, picky]) {
      assert.equal(await ticketCount(shop, saleId), 0);
      const s = await stats(shop, saleId);
      assert.equal(s.items[0]!.remaining, 10);
      if (s.gate.state) assert.equal(Object.values(s.gate.state.remaining)[0], 10);
    }
    assert.equal(await ticketCount(otherShop, foreign), 0);
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 100, reserved: 20, available: 80 });

    // After the end: refused from memory at once, and the end timer returns the carve-out.
    const short = await scheduled(shop, { endsAt: at(1500), items: [{ variantId: variant!, quantity: 5 }] });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expectProblem(await buy(shop, short, old!, variant!), 409, 'sale_ended');
    await waitFor('the end timer', async () => (await stats(shop, short)).phase === 'ended' && (await stockOf(shop, variant!)).reserved === 20);
  });

  test('a rush of 2,000 attempts by 1,000 customers on 200 units sells exactly 200, each one order at the sale price, nobody over the limit', async () => {
    const shop = await flashShop(env, { doubleClickMs: 0 });
    const [a, b] = await stockedVariants(shop, 2, 300, 5000);
    const saleId = await scheduled(shop, {
      perCustomerLimit: 2,
      items: [
        { variantId: a!, quantity: 120, salePrice: 1999 },
        { variantId: b!, quantity: 80, salePrice: 2999 },
      ],
    });
    const people = await buyers(shop, 1000);
    const attempts = people.flatMap((p, i) => [
      () => buy(shop, saleId, p, i % 2 ? a! : b!),
      () => buy(shop, saleId, p, i % 3 ? b! : a!, i % 5 === 0 ? 2 : 1),
    ]);
    // Interleave customers so each one's two attempts are not side by side.
    attempts.sort(() => Math.random() - 0.5);
    const results = await Promise.all(attempts.map((attempt) => attempt()));
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.statusCode, (byStatus.get(r.statusCode) ?? 0) + 1);
    for (const r of results) {
      if (r.statusCode === 202) continue;
      assert.equal(r.statusCode, 409, r.body);
      assert.ok(['sold_out', 'limit_reached'].includes(r.json().code), r.body);
    }
    // A customer who holds a unit and finds the item sold out is given that ticket again (duplicate).
    const won = results.filter((r) => r.statusCode === 202 && !r.json().duplicate).map((r) => r.json().ticketId as string);
    assert.equal(new Set(won).size, won.length);
    for (const r of results.filter((x) => x.statusCode === 202 && x.json().duplicate)) assert.ok(won.includes(r.json().ticketId), r.body);

    const tickets = await shop.env.souk.database.query<{ customer_id: string; variant_id: string; quantity: number }>(
      'select customer_id, variant_id, quantity from flash_sale_tickets where platform_id = $1 and sale_id = $2',
      [shop.platform.platform.id, saleId],
    );
    assert.equal(tickets.length, won.length);
    const units = (variantId?: string) => tickets.filter((t) => !variantId || t.variant_id === variantId).reduce((sum, t) => sum + t.quantity, 0);
    assert.equal(units(a), 120);
    assert.equal(units(b), 80);
    const perCustomer = new Map<string, number>();
    for (const t of tickets) perCustomer.set(t.customer_id, (perCustomer.get(t.customer_id) ?? 0) + t.quantity);
    assert.ok(Math.max(...perCustomer.values()) <= 2);

    // Sold out now, from the node-local flag or the gate.
    expectProblem(await buy(shop, saleId, (await buyers(shop, 1))[0]!, a!), 409, 'sold_out');

    await waitFor('the drain', async () => (await stats(shop, saleId)).tickets.ordered === won.length, 60_000, 100);
    const orders = await saleOrders(shop, saleId);
    assert.equal(orders.length, won.length);
    assert.equal(new Set(orders.map((o) => o.order_id)).size, won.length);
    for (const o of orders) {
      assert.equal(o.status, 'pending_payment');
      assert.equal(Number(o.unit_price), o.variant_id === a ? 1999 : 2999);
    }
    assert.equal(orders.filter((o) => o.variant_id === a).reduce((s, o) => s + o.quantity, 0), 120);
    // The carve-out moved into the orders' holds: reserved unchanged, nothing available went.
    assert.deepEqual(await stockOf(shop, a!), { onHand: 300, reserved: 120, available: 180 });
    assert.deepEqual(await stockOf(shop, b!), { onHand: 300, reserved: 80, available: 220 });
    const s = await stats(shop, saleId);
    assert.equal(s.queueDepth, 0);
    assert.equal(s.ordersCreated, won.length);
    assert.equal(s.gate.counters.won, won.length);
    // Every attempt is counted once, whether the gate answered it or the node's sold-out flag did (those
    // arrive within a quarter of a second), and the counters agree with the answers.
    const answered = (code: string) => results.filter((r) => r.statusCode === 409 && r.json().code === code).length;
    await env.souk.runtimeOf(flashSalesModule).early.flush();
    await waitFor('the early answers in the counters', async () => (await stats(shop, saleId)).gate.counters.attempts === results.length + 1, 5000, 50);
    const { counters } = (await stats(shop, saleId)).gate;
    // A holder who found the item sold out was answered with their ticket, and counted as sold out.
    const holdersAnswered = results.filter((r) => r.statusCode === 202 && r.json().duplicate).length;
    assert.equal(counters.soldOut, answered('sold_out') + holdersAnswered + 1);
    assert.equal(counters.limitReached, answered('limit_reached'));
    assert.ok((counters.admitted ?? 0) <= (counters.attempts ?? 0));
    assert.deepEqual(s.items.map((i) => i.remaining), [0, 0]);

    // The winner's ticket resolves to the order; another customer cannot see it.
    const winner = tickets[0]!;
    const winnerToken = people.find((p) => p.id === winner.customer_id)!.token;
    const ticketId = (await shop.env.souk.database.query<{ id: string }>('select id from flash_sale_tickets where platform_id = $1 and customer_id = $2 limit 1', [shop.platform.platform.id, winner.customer_id]))[0]!.id;
    const polled = await shop.store({ method: 'GET', url: `/store/flash-sales/tickets/${ticketId}`, headers: { authorization: `Bearer ${winnerToken}` } });
    assert.equal(polled.statusCode, 200, polled.body);
    assert.equal(polled.json().status, 'ordered');
    assert.ok(orders.some((o) => o.order_id === polled.json().orderId));
    const stranger = people.find((p) => !perCustomer.has(p.id))!;
    expectProblem(await shop.store({ method: 'GET', url: `/store/flash-sales/tickets/${ticketId}`, headers: { authorization: `Bearer ${stranger.token}` } }), 404, 'ticket_not_found');
  });

  test('a double click yields one ticket', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 50);
    const saleId = await scheduled(shop, { perCustomerLimit: 2, items: [{ variantId: variant!, quantity: 10 }] });
    const [buyer] = await buyers(shop, 1);
    const clicks = await Promise.all([buy(shop, saleId, buyer!, variant!), buy(shop, saleId, buyer!, variant!), buy(shop, saleId, buyer!, variant!)]);
    for (const c of clicks) assert.equal(c.statusCode, 202, c.body);
    assert.equal(new Set(clicks.map((c) => c.json().ticketId)).size, 1);
    assert.equal(clicks.filter((c) => c.json().duplicate).length, 2);
    const again = await buy(shop, saleId, buyer!, variant!);
    assert.equal(again.json().ticketId, clicks[0]!.json().ticketId);
    assert.equal(await ticketCount(shop, saleId), 1);
    const s = await stats(shop, saleId);
    assert.equal(s.items[0]!.remaining, 9);
    // The observed drain rate and the node's setting sit side by side under names that cannot be confused.
    assert.equal(s.drainRateLimitPerSecond, env.souk.runtimeOf(flashSalesModule).env.drainPerSecond);
    assert.ok(s.ordersDrainedPerSecond >= 0 && s.ordersDrainedPerSecond <= 0.1, String(s.ordersDrainedPerSecond));
    assert.equal('drainPerSecond' in s, false);
  });

  test('unpaid sale orders time out and their units are bought again by others, never more than the sale quantity', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { perCustomerLimit: 1, paymentTimeoutSeconds: 1, items: [{ variantId: variant!, quantity: 10 }] });
    const first = await buyers(shop, 10);
    const second = await buyers(shop, 10);
    for (const r of await Promise.all(first.map((p) => buy(shop, saleId, p, variant!)))) assert.equal(r.statusCode, 202, r.body);
    const soldOut = await buy(shop, saleId, second[0]!, variant!);
    expectProblem(soldOut, 409, 'sold_out');
    assert.ok(Number(soldOut.headers['retry-after']) >= 1, 'units may come back: Retry-After');

    let maxActive = 0;
    const watch = setInterval(() => {
      void shop.env.souk.database
        .query<{ n: number }>(`select coalesce(sum(quantity), 0)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status in ('pending', 'ordered')`, [shop.platform.platform.id, saleId])
        .then((rows) => (maxActive = Math.max(maxActive, rows[0]!.n)), () => undefined);
    }, 50);
    try {
      const waiting = new Set(second);
      await waitFor(
        'the second wave to get the returned units',
        async () => {
          const results = await Promise.all([...waiting].map(async (p) => [p, await buy(shop, saleId, p, variant!)] as const));
          for (const [p, r] of results) {
            if (r.statusCode === 202) waiting.delete(p);
            else assert.ok(r.statusCode === 409 && ['sold_out', 'limit_reached'].includes(r.json().code), r.body);
          }
          return waiting.size === 0;
        },
        30_000,
        200,
      );
    } finally {
      clearInterval(watch);
    }
    assert.ok(maxActive <= 10, `active units peaked at ${maxActive}`);
    // Everyone of the first wave timed out unpaid; nobody holds more than the limit.
    const tickets = await shop.env.souk.database.query<{ customer_id: string; status: string; quantity: number }>(
      'select customer_id, status, quantity from flash_sale_tickets where platform_id = $1 and sale_id = $2',
      [shop.platform.platform.id, saleId],
    );
    const active = tickets.filter((t) => t.status === 'pending' || t.status === 'ordered');
    assert.ok(active.reduce((s, t) => s + t.quantity, 0) <= 10);
    // When the second wave has timed out too, every unit is back in the carve-out and the gate.
    await waitFor('all units back', async () => {
      const s = await stats(shop, saleId);
      return s.tickets.pending === 0 && s.items[0]!.activeUnits === 0 && s.gate.state?.remaining[variant!] === 10;
    }, 30_000, 100);
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 100, reserved: 10, available: 90 });
    const final = await shop.env.souk.database.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from flash_sale_tickets where platform_id = $1 and sale_id = $2 group by status',
      [shop.platform.platform.id, saleId],
    );
    assert.deepEqual(final.map((r) => r.status), ['cancelled']);
    assert.ok(final[0]!.n >= 20);
  });

  test('reconciliation rebuilds a gate that lost its state, and returns units taken without a ticket', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { perCustomerLimit: 1, items: [{ variantId: variant!, quantity: 20 }] });
    const people = await buyers(shop, 6);
    for (const p of people.slice(0, 5)) assert.equal((await buy(shop, saleId, p, variant!)).statusCode, 202);
    const { gate } = env.souk.runtimeOf(flashSalesModule);
    const reconcile = async () => {
      const res = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/reconcile` });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const fine = await reconcile();
    assert.equal(fine.repaired, false);
    assert.equal(fine.reason, 'consistent');

    await gate.drop(saleId);
    const rebuilt = await reconcile();
    assert.equal(rebuilt.repaired, true);
    assert.equal(rebuilt.reason, 'not_loaded');
    assert.equal(rebuilt.before, null);
    assert.deepEqual(rebuilt.after.remaining, { [variant!]: 15 });
    assert.equal(rebuilt.after.unitsHeld, 5);
    assert.equal(rebuilt.epoch, 2);
    // The rebuilt gate still knows who holds units: the limit holds.
    expectProblem(await buy(shop, saleId, people[0]!, variant!), 409, 'limit_reached');

    // A node died between taking a unit and writing its ticket: the unit is lost to the gate until reconciled.
    const taken = await gate.take(saleId, { epoch: 2, variantId: variant!, customerId: newId(), quantity: 1, ticketId: newId(), burstMs: 0, nodeId: 'a-dead-node' });
    assert.equal(taken.ok, true);
    const repaired = await reconcile();
    assert.equal(repaired.repaired, true);
    assert.equal(repaired.reason, 'mismatch');
    assert.equal(repaired.lostUnitsReturned, 1);
    assert.deepEqual(repaired.after.remaining, { [variant!]: 15 });

    // A purchase that finds the gate empty rebuilds it by itself.
    await gate.drop(saleId);
    const res = await buy(shop, saleId, people[5]!, variant!);
    assert.equal(res.statusCode, 202, res.body);
    const s = await stats(shop, saleId);
    assert.equal(s.gate.state?.remaining[variant!], 14);
    assert.equal(s.gate.state?.epoch, 4);
    assert.equal(await ticketCount(shop, saleId), 6);
  });

  test('a ticket batch the database refuses answers 503 and gives every unit back to the gate', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { perCustomerLimit: 1, items: [{ variantId: variant!, quantity: 5 }] });
    const people = await buyers(shop, 3);
    // A fault of this sale's ticket inserts only (other tests share the database).
    const fn = `souk_test_refuse_${saleId.replaceAll('-', '')}`;
    await env.souk.database.script(`
      create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
      create trigger ${fn} before insert on flash_sale_tickets for each row when (new.sale_id = '${saleId}') execute function ${fn}();`);
    try {
      const answers = await Promise.all(people.map((p) => buy(shop, saleId, p, variant!)));
      for (const res of answers) expectProblem(res, 503, 'try_again');
      assert.equal(await ticketCount(shop, saleId), 0);
      const s = await stats(shop, saleId);
      assert.deepEqual(s.gate.state?.remaining, { [variant!]: 5 }, 'every unit is back in the gate');
      assert.equal(s.gate.state?.unitsHeld, 0, 'nobody holds a unit, so nobody is over the limit');
    } finally {
      await env.souk.database.script(`drop trigger ${fn} on flash_sale_tickets; drop function ${fn}();`);
    }
    // With the fault gone the same buyers win.
    for (const p of people) assert.equal((await buy(shop, saleId, p, variant!)).statusCode, 202);
  });

  test('a drained batch whose orders the carve-out cannot all cover is taken one ticket at a time: only the uncovered ticket fails', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { items: [{ variantId: variant!, quantity: 10 }] });
    const people = await buyers(shop, 6);
    // Six waiting tickets written at once, so the drain claims them as one batch: five of one unit and one
    // of twenty, more than the carve-out holds. The batch as a whole is refused (409), so the drain falls
    // back to one savepoint per ticket.
    const quantities = [1, 1, 20, 1, 1, 1];
    const ticketIds = people.map(() => newId());
    await shop.env.souk.ctx.platformDb(shop.platform.platform.id).execute(
      `insert into flash_sale_tickets (platform_id, id, sale_id, variant_id, customer_id, email, quantity, epoch)
       select $1, t.id, $2, $3, t.customer_id, t.customer_id::text || '@buyers.test', t.quantity, 1
       from unnest($4::uuid[], $5::uuid[], $6::int[]) as t(id, customer_id, quantity)`,
      [saleId, variant, ticketIds, people.map((p) => p.id), quantities],
    );
    await waitFor('the drain', async () => (await stats(shop, saleId)).queueDepth === 0, 20_000, 100);
    const s = await stats(shop, saleId);
    assert.equal(s.tickets.ordered, 5);
    assert.equal(s.tickets.failed, 1);
    const orders = await saleOrders(shop, saleId);
    assert.equal(orders.length, 5);
    assert.ok(orders.every((o) => o.quantity === 1 && Number(o.unit_price) === 500 && o.status === 'pending_payment'));
    const [failed] = await shop.env.souk.database.query<{ id: string; failure_reason: string; give_back_epoch: number | null }>(
      `select id, failure_reason, give_back_epoch from flash_sale_tickets where platform_id = $1 and sale_id = $2 and status = 'failed'`,
      [shop.platform.platform.id, saleId],
    );
    assert.equal(failed!.id, ticketIds[2]);
    assert.match(failed!.failure_reason, /^out_of_stock/);
    assert.equal(failed!.give_back_epoch, null);
    // Five units moved out of the carve-out into the orders' own reservations; the level did not change.
    const [carveOut] = await shop.env.souk.database.query<{ quantity: number }>(
      `select l.quantity from flash_sales s join inventory_reservation_lines l on l.platform_id = s.platform_id and l.reservation_id = s.reservation_id
       where s.platform_id = $1 and s.id = $2`,
      [shop.platform.platform.id, saleId],
    );
    assert.equal(carveOut!.quantity, 5);
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 100, reserved: 10, available: 90 });
  });

  test('a sold-out answer never goes to a customer who holds units: a retry gets the existing ticket', async () => {
    const shop = await flashShop(env, { doubleClickMs: 0 });
    const [variant] = await stockedVariants(shop, 1, 50);
    const saleId = await scheduled(shop, { perCustomerLimit: 2, items: [{ variantId: variant!, quantity: 2 }] });
    const [holder, other, late] = await buyers(shop, 3);
    const first = await buy(shop, saleId, holder!, variant!);
    assert.equal(first.statusCode, 202, first.body);
    assert.equal((await buy(shop, saleId, other!, variant!)).statusCode, 202);
    // Sold out now. The holder's retry (its answer lost, say) is told about the ticket it holds: once from
    // the gate, once from this node's sold-out flag.
    for (let i = 0; i < 2; i++) {
      const retry = await buy(shop, saleId, holder!, variant!);
      assert.equal(retry.statusCode, 202, retry.body);
      assert.deepEqual(retry.json(), { ticketId: first.json().ticketId, status: 'pending', duplicate: true });
    }
    expectProblem(await buy(shop, saleId, late!, variant!), 409, 'sold_out');
    assert.equal(await ticketCount(shop, saleId), 2);
  });

  test('a node that stops beating has its in-flight takes returned by a survivor within a few heartbeats, with no operator', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { perCustomerLimit: 2, items: [{ variantId: variant!, quantity: 10 }] });
    const people = await buyers(shop, 4);
    const rt = env.souk.runtimeOf(flashSalesModule);
    // A purchase on this node: its ticket is written and its take no longer in flight.
    assert.equal((await buy(shop, saleId, people[0]!, variant!)).statusCode, 202);
    assert.deepEqual(await rt.gate.inFlight(saleId), {});
    const epoch = (await stats(shop, saleId)).gate.state!.epoch;

    // Another node beats and takes three units; it commits one ticket, then dies before it can clear that
    // take or write the other two.
    const ghost = `ghost-${randomBytes(4).toString('hex')}`;
    await rt.nodes.beat(ghost, 60_000);
    const ghostTickets = [newId(), newId(), newId()];
    for (const [i, ticketId] of ghostTickets.entries()) {
      const taken = await rt.gate.take(saleId, { epoch, variantId: variant!, customerId: people[i + 1]!.id, quantity: 1, ticketId, burstMs: 60_000, nodeId: ghost });
      assert.equal(taken.ok, true);
    }
    await shop.env.souk.ctx.platformDb(shop.platform.platform.id).execute(
      `insert into flash_sale_tickets (platform_id, id, sale_id, variant_id, customer_id, email, quantity, epoch) values ($1, $2, $3, $4, $5, 'x@buyers.test', 1, $6)`,
      [ghostTickets[0], saleId, variant, people[1]!.id, epoch],
    );
    assert.deepEqual(await rt.gate.inFlight(saleId), { [ghost]: 3 });

    // Retries on this node while the other is silent: the committed ticket is confirmed; the one never
    // written is not named in a 202 (its poll would be a 404), the buyer is asked to try again.
    const confirmed = await buy(shop, saleId, people[1]!, variant!);
    assert.equal(confirmed.statusCode, 202, confirmed.body);
    assert.deepEqual(confirmed.json(), { ticketId: ghostTickets[0], status: 'pending', duplicate: true });
    const poll = await shop.store({ method: 'GET', url: `/store/flash-sales/tickets/${ghostTickets[0]}`, headers: { authorization: `Bearer ${people[1]!.token}` } });
    assert.equal(poll.statusCode, 200, poll.body);
    const unwritten = await buy(shop, saleId, people[2]!, variant!);
    expectProblem(unwritten, 503, 'try_again');
    assert.equal(unwritten.headers['retry-after'], '1');

    // While the node beats it is left alone, however long its takes stay in flight.
    await sleep(2 * NODE_TIMEOUT_MS);
    assert.equal((await stats(shop, saleId)).gate.state?.remaining[variant!], 6);
    // It dies: no more beats, its heartbeat lapses, and a survivor's beat finds it.
    await rt.nodes.beat(ghost, 1);
    await waitFor('the lost node’s untaken units back in the gate', async () => (await stats(shop, saleId)).gate.state?.remaining[variant!] === 8, 15_000, 50);
    const s = await stats(shop, saleId);
    assert.equal(s.gate.state!.epoch, epoch + 1, 'returned by a rebuild under a new epoch, which fences a node that was only paused');
    assert.equal(s.items[0]!.activeUnits + s.gate.state!.remaining[variant!]!, 10, 'ticketed + on sale = the sale quantity');
    assert.deepEqual(await rt.gate.inFlight(saleId), {});
    assert.deepEqual(await rt.nodes.lapsed(), [], 'the lost node is forgotten once recovered');

    // The buyer whose unit was lost tries again and buys for real; the committed one still holds theirs.
    const again = await buy(shop, saleId, people[2]!, variant!);
    assert.equal(again.statusCode, 202, again.body);
    assert.equal(again.json().duplicate, false);
    assert.equal(await ticketCount(shop, saleId), 3);
    assert.equal((await stats(shop, saleId)).gate.state?.remaining[variant!], 7);
  });

  test('the end of the sale turns waiting tickets into orders and returns the unsold carve-out to normal stock', async () => {
    const shop = await flashShop(env);
    const [variant] = await stockedVariants(shop, 1, 100);
    const saleId = await scheduled(shop, { endsAt: at(2500), perCustomerLimit: 1, items: [{ variantId: variant!, quantity: 30 }] });
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 100, reserved: 30, available: 70 });
    const people = await buyers(shop, 4);
    for (const p of people) assert.equal((await buy(shop, saleId, p, variant!)).statusCode, 202);
    await waitFor('the end', async () => (await stats(shop, saleId)).phase === 'ended' && (await stockOf(shop, variant!)).reserved === 4, 20_000, 100);
    const sale = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}` });
    assert.equal(sale.json().status, 'ended');
    assert.deepEqual(await stockOf(shop, variant!), { onHand: 100, reserved: 4, available: 96 });
    const s = await stats(shop, saleId);
    assert.equal(s.tickets.ordered, 4);
    assert.equal(s.queueDepth, 0);
    assert.equal(s.gate.loaded, false);
    assert.equal((await saleOrders(shop, saleId)).length, 4);
    expectProblem(await buy(shop, saleId, (await buyers(shop, 1))[0]!, variant!), 409, 'sale_ended');
    const report = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/flash-sales/${saleId}/reconcile` });
    assert.equal(report.statusCode, 200, report.body);
    assert.equal(report.json().repaired, false);
    assert.equal(report.json().reason, 'sale_ended');
    const listed = await shop.store({ method: 'GET', url: '/store/flash-sales' });
    assert.equal(listed.json().items.length, 0);
  });
}

const memoryGate: Partial<Config> = { redisUrl: undefined };
eachDatabase('flash sales (in-process gate)', flashSuite, memoryGate);

if (process.env.REDIS_URL) {
  const redisUrl = process.env.REDIS_URL;
  const prefix = `souk-test-${randomBytes(4).toString('hex')}:`;
  const redisGate: Partial<Config> = { redisUrl, redisKeyPrefix: prefix };
  eachDatabase('flash sales (Redis gate)', flashSuite, redisGate);
  // Redis is shared with other suites and reruns: remove every key this file's prefix wrote.
  after(async () => {
    const redis = new Redis(redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });
} else if (process.env.SOUK_REQUIRE_SERVICES === '1') {
  throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set: the Redis flash-sale suites cannot run.');
}
