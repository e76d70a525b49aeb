// `souk db move --mode smooth` while the shop sells: a Souk node in a child process serves a PostgreSQL
// shop and shoppers keep checking out (some with a coupon that runs out) before, during and after the
// move. The first mover is killed with SIGKILL in the middle of the copy; the same command resumes it
// and switches. Then: the old database refuses every write with a message naming the new one (HTTP 503
// database_moved), the remaining checkouts go to a node on the new database, and there every order the
// shoppers were told about exists exactly once (and no other), the independent commerce checker finds
// stock, holds, coupon uses and orders consistent, no change tracking is left on the old database, and
// no checkout waited longer than the freeze the report gave (plus slack for a busy machine).
// PostgreSQL only (skipped without DATABASE_URL).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTempPostgres, engines, loginAsNewOwner, testConfig, type TestEnv } from './harness.ts';
import { createShop, readyCart, stockedVariants } from './commerce.ts';
import { startSoukNode } from './souk-node-process.ts';
import { waitFor } from './wait.ts';
import { checkoutAttempt, runMoveCommand, sql, type CheckoutAttempt, type MoveCommand } from './db-move-helpers.ts';
import { createSouk } from '../src/server.ts';
import { checkCommerce, formatReport } from '../scripts/check-commerce.ts';

const onPostgres = engines().includes('postgres');

function startMover(source: string, target: string, extra: string[] = []): MoveCommand {
  return runMoveCommand(target, { DATABASE_URL: source }, extra);
}

type Attempt = CheckoutAttempt;

describe('souk db move --mode smooth [postgres]', { skip: onPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('moves a selling shop, survives a SIGKILL of the mover, and loses or doubles no order', { timeout: 300_000 }, async () => {
    const CARTS = 300;
    const SHOPPERS = 3;
    const source = await createTempPostgres();
    const target = await createTempPostgres();
    cleanups.push(() => source.drop(), () => target.drop());

    // The shop, seeded through an API-only Souk on the source database.
    const souk = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: source.url, eventsWorker: false } });
    cleanups.push(() => souk.close());
    const env: TestEnv = { engine: 'postgres', souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
    const shop = await createShop(env, 'smooth-shop');
    const variants = await stockedVariants(shop, 4, 200, 1000);
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'SMOOTH10', kind: 'percentage', percent: 10, usageLimit: 25 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
    const carts: string[] = [];
    for (let from = 0; from < CARTS; from += 10) {
      carts.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, CARTS - from) }, (_, j) => {
            const i = from + j;
            return readyCart(shop, [{ variantId: variants[i % 4]!, quantity: 1 + (i % 2) }], { email: `buyer${i}@smooth.test`, ...(i % 3 === 0 ? { coupon: 'SMOOTH10' } : {}) });
          }),
        )),
      );
    }

    const node = await startSoukNode('source', { DATABASE_URL: source.url, SOUK_EVENTS_TRANSPORT: 'embedded', SOUK_SANDBOX_WEBHOOK_SECRET: '' });
    cleanups.push(() => node.stop());
    const store = { 'x-publishable-key': shop.platform.publishableKey, 'content-type': 'application/json' };

    // Shoppers: one checkout after another, on whichever node `base` names.
    let base = node.base;
    let phase: Attempt['phase'] = 'before';
    let stopped = false;
    const queue = [...carts];
    const attempts: Attempt[] = [];
    const refused: Attempt[] = [];
    const checkoutOn = (at: string, attempt: Attempt) => checkoutAttempt(at, store, attempt);
    const shopper = async () => {
      while (!stopped) {
        const cartId = queue.shift();
        if (!cartId) return;
        const attempt: Attempt = { cartId, key: `k-${cartId}`, phase };
        attempts.push(attempt);
        await checkoutOn(base, attempt).catch((error: unknown) => {
          attempt.status = 0;
          attempt.code = `no answer: ${String(error)}`;
        });
        if (attempt.code === 'database_moved' || attempt.status === 0) refused.push(attempt);
        else assert.ok(attempt.status! < 500, `checkout answered ${attempt.status} ${attempt.code}`);
        await sleep(250);
      }
    };
    const shoppers = Promise.all(Array.from({ length: SHOPPERS }, shopper));
    await waitFor('checkouts before the move', async () => attempts.filter((a) => a.status).length >= 10, 60_000, 50);

    // The first mover, slowed down, killed in the middle of the copy.
    phase = 'during';
    const first = startMover(source.url, target.url, ['--throttle-ms', '40']);
    await waitFor('the copy to be under way', async () => (first.stderr().match(/copied /g) ?? []).length >= 5, 120_000, 20);
    first.kill();
    const killed = await first.exit;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const [copied] = await sql<{ n: number }>(target.url, 'select count(*)::int as n from souk_move_copied');
    const [tracked] = await sql<{ n: number }>(source.url, `select count(*)::int as n from pg_trigger where tgname = 'souk_move_track'`);
    assert.ok(copied!.n >= 5 && copied!.n < tracked!.n, `killed mid-copy: ${copied!.n} of ${tracked!.n} tables copied`);

    // The same command resumes and switches.
    const second = await startMover(source.url, target.url).exit;
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stderr, /resuming the move started earlier/);
    assert.match(second.stdout, /resumed: tables copied before the stop were kept/);
    assert.doesNotMatch(second.stdout, /DIFFERS/);
    assert.match(second.stdout, /ok +orders +smooth-shop/);
    assert.match(second.stdout, /Switched\. Start Souk with DATABASE_URL=/);
    const freeze = Number(/Writes were paused for ([\d.]+) s/.exec(second.stdout)?.[1]);
    assert.ok(freeze > 0 && freeze < 10, `freeze of ${freeze} s`);

    // The old database refuses writes, naming the new one; its node answers 503 database_moved.
    phase = 'after';
    await waitFor('the old node to refuse checkouts', async () => refused.length >= 2 || queue.length === 0, 60_000, 50);
    stopped = true;
    await shoppers;
    assert.ok(refused.length >= 1, 'the old node took checkouts after the switch');
    assert.deepEqual(refused.filter((a) => a.status === 0).map((a) => a.code), [], 'the old node stopped answering');
    await assert.rejects(sql(source.url, `delete from platforms where false`), /This database was moved to postgres:\/\/.*\(souk db move\)/);
    assert.deepEqual(await sql(source.url, `select tgrelid::regclass::text as t from pg_trigger where tgname = 'souk_move_track'`), []);
    assert.deepEqual(await sql(source.url, `select to_regclass('souk_move_changes') as t`), [{ t: null }]);
    assert.deepEqual(await sql(target.url, `select to_regclass('souk_move_progress') as t`), [{ t: null }]);

    // The rest of the shoppers (and those refused) check out on a node on the new database.
    const moved = await startSoukNode('target', { DATABASE_URL: target.url, SOUK_EVENTS_TRANSPORT: 'embedded', SOUK_SANDBOX_WEBHOOK_SECRET: '' });
    cleanups.push(() => moved.stop());
    base = moved.base;
    for (const attempt of refused) {
      await checkoutOn(base, attempt);
      assert.ok(attempt.status! < 500, `retry on the new database answered ${attempt.status} ${attempt.code}`);
    }
    stopped = false;
    await Promise.all(Array.from({ length: SHOPPERS }, shopper));

    // Every acknowledged order exactly once in the target, and no other order.
    const acknowledged = attempts.filter((a) => a.orderId);
    const during = acknowledged.filter((a) => a.phase === 'during');
    assert.ok(during.length > 0, 'no checkout was acknowledged during the move');
    const orders = await sql<{ id: string; cart_id: string }>(target.url, 'select id::text as id, cart_id::text as cart_id from orders');
    assert.deepEqual(orders.map((o) => o.id).sort(), acknowledged.map((a) => a.orderId!).sort());
    assert.equal(new Set(orders.map((o) => o.cart_id)).size, orders.length, 'a cart made two orders');
    for (const a of acknowledged) assert.ok(orders.some((o) => o.id === a.orderId && o.cart_id === a.cartId), `order ${a.orderId} is not its cart's`);
    // No checkout waited much longer than the reported freeze.
    const slowest = Math.max(...during.map((a) => a.ms!));
    assert.ok(slowest < freeze * 1000 + 5_000, `a checkout during the move took ${slowest.toFixed(0)} ms; the freeze was ${freeze} s`);

    // Stock, holds, coupon uses and orders agree (the independent checker, on the new database).
    const report = await checkCommerce(target.url, { platform: shop.slug, initialStock: Object.fromEntries(variants.map((v) => [v, 200])) });
    assert.equal(report.ok, true, formatReport(report));
    const [uses] = await sql<{ n: number }>(target.url, `select times_used as n from promotions_coupons where code = 'SMOOTH10'`);
    assert.ok(uses!.n <= 25 && uses!.n > 0, `coupon used ${uses!.n} times`);
    console.log(`smooth move: ${acknowledged.length} orders (${during.length} during the move), freeze ${freeze} s, slowest checkout during it ${slowest.toFixed(0)} ms`);
  });
});
