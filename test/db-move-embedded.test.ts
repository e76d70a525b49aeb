// A running embedded (PGlite) shop moved to PostgreSQL by its own server (POST /admin/db/move, driven
// by `souk db move --mode smooth`), while shoppers keep checking out over HTTP before, during and after
// the move. The server is SIGKILLed in the middle of the copy and started again; the same command then
// resumes the move and switches, and the server carries on against PostgreSQL without a restart. Then:
// every order the shoppers were told about is in the new database exactly once (and no other), the
// independent commerce checker finds stock, holds, coupon uses and orders consistent, no checkout was
// refused or waited longer than the freeze the report gave (plus slack), the embedded database refuses
// writes and keeps no change tracking, and a restart on the data directory serves from PostgreSQL.
// The route is owner-only. PostgreSQL only (the target; skipped without DATABASE_URL).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asBearer, createTempPostgres, engines, loginAsNewOwner, startTestSouk, testConfig, type TestEnv } from './harness.ts';
import { createShop, readyCart, stockedVariants } from './commerce.ts';
import { startSoukNode, type SoukNode } from './souk-node-process.ts';
import { waitFor } from './wait.ts';
import { checkoutAttempt, runMoveCommand, sql, type CheckoutAttempt, type MoveCommand } from './db-move-helpers.ts';
import { createSouk } from '../src/server.ts';
import { openPglite } from '../src/kernel/db/pglite.ts';
import { movedTo, MOVED_MARKER_FILE } from '../src/kernel/db/moved.ts';
import { checkCommerce, formatReport } from '../scripts/check-commerce.ts';
import { digestTable } from '../src/kernel/db/move/verify.ts';
import { digestByPages } from '../src/modules/migration/move/pre-verify.ts';

const onPostgres = engines().includes('postgres');

function runMove(dataDir: string, server: string, target: string, ownerToken: string, extra: string[] = []): MoveCommand {
  return runMoveCommand(target, { DATABASE_URL: '', SOUK_DATA_DIR: dataDir, SOUK_API_KEY: ownerToken }, ['--url', server, ...extra]);
}

type Attempt = CheckoutAttempt;

describe('the pre-verification of a move', () => {
  it('digests an embedded table a page at a time into the same lines as in one statement', async () => {
    const db = await openPglite(undefined);
    try {
      await db.script(`create table t (platform_id uuid, id int, note text, at timestamptz, primary key (platform_id, id));
        insert into t select case when g % 3 = 0 then '00000000-0000-0000-0000-000000000001'::uuid else '00000000-0000-0000-0000-000000000002'::uuid end,
          g, case when g % 7 = 0 then null else '名' || g end, now() - make_interval(secs => g) from generate_series(1, 12345) g;`);
      const table = { name: 't', columns: ['platform_id', 'id', 'note', 'at'], perPlatform: true, key: ['platform_id', 'id'] };
      const byPages = await digestByPages(db, table);
      assert.equal(byPages.length, 2);
      assert.deepEqual(byPages, await digestTable(db, table));
      await db.query(`update t set note = 'changed' where id = 9000`);
      assert.notDeepEqual(await digestByPages(db, table), byPages);
    } finally {
      await db.close();
    }
  });
});

describe('a running embedded shop moved to PostgreSQL by its server', { skip: onPostgres ? false : 'needs PostgreSQL (DATABASE_URL) as the target' }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('the move routes are the owner\'s: a platform admin gets 403; a PostgreSQL server is told to use the CLI; a bad target is a 422', async () => {
    const embedded = await startTestSouk('pglite');
    cleanups.push(() => embedded.close());
    const env: TestEnv = { engine: 'pglite', souk: embedded.souk, app: embedded.souk.app, ownerToken: await loginAsNewOwner(embedded.souk) };
    const shop = await createShop(env, 'move-routes');
    for (const token of [shop.platform.adminToken, shop.platform.supportToken]) {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const res = await asBearer(env.app, token, { method, url: '/admin/db/move', ...(method === 'POST' ? { payload: { to: process.env.DATABASE_URL, mode: 'smooth' } } : {}) });
        assert.equal(res.statusCode, 403, `${method} ${res.body}`);
        // A support user's writes are refused first as read-only; every other answer is owner_only.
        assert.ok(res.json().code === 'owner_only' || (token === shop.platform.supportToken && method !== 'GET' && res.json().code === 'read_only_role'), res.body);
      }
    }
    const none = await asBearer(env.app, env.ownerToken, { method: 'GET', url: '/admin/db/move' });
    assert.equal(none.statusCode, 404, none.body);
    assert.equal(none.json().code, 'database_move_not_found');
    const badUrl = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/db/move', payload: { to: 'mysql://x@y/z', mode: 'smooth' } });
    assert.equal(badUrl.statusCode, 422, badUrl.body);
    assert.equal(badUrl.json().code, 'database_move_target_refused');
    const unreachable = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/db/move', payload: { to: 'postgres://nobody@127.0.0.1:1/none', mode: 'smooth' } });
    assert.equal(unreachable.statusCode, 422, unreachable.body);
    const fullStop = await asBearer(env.app, env.ownerToken, { method: 'POST', url: '/admin/db/move', payload: { to: process.env.DATABASE_URL, mode: 'full-stop' } });
    assert.equal(fullStop.statusCode, 400, fullStop.body);
    assert.equal((await asBearer(env.app, env.ownerToken, { method: 'GET', url: '/admin/db/move' })).statusCode, 404, 'a refused move left a move behind');

    const onPg = await startTestSouk('postgres');
    cleanups.push(() => onPg.close());
    const pgOwner = await loginAsNewOwner(onPg.souk);
    const refused = await asBearer(onPg.souk.app, pgOwner, { method: 'POST', url: '/admin/db/move', payload: { to: process.env.DATABASE_URL, mode: 'smooth' } });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().code, 'database_move_not_embedded');
  });

  it('moves a selling embedded shop, survives a SIGKILL of the server mid-copy, and loses or doubles no order', { timeout: 400_000 }, async () => {
    const CARTS = 300;
    const AFTER = 20; // carts checked out after the switch, on the same server
    const LATE = 5; // carts kept for the restart on the moved data directory
    const SHOPPERS = 3;
    const dataDir = mkdtempSync(join(tmpdir(), 'souk-move-embedded-'));
    const target = await createTempPostgres();
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }), () => target.drop());

    // The shop, seeded in process on the data directory, which is then closed for the server to open.
    const seeding = await createSouk({ logger: false, config: { ...testConfig, seedDemo: false, databaseUrl: undefined, dataDir, eventsWorker: false } });
    const env: TestEnv = { engine: 'pglite', souk: seeding, app: seeding.app, ownerToken: await loginAsNewOwner(seeding) };
    const shop = await createShop(env, 'embedded-shop');
    const variants = await stockedVariants(shop, 4, 200, 1000);
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'MOVE10', kind: 'percentage', percent: 10, usageLimit: 25 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
    const carts: string[] = [];
    for (let i = 0; i < CARTS + AFTER + LATE; i += 1) {
      carts.push(await readyCart(shop, [{ variantId: variants[i % 4]!, quantity: 1 + (i % 2) }], { email: `buyer${i}@embedded.test`, ...(i < CARTS && i % 3 === 0 ? { coupon: 'MOVE10' } : {}) }));
    }
    const late = carts.splice(CARTS + AFTER);
    const afterCarts = carts.splice(CARTS);
    await seeding.close();

    const nodeEnv = { DATABASE_URL: '', SOUK_DATA_DIR: dataDir, SOUK_EVENTS_TRANSPORT: 'embedded', SOUK_SANDBOX_WEBHOOK_SECRET: '', REDIS_URL: '', NATS_URL: '' };
    let node: SoukNode = await startSoukNode('embedded', nodeEnv);
    cleanups.push(() => node.stop());
    const store = { 'x-publishable-key': shop.platform.publishableKey, 'content-type': 'application/json' };

    // Shoppers: one checkout after another. A checkout nobody answered (the server was killed) is sent
    // again later with the same Idempotency-Key, so it is placed at most once either way.
    let phase: Attempt['phase'] = 'before';
    let stopped = false;
    const queue = [...carts];
    const attempts: Attempt[] = [];
    const unanswered: Attempt[] = [];
    const checkoutOn = (attempt: Attempt) => checkoutAttempt(node.base, store, attempt);
    const shopper = async () => {
      while (!stopped) {
        const cartId = queue.shift();
        if (!cartId) return;
        const attempt: Attempt = { cartId, key: `k-${cartId}`, phase };
        attempts.push(attempt);
        try {
          await checkoutOn(attempt);
          assert.ok(attempt.status! < 500, `checkout answered ${attempt.status} ${attempt.code}`);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          attempt.status = 0;
          attempt.code = `no answer: ${String(error)}`;
          unanswered.push(attempt);
          await sleep(200);
        }
        await sleep(150);
      }
    };
    let shoppers = Promise.all(Array.from({ length: SHOPPERS }, shopper));
    await waitFor('checkouts before the move', async () => attempts.filter((a) => a.status).length >= 10, 60_000, 50);

    // The first move, slowed down; the server is killed in the middle of its copy.
    phase = 'during';
    const first = runMove(dataDir, node.base, target.url, env.ownerToken, ['--throttle-ms', '40']);
    await waitFor('the copy to be under way', async () => (first.stderr().match(/copied /g) ?? []).length >= 5, 120_000, 20);
    await node.kill();
    const killed = await first.exit;
    assert.notEqual(killed.code, 0, killed.stderr);
    const [copied] = await sql<{ n: number }>(target.url, 'select count(*)::int as n from souk_move_copied');
    assert.ok(copied!.n >= 5, `killed mid-copy: ${copied!.n} tables copied`);

    // The server starts again on its embedded database (the change tracking is still there) and sells on.
    node = await startSoukNode('embedded-again', nodeEnv);
    stopped = true;
    await shoppers;
    stopped = false;
    for (const attempt of unanswered.splice(0)) {
      await checkoutOn(attempt);
      assert.ok(attempt.status! < 500, `retry answered ${attempt.status} ${attempt.code}`);
    }
    shoppers = Promise.all(Array.from({ length: SHOPPERS }, shopper));

    // The same command resumes the move and switches; the server carries on against PostgreSQL.
    const second = await runMove(dataDir, node.base, target.url, env.ownerToken).exit;
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stderr, /resuming the move started earlier/);
    assert.match(second.stdout, /resumed: tables copied before the stop were kept/);
    assert.doesNotMatch(second.stdout, /DIFFERS/);
    assert.match(second.stdout, /ok +orders +embedded-shop/);
    assert.match(second.stdout, /Switched\. The server now runs on postgres:/);
    const freeze = Number(/Writes were paused for ([\d.]+) s/.exec(second.stdout)?.[1]);
    assert.ok(freeze > 0 && freeze < 10, `freeze of ${freeze} s`);
    assert.ok(existsSync(join(dataDir, MOVED_MARKER_FILE)), 'no note of the move in the data directory');
    assert.equal(statSync(join(dataDir, MOVED_MARKER_FILE)).mode & 0o077, 0, 'the note (it holds the password) is readable by others');

    phase = 'after';
    stopped = true;
    await shoppers;
    stopped = false;
    const afterSwitch = attempts.length;
    queue.push(...afterCarts);
    await Promise.all(Array.from({ length: SHOPPERS }, shopper));
    assert.deepEqual(unanswered.map((a) => a.code), [], 'the moved server stopped answering');
    // Refused only when the coupon had run out (it is meant to), never because of the move.
    assert.deepEqual(attempts.filter((a) => a.status !== 200 && a.status !== 201 && a.code !== 'coupon_exhausted').map((a) => `${a.status} ${a.code}`), [], 'a checkout was refused');
    assert.ok(attempts.slice(afterSwitch).some((a) => a.orderId), 'no checkout after the switch');

    // Every acknowledged order exactly once in the target, and no other order.
    const acknowledged = attempts.filter((a) => a.orderId);
    const during = acknowledged.filter((a) => a.phase === 'during');
    assert.ok(during.length > 0, 'no checkout was acknowledged during the move');
    const orders = await sql<{ id: string; cart_id: string }>(target.url, 'select id::text as id, cart_id::text as cart_id from orders');
    assert.deepEqual(orders.map((o) => o.id).sort(), acknowledged.map((a) => a.orderId!).sort());
    assert.equal(new Set(orders.map((o) => o.cart_id)).size, orders.length, 'a cart made two orders');
    for (const a of acknowledged) assert.ok(orders.some((o) => o.id === a.orderId && o.cart_id === a.cartId), `order ${a.orderId} is not its cart's`);
    // What the shoppers saw of the freeze: nobody waited much longer than it (answered checkouts only; the
    // ones that spanned the kill were sent again).
    const slowest = Math.max(...acknowledged.filter((a) => a.phase !== 'before').map((a) => a.ms!));
    assert.ok(slowest < freeze * 1000 + 5_000, `a checkout took ${slowest.toFixed(0)} ms; the freeze was ${freeze} s`);

    const report = await checkCommerce(target.url, { platform: shop.slug, initialStock: Object.fromEntries(variants.map((v) => [v, 200])) });
    assert.equal(report.ok, true, formatReport(report));
    const [uses] = await sql<{ n: number }>(target.url, `select times_used as n from promotions_coupons where code = 'MOVE10'`);
    assert.ok(uses!.n <= 25 && uses!.n > 0, `coupon used ${uses!.n} times`);

    // The embedded database: refuses writes, names the new database, keeps no tracking; never emptied.
    await node.stop();
    const old = await openPglite(dataDir);
    try {
      assert.match((await movedTo(old))?.url ?? '', /^postgres:\/\//);
      await assert.rejects(old.query('delete from platforms where false'), /This database was moved to postgres:\/\/.*\(souk db move\)/);
      assert.deepEqual(await old.query(`select to_regclass('souk_move_changes')::text as t`), [{ t: null }]);
      const [kept] = await old.query<{ n: number }>('select count(*)::int as n from orders');
      assert.ok(kept!.n > 0 && kept!.n <= orders.length, `the embedded database keeps ${kept!.n} orders`);
    } finally {
      await old.close();
    }

    // Started again on the same data directory (no DATABASE_URL), the shop serves from PostgreSQL.
    node = await startSoukNode('restarted', nodeEnv);
    for (const cartId of late) {
      const attempt: Attempt = { cartId, key: `k-${cartId}`, phase: 'after' };
      await checkoutOn(attempt);
      assert.equal(attempt.status, 201, attempt.code);
      assert.equal((await sql(target.url, 'select 1 from orders where id = $1', [attempt.orderId])).length, 1, 'the order after the restart is not in PostgreSQL');
    }
    console.log(`embedded smooth move: ${acknowledged.length} orders (${during.length} during the move), freeze ${freeze} s, slowest checkout during or after it ${slowest.toFixed(0)} ms`);
  });
});
