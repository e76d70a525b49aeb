// The commerce consistency checker (scripts/check-commerce.ts) against a real shop: clean after orders
// that are pending, paid, shipped, cancelled before and after payment; and each kind of corruption it
// is meant to catch, made by hand inside a transaction that is rolled back, names the right check.
// On PostgreSQL the command line is run too (exit code 0, then 1 with a readable list).
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { eachDatabase, type TestEnv } from './harness.ts';
import { waitFor } from './wait.ts';
import { checkout, createShop, readyCart, stockedVariants, type Shop } from './commerce.ts';
import { paymentsModule, signedSandboxWebhook } from '../src/modules/payments/index.ts';
import type { Queryable } from '../src/kernel/db/types.ts';
import { checkCommerce, formatReport, type CommerceReport } from '../scripts/check-commerce.ts';

class Rollback extends Error {}

eachDatabase('commerce checker', (env: TestEnv) => {
  let shop: Shop;
  let variants: string[];
  const orders: Record<'pending' | 'paid' | 'shipped' | 'cancelled' | 'refunded', { id: string; token: string }> = {} as never;
  const initialStock = () => Object.fromEntries(variants.map((v) => [v, 10]));

  const pay = async (order: { id: string; token: string }) => {
    const started = await shop.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, payload: { provider: 'sandbox' }, headers: { 'x-order-token': order.token } });
    assert.equal(started.statusCode, 201, started.body);
    const signed = await signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId: started.json().paymentId });
    const res = await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
    assert.equal(res.json().outcome, 'applied', res.body);
  };

  before(async () => {
    shop = await createShop(env, 'check-shop');
    variants = await stockedVariants(shop, 2, 10, 1000);
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'CHECK5', kind: 'percentage', percent: 5, usageLimit: 5 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
    for (const [i, name] of (['pending', 'paid', 'shipped', 'cancelled', 'refunded'] as const).entries()) {
      const cartId = await readyCart(shop, [{ variantId: variants[0]!, quantity: 1 }, { variantId: variants[1]!, quantity: 1 + (i % 2) }], {
        email: `${name}@check.test`,
        ...(i % 2 === 0 ? { coupon: 'CHECK5' } : {}),
      });
      const res = await checkout(shop, cartId, `check-${name}`);
      assert.equal(res.statusCode, 201, res.body);
      orders[name] = { id: res.json().id, token: res.json().accessToken };
    }
    // pending: a payment started, never completed.
    const started = await shop.store({ method: 'POST', url: `/store/orders/${orders.pending.id}/payments`, payload: { provider: 'sandbox' }, headers: { 'x-order-token': orders.pending.token } });
    assert.equal(started.statusCode, 201, started.body);
    await pay(orders.paid);
    await pay(orders.shipped);
    await pay(orders.refunded);
    const shipped = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${orders.shipped.id}/fulfillment`, payload: { carrier: 'ups', trackingNumber: '1Z' } });
    assert.equal(shipped.statusCode, 200, shipped.body);
    for (const name of ['cancelled', 'refunded'] as const) {
      const res = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${orders[name].id}/cancel`, payload: { reason: 'test' } });
      assert.equal(res.statusCode, 200, res.body);
    }
  });

  const check = (reader: Queryable = env.souk.database) => checkCommerce(reader, { platform: shop.slug, initialStock: initialStock() });

  it('finds nothing wrong with a shop that went through every order state', async () => {
    // The paid-then-cancelled order is refunded by an event handler: wait for it.
    let report = await check();
    await waitFor('a clean report', async () => (report = await check()).ok, 30_000, 100).catch(() => undefined);
    assert.equal(report.ok, true, formatReport(report));
    assert.deepEqual(report.orphans, []);
    assert.deepEqual(report.platforms[shop.slug]!.orders, { pending_payment: 1, paid: 1, fulfilled: 1, cancelled: 2 });
  });

  /** Runs `tamper` and the checker in one transaction, then rolls it back. */
  async function tampered(tamper: (tx: Queryable) => Promise<unknown>): Promise<CommerceReport> {
    let report: CommerceReport | undefined;
    await env.souk.database
      .transaction(async (tx) => {
        await tamper(tx);
        report = await check(tx);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return report!;
  }

  const reservationOf = async (tx: Queryable, orderId: string) =>
    (await tx.query<{ reservation_id: string }>('select reservation_id from orders where id = $1', [orderId]))[0]!.reservation_id;

  const cases: { name: string; expect: string[]; tamper: (tx: Queryable) => Promise<unknown> }[] = [
    { name: 'reserved drifts from the active holds', expect: ['level_reserved'], tamper: (tx) => tx.execute('update inventory_levels set reserved = reserved + 1 where variant_id = $1', [variants[0]]) },
    { name: 'on hand changed without a ledger row', expect: ['ledger_on_hand', 'initial_stock'], tamper: (tx) => tx.execute('update inventory_levels set on_hand = on_hand + 3 where variant_id = $1', [variants[1]]) },
    { name: 'a coupon counter off by one', expect: ['coupon_uses'], tamper: (tx) => tx.execute(`update promotions_coupons set times_used = times_used + 1 where code = 'CHECK5'`) },
    {
      name: 'a live order lost its coupon use',
      expect: ['coupon_uses', 'order_coupon'],
      tamper: (tx) => tx.execute(`update promotions_redemptions set status = 'released', released_at = now() where order_id = $1`, [orders.pending.id]),
    },
    { name: 'an order without its idempotency record', expect: ['checkout_order'], tamper: (tx) => tx.execute('delete from order_checkouts where order_id = $1', [orders.paid.id]) },
    {
      name: 'an order marked paid without a payment, its hold still active',
      expect: ['order_reservation', 'active_reservation', 'paid_payment'],
      tamper: (tx) => tx.execute(`update orders set status = 'paid', payment_status = 'paid', paid_amount = total where id = $1`, [orders.pending.id]),
    },
    {
      name: "a pending order's hold released behind its back",
      expect: ['pending_reservation', 'order_reservation', 'level_reserved'],
      tamper: async (tx) => tx.execute(`update inventory_reservations set status = 'released' where id = $1`, [await reservationOf(tx, orders.pending.id)]),
    },
    {
      name: 'a reservation holding more than the order bought',
      expect: ['reservation_lines', 'level_reserved'],
      tamper: async (tx) => tx.execute('update inventory_reservation_lines set quantity = quantity + 1 where reservation_id = $1 and variant_id = $2', [await reservationOf(tx, orders.pending.id), variants[0]]),
    },
    {
      name: 'a paid order cancelled without its stock or money coming back',
      expect: ['cancel_restock', 'cancelled_refund'],
      tamper: (tx) => tx.execute(`update orders set status = 'cancelled' where id = $1`, [orders.paid.id]),
    },
    { name: 'a pending order whose timer was lost', expect: ['unpaid_timer'], tamper: (tx) => tx.execute('delete from event_timers where id = (select timeout_timer_id from orders where id = $1)', [orders.pending.id]) },
    {
      name: 'a pending order long past its deadline',
      expect: ['unpaid_overdue'],
      tamper: (tx) => tx.execute(`update orders set payment_due_at = now() - interval '1 hour' where id = $1`, [orders.pending.id]),
    },
    {
      name: 'money captured for an order still pending',
      expect: ['pending_payment_captured'],
      tamper: (tx) => tx.execute(`update payments set status = 'succeeded', captured_amount = amount where order_id = $1`, [orders.pending.id]),
    },
    {
      name: 'a committed reservation without its ledger rows',
      expect: ['ledger_commit'],
      // The ledger is append-only (a trigger), so the corruption is a commit row no reservation explains.
      tamper: (tx) =>
        tx.execute(
          `insert into inventory_ledger (platform_id, id, variant_id, location_id, kind, delta, on_hand_after, reserved_after, reason, reference, actor, actor_label)
           select platform_id, gen_random_uuid(), variant_id, location_id, 'commit', -1, on_hand, reserved, 'stray', null, 'system', 'reservation ' || gen_random_uuid()
           from inventory_levels where variant_id = $1`,
          [variants[1]],
        ),
    },
    {
      name: 'an order with neither a cart nor a source',
      expect: ['order_source'],
      tamper: (tx) => tx.execute('update orders set cart_id = null where id = $1', [orders.pending.id]),
    },
    {
      name: 'two cartless orders made from one ticket',
      expect: ['one_order_per_source'],
      tamper: async (tx) => {
        await tx.execute('delete from order_checkouts where order_id = any($1::uuid[])', [[orders.pending.id, orders.paid.id]]);
        await tx.execute(`update orders set cart_id = null, source = '{"kind": "import", "ticketId": "t-1"}' where id = any($1::uuid[])`, [[orders.pending.id, orders.paid.id]]);
      },
    },
    {
      name: 'a flash-sale order whose ticket does not exist',
      expect: ['sale_ticket'],
      tamper: async (tx) => {
        await tx.execute('delete from order_checkouts where order_id = $1', [orders.pending.id]);
        await tx.execute(
          `update orders set cart_id = null, source = jsonb_build_object('kind', 'flash_sale', 'saleId', gen_random_uuid(), 'ticketId', gen_random_uuid()) where id = $1`,
          [orders.pending.id],
        );
      },
    },
  ];

  for (const c of cases) {
    it(`reports ${c.name}`, async () => {
      const report = await tampered(c.tamper);
      assert.equal(report.ok, false, `nothing reported for: ${c.name}`);
      const found = new Set(report.issues.map((i) => i.check));
      for (const name of c.expect) assert.ok(found.has(name), `expected a ${name} issue:\n${formatReport(report)}`);
    });
  }

  it('accepts an order without a cart that says where it came from (a drained flash-sale ticket, say)', async () => {
    const report = await tampered(async (tx) => {
      await tx.execute('delete from order_checkouts where order_id = $1', [orders.pending.id]);
      await tx.execute(`update orders set cart_id = null, source = '{"kind": "import", "ticketId": "t-2"}' where id = $1`, [orders.pending.id]);
    });
    assert.equal(report.ok, true, formatReport(report));
  });

  it('lists a hold whose reference is not an order as an orphan, not as an issue', async () => {
    const report = await tampered((tx) =>
      tx.execute(`insert into inventory_reservations (platform_id, id, reference, expires_at) values ($1, gen_random_uuid(), 'admin-hold', now() + interval '1 hour')`, [shop.platform.platform.id]),
    );
    assert.equal(report.ok, true, formatReport(report));
    assert.equal(report.orphans.length, 1);
    assert.match(report.orphans[0]!.detail, /admin-hold/);
  });

  it('runs from the command line: exit 0 when consistent, 1 with the list when not', { skip: env.engine !== 'postgres' }, async () => {
    const url = env.souk.config.databaseUrl!;
    const run = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-commerce.ts', url, shop.slug], { encoding: 'utf8', timeout: 60_000 });
    const clean = run();
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /OK: no inconsistency/);
    await env.souk.database.execute(`update promotions_coupons set times_used = times_used + 1 where code = 'CHECK5'`);
    try {
      const broken = run();
      assert.equal(broken.status, 1, broken.stdout + broken.stderr);
      assert.match(broken.stdout, /ISSUE {3}\[check-shop\] coupon_uses — coupon CHECK5: times_used \d+ but \d+ active redemption/);
    } finally {
      await env.souk.database.execute(`update promotions_coupons set times_used = times_used - 1 where code = 'CHECK5'`);
    }
  });
});
