// Inventory on each database engine: reservations under heavy concurrency (no oversell, no deadlock),
// lines of one variant checked as their sum, commit / release / expiry, adjustments with a ledger,
// low-stock events, bad input that changes nothing, and the admin and storefront routes.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { waitFor } from '../../../test/wait.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { expectProblem, problemCode } from '../../../test/problems.ts';
import { prng } from '../../../test/prng.ts';
import { inventoryService, type InventoryService, type Reservation, type ReserveLine } from './service.ts';

const INVENTORY_TABLES = ['inventory_locations', 'inventory_levels', 'inventory_reservations', 'inventory_reservation_lines', 'inventory_ledger', 'event_timers'];

/** A digest of the inventory tables (and the timers): equal before and after a refused change. */
function inventoryFingerprint(env: TestEnv): Promise<string> {
  return tablesFingerprint(env.souk.database, INVENTORY_TABLES);
}

eachDatabase(
  'inventory',
  (env) => {
    let shop: TestPlatform;
    let other: TestPlatform;
    let inventory: InventoryService;
    let pdb: PlatformDb;
    let productCounter = 0;
    const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, shop.adminToken, options);
    const adminUrl = (path: string) => `/admin/platforms/inv-shop/inventory${path}`;
    const actor = { id: 'system', label: 'test' };

    /** Creates a product with `count` variants on a platform and returns their ids. */
    async function variants(count: number, platform: TestPlatform = shop, status: 'published' | 'draft' = 'published'): Promise<string[]> {
      productCounter += 1;
      const handle = `inv-p${productCounter}`;
      const sizes = Array.from({ length: count }, (_, i) => `S${i}`);
      const res = await asBearer(env.app, platform.adminToken, {
        method: 'POST',
        url: `/admin/platforms/${platform.platform.slug}/products`,
        payload: {
          handle,
          title: handle,
          status,
          options: [{ name: 'size', values: sizes }],
          variants: sizes.map((size) => ({ sku: `${handle}-${size}`, options: { size }, prices: [{ currency: 'USD', amount: 100 }] })),
        },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().variants.map((v: { id: string }) => v.id);
    }

    const stock = (variantId: string, onHand: number) => pdb.transaction((tx) => inventory.setStock(tx, { variantId, onHand, reason: 'test stock', actor }));
    const level = async (variantId: string) => {
      const s = await inventory.getVariantStock(pdb, variantId);
      return { onHand: s.onHand, reserved: s.reserved, available: s.available };
    };
    const reserve = (reference: string, lines: ReserveLine[], holdSeconds?: number) =>
      pdb.transaction((tx) => inventory.reserveStock(tx, { reference, lines, ...(holdSeconds ? { holdSeconds } : {}) }));
    const eventCount = async (type: string, variantId: string) =>
      (
        await env.souk.database.query<{ n: number }>(
          `select count(*)::int as n from (select type, payload from event_outbox union all select type, payload from event_log) e
           where e.type = $1 and e.payload ->> 'variantId' = $2`,
          [type, variantId],
        )
      )[0]!.n;

    before(async () => {
      shop = await createTestPlatform(env, { slug: 'inv-shop', modules: ['catalog', 'inventory'] });
      other = await createTestPlatform(env, { slug: 'inv-other', modules: ['catalog', 'inventory'] });
      inventory = inventoryService(env.souk.ctx);
      pdb = env.souk.ctx.platformDb(shop.platform.id);
    });

    describe('reservations under concurrency', () => {
      it('500 concurrent checkouts of one unit on stock 50: exactly 50 succeed, the rest are out of stock', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 50);
        const started = Date.now();
        const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => reserve(`order-${i}`, [{ variantId: variantId!, quantity: 1 }])));
        const ms = Date.now() - started;
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => problemCode(r.reason));
        assert.equal(ok, 50);
        assert.deepEqual([...new Set(refused)], ['409:out_of_stock']);
        assert.equal(refused.length, 450);
        assert.deepEqual(await level(variantId!), { onHand: 50, reserved: 50, available: 0 });
        const rows = await env.souk.database.query<{ n: number; held: number }>(
          `select count(*)::int as n, coalesce(sum(l.quantity), 0)::int as held from inventory_reservations r
           join inventory_reservation_lines l on l.platform_id = r.platform_id and l.reservation_id = r.id
           where r.platform_id = $1 and r.status = 'active' and l.variant_id = $2`,
          [shop.platform.id, variantId],
        );
        assert.deepEqual(rows[0], { n: 50, held: 50 });
        const negative = await env.souk.database.query<{ n: number }>('select count(*)::int as n from inventory_levels where on_hand < 0 or reserved < 0 or reserved > on_hand');
        assert.equal(negative[0]!.n, 0);
        // Each crossing is emitted once, by the one transaction that crossed it.
        assert.equal(await eventCount('inventory.out_of_stock', variantId!), 1);
        assert.equal(await eventCount('inventory.low', variantId!), 1);
        const sample = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as HttpProblem;
        assert.match(sample.detail, new RegExp(`Not enough stock for variant ${variantId}`));
        assert.deepEqual(sample.extras.items, [{ variantId, locationId: (await inventory.getVariantStock(pdb, variantId!)).levels[0]!.locationId, requested: 1, available: 0 }]);
        console.log(`[${env.engine}] 500 concurrent reservations on stock 50: ${ok} reserved, ${refused.length} out of stock in ${ms} ms`);
      });

      it('200 concurrent checkouts through HTTP on stock 20: exactly 20 × 201, the rest 409 out_of_stock', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 20);
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            admin({ method: 'POST', url: adminUrl('/reservations'), payload: { reference: `http-${i}`, lines: [{ variantId, quantity: 1 }] } }),
          ),
        );
        const byStatus = new Map<number, number>();
        for (const res of responses) byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
        assert.deepEqual(Object.fromEntries(byStatus), { 201: 20, 409: 180 });
        for (const res of responses.filter((r) => r.statusCode === 409)) expectProblem(res, 409, 'out_of_stock');
        assert.deepEqual(await level(variantId!), { onHand: 20, reserved: 20, available: 0 });
      });

      it('checks two lines of one variant as their sum (2 + 2 on stock 3 is refused, 1 + 2 fits)', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 3);
        const before = await inventoryFingerprint(env);
        await assert.rejects(
          reserve('double-line', [
            { variantId: variantId!, quantity: 2 },
            { variantId: variantId!, quantity: 2 },
          ]),
          (error: unknown) => {
            assert.equal(problemCode(error), '409:out_of_stock');
            assert.deepEqual((error as HttpProblem).extras.items, [{ variantId, locationId: (error as HttpProblem & { extras: { items: [{ locationId: string }] } }).extras.items[0].locationId, requested: 4, available: 3 }]);
            return true;
          },
        );
        assert.equal(await inventoryFingerprint(env), before);
        const ok = await reserve('fits', [
          { variantId: variantId!, quantity: 1 },
          { variantId: variantId!, quantity: 2 },
        ]);
        assert.deepEqual(ok.lines.map((l) => l.quantity), [3]);
        assert.deepEqual(await level(variantId!), { onHand: 3, reserved: 3, available: 0 });
      });

      it('many customers buying two lines of one variant at once never oversell it (Medusa #16502)', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 10);
        const results = await Promise.allSettled(
          Array.from({ length: 60 }, (_, i) =>
            reserve(`two-lines-${i}`, [
              { variantId: variantId!, quantity: 1 },
              { variantId: variantId!, quantity: 1 },
            ]),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
        for (const r of results) if (r.status === 'rejected') assert.equal(problemCode(r.reason), '409:out_of_stock');
        assert.deepEqual(await level(variantId!), { onHand: 10, reserved: 10, available: 0 });
      });

      it('concurrent multi-line reservations over overlapping variants in random order: no deadlock, no oversell', async () => {
        const ids = await variants(6);
        for (const id of ids) await stock(id, 25);
        const random = prng(16502);
        const orders = Array.from({ length: 200 }, (_, i) => {
          const picked = [...ids].sort(() => random() - 0.5).slice(0, 2 + Math.floor(random() * 4));
          return { reference: `mix-${i}`, lines: picked.map((variantId) => ({ variantId, quantity: 1 + Math.floor(random() * 3) })) };
        });
        const started = Date.now();
        const results = await Promise.allSettled(orders.map((o) => reserve(o.reference, o.lines)));
        const ms = Date.now() - started;
        const codes = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => problemCode(r.reason));
        assert.deepEqual([...new Set(codes)].filter((c) => c !== '409:out_of_stock'), [], 'only out-of-stock refusals (a deadlock would show as an unexpected error)');
        const expected = new Map(ids.map((id) => [id, 0]));
        results.forEach((r, i) => {
          if (r.status === 'fulfilled') for (const line of orders[i]!.lines) expected.set(line.variantId, expected.get(line.variantId)! + line.quantity);
        });
        for (const id of ids) {
          const l = await level(id);
          assert.equal(l.reserved, expected.get(id), `reserved of ${id}`);
          assert.ok(l.reserved <= 25 && l.available >= 0);
        }
        const succeeded = results.filter((r) => r.status === 'fulfilled').length;
        assert.ok(succeeded > 10 && codes.length > 10, `${succeeded} succeeded, ${codes.length} refused`);
        console.log(`[${env.engine}] 200 concurrent multi-line reservations over 6 variants: ${succeeded} reserved, ${codes.length} out of stock, 0 deadlocks in ${ms} ms`);
      });

      it('reservations, commits and releases over the same levels at once, lines in reversed order: no deadlock, exact stock', async () => {
        // Each step writes all its levels in one statement; its locks must still be taken in one order.
        const ids = await variants(8);
        for (const id of ids) await stock(id, 200);
        const random = prng(18);
        const pick = () => {
          const picked = [...ids].sort(() => random() - 0.5).slice(0, 4 + Math.floor(random() * 5));
          // Reversed (variant id descending): the opposite of the order the locks are taken in.
          return picked.sort((a, b) => (a < b ? 1 : -1)).map((variantId) => ({ variantId, quantity: 1 + Math.floor(random() * 2) }));
        };
        const held: { id: string; lines: ReserveLine[] }[] = [];
        for (let i = 0; i < 40; i++) {
          const lines = pick();
          held.push({ id: (await reserve(`settle-${i}`, lines)).id, lines });
        }
        const fresh = Array.from({ length: 120 }, (_, i) => ({ reference: `during-${i}`, lines: pick() }));
        const work: Promise<unknown>[] = [];
        for (let i = 0; i < fresh.length; i++) {
          work.push(reserve(fresh[i]!.reference, fresh[i]!.lines));
          const settled = held[i / 3];
          if (i % 3 === 0 && settled) {
            const commit = (i / 3) % 2 === 0;
            work.push(pdb.transaction((tx) => (commit ? inventory.commitReservation(tx, settled.id) : inventory.releaseReservation(tx, settled.id, 'cancelled'))));
          }
        }
        const results = await Promise.allSettled(work);
        const codes = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => problemCode(r.reason) ?? String(r.reason));
        assert.deepEqual([...new Set(codes)].filter((c) => c !== '409:out_of_stock'), [], 'only out-of-stock refusals (a deadlock would show as an unexpected error)');
        const onHand = new Map(ids.map((id) => [id, 200]));
        const reserved = new Map(ids.map((id) => [id, 0]));
        held.forEach((h, i) => {
          if (i % 2 === 0) for (const l of h.lines) onHand.set(l.variantId, onHand.get(l.variantId)! - l.quantity);
        });
        const reservations = await Promise.all(fresh.map((f) => inventory.listReservations(pdb, { reference: f.reference })));
        let succeeded = 0;
        reservations.forEach((list, i) => {
          if (list.items.length === 0) return;
          succeeded += 1;
          for (const l of fresh[i]!.lines) reserved.set(l.variantId, reserved.get(l.variantId)! + l.quantity);
        });
        for (const id of ids) {
          assert.deepEqual(await level(id), { onHand: onHand.get(id), reserved: reserved.get(id), available: onHand.get(id)! - reserved.get(id)! }, `level of ${id}`);
        }
        assert.equal(succeeded + codes.length, fresh.length);
        console.log(`[${env.engine}] 120 reservations with 20 commits and 20 releases over 8 variants: ${succeeded} reserved, ${codes.length} out of stock, 0 deadlocks`);
      });
    });

    describe('reservation lifecycle', () => {
      it('releases once (idempotent) and gives the stock back; a retried reserve returns the same hold', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 10);
        const held = await reserve('cart-release', [{ variantId: variantId!, quantity: 3 }]);
        assert.equal(held.status, 'active');
        const again = await reserve('cart-release', [{ variantId: variantId!, quantity: 3 }]);
        assert.equal(again.id, held.id);
        await assert.rejects(reserve('cart-release', [{ variantId: variantId!, quantity: 4 }]), (e: unknown) => problemCode(e) === '409:reservation_exists');
        assert.deepEqual(await level(variantId!), { onHand: 10, reserved: 3, available: 7 });
        const released = await pdb.transaction((tx) => inventory.releaseReservation(tx, held.id, 'payment_failed'));
        assert.equal(released.status, 'released');
        assert.equal(released.releaseReason, 'payment_failed');
        assert.deepEqual(await level(variantId!), { onHand: 10, reserved: 0, available: 10 });
        const before = await inventoryFingerprint(env);
        const twice = await pdb.transaction((tx) => inventory.releaseReservation(tx, held.id, 'cancelled'));
        assert.equal(twice.status, 'released');
        assert.equal(twice.releaseReason, 'payment_failed');
        assert.equal(await inventoryFingerprint(env), before);
        await assert.rejects(pdb.transaction((tx) => inventory.commitReservation(tx, held.id)), (e: unknown) => problemCode(e) === '409:reservation_not_active');
        const timers = await env.souk.database.query<{ n: number }>(`select count(*)::int as n from event_timers where payload ->> 'reservationId' = $1`, [held.id]);
        assert.equal(timers[0]!.n, 0, 'the expiry timer is cancelled');
      });

      it('commits: the units leave stock with a ledger row; committing twice changes nothing; release is refused', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 10);
        const held = await reserve('order-commit', [{ variantId: variantId!, quantity: 4 }]);
        const committed = await pdb.transaction((tx) => inventory.commitReservation(tx, held.id));
        assert.equal(committed.status, 'committed');
        assert.deepEqual(await level(variantId!), { onHand: 6, reserved: 0, available: 6 });
        const before = await inventoryFingerprint(env);
        assert.equal((await pdb.transaction((tx) => inventory.commitReservation(tx, held.id))).status, 'committed');
        assert.equal(await inventoryFingerprint(env), before);
        await assert.rejects(pdb.transaction((tx) => inventory.releaseReservation(tx, held.id)), (e: unknown) => problemCode(e) === '409:reservation_committed');
        const ledger = await inventory.listLedger(pdb, { variantId: variantId! });
        assert.deepEqual(
          ledger.items.map((e) => [e.kind, e.delta, e.onHandAfter, e.reference]),
          [
            ['commit', -4, 6, 'order-commit'],
            ['set', 10, 10, null],
          ],
        );
      });

      it('expires a hold when its timer fires: released once, stock back; a redelivered timer event changes nothing', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 5);
        const expiring = await reserve('expiring', [{ variantId: variantId!, quantity: 2 }], 1);
        const paid = await reserve('paid-in-time', [{ variantId: variantId!, quantity: 1 }]);
        await pdb.transaction((tx) => inventory.commitReservation(tx, paid.id));
        const expired = await waitFor(
          'the hold to expire',
          async () => {
            const r = await inventory.getReservation(pdb, expiring.id);
            return r?.status === 'expired' ? r : undefined;
          },
          30_000,
          50,
        );
        assert.equal(expired?.releaseReason, 'expired');
        assert.deepEqual(await level(variantId!), { onHand: 4, reserved: 0, available: 4 });
        assert.equal((await inventory.getReservation(pdb, paid.id))?.status, 'committed');

        // The same timer event again (a redelivery, a replay) and one for the committed hold: both no-ops.
        const before = await inventoryFingerprint(env);
        const eventIds = await Promise.all(
          [expiring.id, paid.id].map((reservationId) => env.souk.events.emit(pdb, 'inventory.reservation.expire', { reservationId }, { key: reservationId })),
        );
        await waitFor(
          'the expiry consumer to handle both events',
          async () =>
            (await env.souk.database.query<{ n: number }>(`select count(*)::int as n from event_inbox where consumer = 'inventory.expiry' and event_id = any($1::uuid[])`, [eventIds]))[0]!.n === 2,
          30_000,
          50,
        );
        assert.equal(await inventoryFingerprint(env), before);
        const again = await pdb.transaction((tx) => inventory.releaseReservation(tx, expiring.id));
        assert.equal(again.status, 'expired');
        assert.deepEqual(await level(variantId!), { onHand: 4, reserved: 0, available: 4 });
      });

      it('lists and reads reservations over HTTP, commits and releases them', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 5);
        const created = await admin({ method: 'POST', url: adminUrl('/reservations'), payload: { reference: 'phone-1', lines: [{ variantId, quantity: 2 }], holdSeconds: 600 } });
        assert.equal(created.statusCode, 201, created.body);
        const id = created.json<Reservation>().id;
        const fetched = await admin({ url: adminUrl(`/reservations/${id}`) });
        assert.equal(fetched.statusCode, 200);
        assert.equal(fetched.json().reference, 'phone-1');
        const listed = await admin({ url: adminUrl('/reservations?reference=phone-1&status=active') });
        assert.deepEqual(listed.json().items.map((r: Reservation) => r.id), [id]);
        const released = await admin({ method: 'POST', url: adminUrl(`/reservations/${id}/release`), payload: { reason: 'cancelled' } });
        assert.equal(released.statusCode, 200, released.body);
        assert.equal(released.json().status, 'released');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/reservations/${id}/commit`) }), 409, 'reservation_not_active');
        expectProblem(await admin({ url: adminUrl('/reservations/01900000-0000-7000-8000-000000000000') }), 404, 'reservation_not_found');
        const page1 = await admin({ url: adminUrl('/reservations?limit=2') });
        assert.equal(page1.json().items.length, 2);
        const page2 = await admin({ url: adminUrl(`/reservations?limit=2&cursor=${page1.json().nextCursor}`) });
        assert.ok(page2.json().items[0].id < page1.json().items[1].id);
        expectProblem(await admin({ url: adminUrl('/reservations?cursor=bogus') }), 400, 'invalid_cursor');
      });
    });

    describe('adjustments and the ledger', () => {
      it('sets and adjusts stock with reasons, refuses going below zero or below reserved, and pages the ledger', async () => {
        const [variantId] = await variants(1);
        const set = await admin({ method: 'PUT', url: adminUrl(`/levels/${variantId}`), payload: { onHand: 10, reason: 'initial count' } });
        assert.equal(set.statusCode, 200, set.body);
        assert.equal(set.json().level.available, 10);
        assert.equal(set.json().entry.actor.startsWith('admin_user:'), true);
        const adjusted = await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: -3, reason: 'damaged in storage', reference: 'audit-7' } });
        assert.equal(adjusted.statusCode, 200, adjusted.body);
        assert.deepEqual([adjusted.json().level.onHand, adjusted.json().entry.delta, adjusted.json().entry.reason], [7, -3, 'damaged in storage']);

        await reserve('hold-5', [{ variantId: variantId!, quantity: 5 }]);
        const before = await inventoryFingerprint(env);
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: -8, reason: 'lost' } }), 409, 'stock_negative');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: -3, reason: 'lost' } }), 409, 'stock_below_reserved');
        expectProblem(await admin({ method: 'PUT', url: adminUrl(`/levels/${variantId}`), payload: { onHand: 4, reason: 'recount' } }), 409, 'stock_below_reserved');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: 5 } }), 400, 'validation_failed');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: 0, reason: 'nothing' } }), 400, 'invalid_delta');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: 5, reason: '   ' } }), 400);
        expectProblem(await admin({ method: 'PUT', url: adminUrl(`/levels/${variantId}`), payload: { onHand: 2_000_000_000, reason: 'absurd' } }), 400);
        expectProblem(
          await admin({ method: 'POST', url: adminUrl(`/levels/${variantId}/adjust`), payload: { delta: 5, reason: 'x', locationId: '01900000-0000-7000-8000-000000000000' } }),
          404,
          'location_not_found',
        );
        assert.equal(await inventoryFingerprint(env), before);

        const full = await admin({ url: adminUrl(`/ledger?variantId=${variantId}`) });
        assert.deepEqual(full.json().items.map((e: { delta: number }) => e.delta), [-3, 10]);
        const page1 = await admin({ url: adminUrl(`/ledger?variantId=${variantId}&limit=1`) });
        assert.equal(page1.json().items[0].delta, -3);
        const page2 = await admin({ url: adminUrl(`/ledger?variantId=${variantId}&limit=1&cursor=${page1.json().nextCursor}`) });
        assert.equal(page2.json().items[0].delta, 10);
        assert.equal(page2.json().nextCursor, null);
        const view = await admin({ url: adminUrl(`/levels/${variantId}`) });
        assert.deepEqual([view.json().onHand, view.json().reserved, view.json().available], [7, 5, 2]);
        // The lists name the variant as a person knows it: its SKU and product title, from the catalog.
        const listed = (await admin({ url: adminUrl(`/levels?variantId=${variantId}`) })).json().items[0];
        assert.match(listed.sku, /^inv-p\d+-S0$/);
        assert.equal(listed.productTitle, listed.sku.replace(/-S0$/, ''));
        assert.ok(full.json().items.every((e: { sku: string }) => e.sku === listed.sku));
        // The ledger is append-only, in the database itself.
        await assert.rejects(env.souk.database.execute('update inventory_ledger set delta = 0'), /append-only/);
      });

      it('keeps on hand equal to the sum of its ledger deltas', async () => {
        const rows = await env.souk.database.query<{ variant_id: string; on_hand: number; total: number }>(
          `select l.variant_id, l.on_hand, coalesce((select sum(delta) from inventory_ledger g
             where g.platform_id = l.platform_id and g.variant_id = l.variant_id and g.location_id = l.location_id), 0)::int as total
           from inventory_levels l`,
        );
        assert.ok(rows.length > 5);
        for (const r of rows) assert.equal(r.total, r.on_hand, `ledger of ${r.variant_id}`);
      });

      it('emits inventory.low when available falls to the threshold and inventory.out_of_stock at zero, once each', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 8);
        const adjust = (delta: number) => pdb.transaction((tx) => inventory.adjustStock(tx, { variantId: variantId!, delta, reason: 'sold elsewhere', actor }));
        await adjust(-2);
        assert.equal(await eventCount('inventory.low', variantId!), 0);
        await adjust(-1);
        assert.equal(await eventCount('inventory.low', variantId!), 1);
        await adjust(-1);
        assert.equal(await eventCount('inventory.low', variantId!), 1);
        await adjust(-4);
        assert.equal(await eventCount('inventory.out_of_stock', variantId!), 1);
        assert.equal(await eventCount('inventory.low', variantId!), 1);
      });

      it('lists levels by variant and low stock, and manages locations', async () => {
        const [plenty, scarce] = await variants(2);
        await stock(plenty!, 100);
        await stock(scarce!, 2);
        const low = await admin({ url: adminUrl('/levels?lowStock=true&limit=100') });
        const lowIds = low.json().items.map((l: { variantId: string }) => l.variantId);
        assert.ok(lowIds.includes(scarce) && !lowIds.includes(plenty));
        const one = await admin({ url: adminUrl(`/levels?variantId=${plenty}`) });
        assert.deepEqual(one.json().items.map((l: { onHand: number; locationCode: string }) => [l.onHand, l.locationCode]), [[100, 'default']]);
        const page = await admin({ url: adminUrl('/levels?limit=2') });
        const next = await admin({ url: adminUrl(`/levels?limit=2&cursor=${page.json().nextCursor}`) });
        assert.equal(next.statusCode, 200);
        assert.ok(!next.json().items.some((l: { variantId: string }) => page.json().items.some((p: { variantId: string }) => p.variantId === l.variantId)));

        const created = await admin({ method: 'POST', url: adminUrl('/locations'), payload: { code: 'warehouse-2', name: 'Second warehouse' } });
        assert.equal(created.statusCode, 201, created.body);
        expectProblem(await admin({ method: 'POST', url: adminUrl('/locations'), payload: { code: 'warehouse-2', name: 'Again' } }), 409, 'location_exists');
        expectProblem(await admin({ method: 'POST', url: adminUrl('/locations'), payload: { code: 'default', name: 'Mine' } }), 409, 'location_code_reserved');
        const locationId = created.json().id;
        const put = await admin({ method: 'PUT', url: adminUrl(`/levels/${scarce}`), payload: { onHand: 7, reason: 'transfer in', locationId } });
        assert.equal(put.statusCode, 200, put.body);
        const view = await admin({ url: adminUrl(`/levels/${scarce}`) });
        assert.deepEqual(view.json().levels.map((l: { locationCode: string; onHand: number }) => [l.locationCode, l.onHand]), [['default', 2], ['warehouse-2', 7]]);
        assert.equal(view.json().available, 9);
        // A line for the second location takes from it only.
        await assert.rejects(reserve('loc-too-many', [{ variantId: scarce!, quantity: 8, locationId }]), (e: unknown) => problemCode(e) === '409:out_of_stock');
        const held = await reserve('loc-ok', [{ variantId: scarce!, quantity: 7, locationId }, { variantId: scarce!, quantity: 2 }]);
        assert.equal(held.lines.length, 2);
        const listed = await admin({ url: adminUrl('/locations') });
        assert.deepEqual(listed.json().items.map((l: { code: string }) => l.code), ['default', 'warehouse-2']);
      });
    });

    describe('bad input changes nothing', () => {
      it('refuses unknown, foreign and malformed variants and absurd quantities with 4xx', async () => {
        const [variantId] = await variants(1);
        await stock(variantId!, 5);
        const [foreign] = await variants(1, other);
        const snapshot = await inventoryFingerprint(env);
        const unknown = '01900000-0000-7000-8000-0000000000aa';
        const cases: Array<[ReserveLine[], string]> = [
          [[{ variantId: unknown, quantity: 1 }], '400:unknown_variant'],
          [[{ variantId: foreign!, quantity: 1 }], '400:unknown_variant'],
          [[{ variantId: variantId!, quantity: 1 }, { variantId: unknown, quantity: 1 }], '400:unknown_variant'],
          [[{ variantId: variantId!, quantity: 0 }], '400:invalid_quantity'],
          [[{ variantId: variantId!, quantity: -2 }], '400:invalid_quantity'],
          [[{ variantId: variantId!, quantity: 1.5 }], '400:invalid_quantity'],
          [[{ variantId: variantId!, quantity: 1_000_000_000 }], '400:invalid_quantity'],
          [[{ variantId: 'not-a-uuid', quantity: 1 }], '400:invalid_variant'],
          [[], '400:invalid_lines'],
        ];
        for (const [lines, code] of cases) {
          await assert.rejects(reserve('bad', lines), (e: unknown) => {
            assert.equal(problemCode(e), code, JSON.stringify(lines));
            return true;
          });
        }
        for (const payload of [
          { reference: 'bad', lines: [{ variantId, quantity: 0 }] },
          { reference: 'bad', lines: [{ variantId, quantity: 1_000_000 }] },
          { reference: 'bad', lines: [{ variantId: 'nope', quantity: 1 }] },
          { reference: '', lines: [{ variantId, quantity: 1 }] },
          { reference: 'bad', lines: [{ variantId, quantity: 1 }], holdSeconds: 0 },
        ]) {
          expectProblem(await admin({ method: 'POST', url: adminUrl('/reservations'), payload }), 400);
        }
        expectProblem(await admin({ method: 'POST', url: adminUrl('/reservations'), payload: { reference: 'bad', lines: [{ variantId: foreign, quantity: 1 }] } }), 400, 'unknown_variant');
        expectProblem(await admin({ method: 'PUT', url: adminUrl(`/levels/${foreign}`), payload: { onHand: 5, reason: 'not mine' } }), 404, 'variant_not_found');
        expectProblem(await admin({ url: adminUrl(`/levels/${foreign}`) }), 404, 'variant_not_found');
        expectProblem(await admin({ method: 'POST', url: adminUrl(`/levels/${unknown}/adjust`), payload: { delta: 1, reason: 'ghost' } }), 404, 'variant_not_found');
        assert.equal(await inventoryFingerprint(env), snapshot);
        // Caught and swallowed by the caller: the compensation inside reserveStock still left nothing behind.
        const [short] = await variants(1);
        await stock(short!, 1);
        const reservationsBefore = await inventory.listReservations(pdb, { limit: 100 });
        await pdb.transaction(async (tx) => {
          await inventory.reserveStock(tx, { reference: 'swallowed', lines: [{ variantId: variantId!, quantity: 1 }, { variantId: short!, quantity: 2 }] }).catch(() => undefined);
        });
        assert.deepEqual(await inventory.listReservations(pdb, { limit: 100 }), reservationsBefore);
        assert.deepEqual(await level(short!), { onHand: 1, reserved: 0, available: 1 });
        assert.deepEqual(await level(variantId!), { onHand: 5, reserved: 0, available: 5 });
      });

      it("keeps other platforms' admins out and support read-only", async () => {
        const [variantId] = await variants(1);
        expectProblem(await asBearer(env.app, other.adminToken, { url: adminUrl('/levels') }), 404, 'platform_not_found');
        expectProblem(await asBearer(env.app, other.adminToken, { method: 'PUT', url: adminUrl(`/levels/${variantId}`), payload: { onHand: 1, reason: 'x' } }), 404);
        assert.equal((await asBearer(env.app, shop.supportToken, { url: adminUrl('/levels') })).statusCode, 200);
        expectProblem(await asBearer(env.app, shop.supportToken, { method: 'PUT', url: adminUrl(`/levels/${variantId}`), payload: { onHand: 1, reason: 'x' } }), 403, 'read_only_role');
        const plain = await createTestPlatform(env, { slug: 'inv-off', modules: ['catalog'] });
        expectProblem(await asBearer(env.app, plain.adminToken, { url: '/admin/platforms/inv-off/inventory/levels' }), 404, 'module_disabled');
      });

      it('validates settings.inventory', async () => {
        const bad = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: '/admin/platforms/inv-other', payload: { settings: { inventory: { lowStockThreshold: -1 } } } });
        expectProblem(bad, 400, 'invalid_settings');
        const good = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: '/admin/platforms/inv-other', payload: { settings: { inventory: { lowStockThreshold: 1, reservationHoldSeconds: 60 } } } });
        assert.equal(good.statusCode, 200, good.body);
      });
    });

    describe('storefront', () => {
      it('shows availability of published variants only', async () => {
        const [published] = await variants(1);
        const [draft] = await variants(1, shop, 'draft');
        await stock(published!, 4);
        await stock(draft!, 4);
        await reserve('store-hold', [{ variantId: published!, quantity: 1 }]);
        const [foreign] = await variants(1, other);
        const res = await env.app.inject({ url: `/store/inventory/availability?variantIds=${published},${draft},${foreign}`, headers: shop.store });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json().items, [{ variantId: published, available: 3, inStock: true }]);
        expectProblem(await env.app.inject({ url: '/store/inventory/availability?variantIds=nope', headers: shop.store }), 400);
      });
    });
  },
  { eventsPollMs: 20 },
);
