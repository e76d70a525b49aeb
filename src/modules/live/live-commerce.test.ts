// The commerce half of live rooms with real WebSocket clients against a listening Souk: the gift
// catalogue, coin top-ups paid through the sandbox provider (credited once, whatever the webhook does),
// gifts debited exactly once per key (retried and concurrent, over the socket and over HTTP), refused
// when the balance is short, shown to the room, and kept apart between platforms.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { eachDatabase } from '../../../test/harness.ts';
import { createShop, COMMERCE_MODULES, expectProblem, registerCustomer, type Shop } from '../../../test/commerce.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { waitFor } from '../../../test/wait.ts';
import { paymentsModule, signedSandboxWebhook } from '../payments/index.ts';

const MODULES = [...COMMERCE_MODULES, 'live'];

eachDatabase('live commerce', (env) => {
  let baseUrl: string;
  let a: Shop;
  let b: Shop;
  const clients: LiveClient[] = [];

  const connect = async (shop: Shop, roomId: string, token?: string) => {
    const client = await LiveClient.connect(baseUrl, roomId, { 'x-publishable-key': shop.platform.publishableKey, ...(token ? { authorization: `Bearer ${token}` } : {}) });
    clients.push(client);
    await client.welcome();
    return client;
  };
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function liveRoom(shop: Shop, productIds: string[] = []): Promise<string> {
    const created = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/live/rooms`, payload: { title: 'Gift night', productIds } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    assert.equal((await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/live/rooms/${id}/start` })).statusCode, 200);
    return id;
  }

  async function gift(shop: Shop, priceCoins: number, name = 'Rose'): Promise<string> {
    const res = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/live/gifts`, payload: { name, priceCoins, iconUrl: 'https://img.test/rose.png' } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  }

  const coins = async (shop: Shop, token: string) => {
    const res = await shop.store({ method: 'GET', url: '/store/live/coins', headers: as(token) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { balance: number; ledger: Array<{ reason: string; delta: number; balanceAfter: number }> };
  };

  /** Buys coins through the sandbox: a top-up, its payment, and the signed "captured" webhook. */
  async function topUp(shop: Shop, token: string, amount: number): Promise<{ topUpId: string; paymentId: string }> {
    const res = await shop.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(token), payload: { coins: amount } });
    assert.equal(res.statusCode, 201, res.body);
    const { id, paymentId } = res.json();
    const signed = await signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId });
    const hook = await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
    assert.equal(hook.statusCode, 200, hook.body);
    return { topUpId: id, paymentId };
  }

  const sendGift = (shop: Shop, token: string, roomId: string, body: Record<string, unknown>, key: string) =>
    shop.store({ method: 'POST', url: `/store/live/rooms/${roomId}/gifts`, headers: { ...as(token), 'idempotency-key': key }, payload: body });

  before(async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await createShop(env, 'lc-a', undefined, MODULES);
    b = await createShop(env, 'lc-b', undefined, MODULES);
  });

  describe('the gift catalogue', () => {
    it('is managed by admins and lists only active gifts to the storefront', async () => {
      const rose = await gift(a, 10);
      const car = await gift(a, 5000, 'Sports car');
      const off = await a.admin({ method: 'PATCH', url: `/admin/platforms/${a.slug}/live/gifts/${car}`, payload: { active: false, priceCoins: 4000 } });
      assert.equal(off.statusCode, 200, off.body);
      assert.deepEqual([off.json().active, off.json().priceCoins], [false, 4000]);
      const support = await env.app.inject({ method: 'POST', url: `/admin/platforms/${a.slug}/live/gifts`, headers: as(a.platform.supportToken), payload: { name: 'x', priceCoins: 1 } });
      assert.equal(support.statusCode, 403);
      const listed = (await a.store({ method: 'GET', url: '/store/live/gifts' })).json().items as Array<{ id: string }>;
      assert.ok(listed.some((g) => g.id === rose) && !listed.some((g) => g.id === car));
      const all = (await a.admin({ method: 'GET', url: `/admin/platforms/${a.slug}/live/gifts` })).json().items as Array<{ id: string }>;
      assert.ok(all.some((g) => g.id === car));
      await expectProblem(await a.admin({ method: 'POST', url: `/admin/platforms/${a.slug}/live/gifts`, payload: { name: 'free', priceCoins: 0 } }), 400, 'validation_failed');
    });
  });

  describe('coins', () => {
    it('credits a top-up once when its sandbox payment is captured, however often the webhook comes', async () => {
      const buyer = await registerCustomer(a);
      const started = await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: { ...as(buyer.token), 'idempotency-key': 'tu-1' }, payload: { coins: 500 } });
      assert.equal(started.statusCode, 201, started.body);
      const topUp = started.json();
      assert.deepEqual([topUp.status, topUp.amount, topUp.currency], ['pending', 500, 'USD']);
      assert.match(topUp.redirectUrl, /\/pay\/sandbox\//);
      const again = await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: { ...as(buyer.token), 'idempotency-key': 'tu-1' }, payload: { coins: 500 } });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().id, topUp.id, 'the same key is the same top-up');
      assert.equal((await coins(a, buyer.token)).balance, 0, 'nothing before the money is in');

      const runtime = env.souk.runtimeOf(paymentsModule);
      const signed = await signedSandboxWebhook(runtime, { platformId: a.platform.platform.id, paymentId: topUp.paymentId, eventId: `evt_${'ab'.repeat(16)}` });
      const post = () => a.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
      const outcomes = await Promise.all([post(), post(), post()]);
      assert.deepEqual(outcomes.map((r) => r.statusCode), [200, 200, 200]);
      assert.deepEqual(outcomes.map((r) => r.json().outcome).sort(), ['applied', 'duplicate', 'duplicate']);
      const later = await signedSandboxWebhook(runtime, { platformId: a.platform.platform.id, paymentId: topUp.paymentId });
      assert.equal((await a.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: later.headers, payload: later.body })).json().outcome, 'ignored');

      const account = await coins(a, buyer.token);
      assert.equal(account.balance, 500);
      assert.deepEqual(account.ledger.map((e) => [e.reason, e.delta, e.balanceAfter]), [['top_up', 500, 500]]);
      const read = await a.store({ method: 'GET', url: `/store/live/coins/top-ups/${topUp.id}`, headers: as(buyer.token) });
      assert.deepEqual([read.json().status, read.json().redirectUrl], ['paid', null]);
      const paidAgain = await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: { ...as(buyer.token), 'idempotency-key': 'tu-1' }, payload: { coins: 500 } });
      assert.equal(paidAgain.json().status, 'paid', 'a retry after payment starts nothing new');
      const payments = await env.souk.database.query<{ purpose: string; order_id: string }>('select purpose, order_id from payments where id = $1', [topUp.paymentId]);
      assert.deepEqual(payments, [{ purpose: 'live_coins', order_id: topUp.id }]);
    });

    it('marks a declined top-up failed and credits nothing', async () => {
      const buyer = await registerCustomer(a);
      const res = await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(buyer.token), payload: { coins: 300 } });
      const signed = await signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: a.platform.platform.id, paymentId: res.json().paymentId, type: 'payment.failed' });
      assert.equal((await a.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body })).json().outcome, 'applied');
      assert.equal((await a.store({ method: 'GET', url: `/store/live/coins/top-ups/${res.json().id}`, headers: as(buyer.token) })).json().status, 'failed');
      assert.equal((await coins(a, buyer.token)).balance, 0);
    });

    it('needs a customer and refuses a platform without payments', async () => {
      assert.equal((await a.store({ method: 'POST', url: '/store/live/coins/top-ups', payload: { coins: 10 } })).statusCode, 401);
      const bare = await createShop(env, 'lc-bare', undefined, ['catalog', 'live']);
      const who = await registerCustomer(bare);
      await expectProblem(await bare.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(who.token), payload: { coins: 10 } }), 409, 'live_payments_off');
    });
  });

  describe('gifts', () => {
    it('debits once per key over the socket, shows the gift to the room, and refuses a short balance', async () => {
      const roomId = await liveRoom(a);
      const rose = await gift(a, 30);
      const fan = await registerCustomer(a);
      await topUp(a, fan.token, 100);
      const sender = await connect(a, roomId, fan.token);
      const watcher = await connect(a, roomId);

      sender.send({ type: 'gift', giftId: rose, count: 2, key: 'g-1', ref: 'r1' });
      const ack = await sender.next((f) => f.type === 'gift_ack' && f.ref === 'r1', 'gift ack');
      assert.deepEqual([ack.coins, ack.balance, ack.replayed], [60, 40, false]);
      const shown = await watcher.next((f) => f.type === 'gift', 'gift at the watcher');
      assert.deepEqual([shown.giftId, shown.count, shown.coins, shown.name], [rose, 2, 60, 'Rose']);

      sender.send({ type: 'gift', giftId: rose, count: 2, key: 'g-1', ref: 'r2' });
      const retried = await sender.next((f) => f.type === 'gift_ack' && f.ref === 'r2', 'retried ack');
      assert.deepEqual([retried.replayed, retried.balance, retried.entryId], [true, 40, ack.entryId]);
      sender.send({ type: 'gift', giftId: rose, count: 1, key: 'g-1', ref: 'r3' });
      assert.equal((await sender.next((f) => f.type === 'error' && f.ref === 'r3', 'key reused')).code, 'key_reused');

      sender.send({ type: 'gift', giftId: rose, count: 2, key: 'g-2', ref: 'r4' });
      const short = await sender.next((f) => f.type === 'error' && f.ref === 'r4', 'insufficient');
      assert.equal(short.code, 'insufficient_coins');
      assert.match(short.message as string, /costs 60 coins and your balance is 40/);
      await expectProblem(await sendGift(a, fan.token, roomId, { giftId: rose, count: 2 }, 'g-3'), 409, 'live_insufficient_coins');

      // The room saw exactly one gift; the balance and ledger say one debit.
      sender.send({ type: 'ping', ref: 'done' });
      await sender.next((f) => f.type === 'pong' && f.ref === 'done', 'pong');
      assert.equal(watcher.ofType('gift').length, 1);
      const account = await coins(a, fan.token);
      assert.equal(account.balance, 40);
      assert.deepEqual(account.ledger.map((e) => e.delta), [-60, 100]);
    });

    it('debits once when the same key is sent concurrently (HTTP and sockets), and never below zero with many keys', async () => {
      const roomId = await liveRoom(a);
      const rose = await gift(a, 7);
      const fan = await registerCustomer(a);
      await topUp(a, fan.token, 100);
      const watcher = await connect(a, roomId);

      const same = await Promise.all(Array.from({ length: 12 }, () => sendGift(a, fan.token, roomId, { giftId: rose }, 'same-key')));
      assert.deepEqual([...new Set(same.map((r) => r.statusCode))], [200]);
      assert.equal(same.filter((r) => !r.json().replayed).length, 1, 'one request debited');
      assert.equal(new Set(same.map((r) => r.json().entryId)).size, 1);
      assert.equal((await coins(a, fan.token)).balance, 93);

      const sockets = await Promise.all([connect(a, roomId, fan.token), connect(a, roomId, fan.token), connect(a, roomId, fan.token)]);
      for (const socket of sockets) socket.send({ type: 'gift', giftId: rose, key: 'socket-key', ref: 's' });
      const acks = await Promise.all(sockets.map((s) => s.next((f) => f.type === 'gift_ack' && f.ref === 's', 'socket ack')));
      assert.equal(acks.filter((f) => f.replayed === false).length, 1);
      assert.equal((await coins(a, fan.token)).balance, 86);

      // 86 coins, 7 each: 12 different keys at once, exactly 12 fit (84); then 2 different keys, neither fits.
      const many = await Promise.all(Array.from({ length: 14 }, (_, i) => sendGift(a, fan.token, roomId, { giftId: rose }, `many-${i}`)));
      assert.equal(many.filter((r) => r.statusCode === 200).length, 12);
      assert.equal(many.filter((r) => r.statusCode === 409 && r.json().code === 'live_insufficient_coins').length, 2);
      assert.equal((await coins(a, fan.token)).balance, 2);
      await waitFor('14 gifts shown', () => watcher.ofType('gift').length === 14);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(watcher.ofType('gift').length, 14, 'one frame per debit, none for replays');
    });

    it('answers bad gift frames with an error on that socket, and guests must sign in', async () => {
      const roomId = await liveRoom(a);
      const guest = await connect(a, roomId);
      const rose = await gift(a, 1);
      guest.send({ type: 'gift', giftId: rose, key: 'k' });
      guest.send({ type: 'gift', giftId: 'not-a-uuid', key: 'k' });
      guest.send({ type: 'gift', giftId: rose, count: 0, key: 'k' });
      guest.send({ type: 'gift', giftId: rose });
      guest.send({ type: 'gift', giftId: rose, key: 'x'.repeat(201) });
      await waitFor('five errors', () => guest.ofType('error').length >= 5);
      assert.deepEqual(guest.ofType('error').map((f) => f.code), ['login_required', 'bad_frame', 'bad_frame', 'bad_frame', 'bad_frame']);
      const fan = await registerCustomer(a);
      const socket = await connect(a, roomId, fan.token);
      socket.send({ type: 'gift', giftId: '00000000-0000-7000-8000-000000000000', key: 'k', ref: 'u' });
      assert.equal((await socket.next((f) => f.type === 'error' && f.ref === 'u', 'unknown gift')).code, 'gift_not_found');
      assert.equal(guest.closed, undefined);
    });

    it('keeps platforms apart: B cannot gift into A\'s room, send A\'s gifts, or manage them', async () => {
      const roomId = await liveRoom(a);
      const rose = await gift(a, 1);
      const bFan = await registerCustomer(b);
      await topUp(b, bFan.token, 50);
      await expectProblem(await sendGift(b, bFan.token, roomId, { giftId: rose }, 'x-1'), 404, 'live_room_not_found');
      const bRoom = await liveRoom(b);
      await expectProblem(await sendGift(b, bFan.token, bRoom, { giftId: rose }, 'x-2'), 404, 'live_gift_not_found');
      // B's token on A's storefront is no session there.
      assert.equal((await sendGift(a, bFan.token, roomId, { giftId: rose }, 'x-3')).statusCode, 401);
      assert.equal((await b.admin({ method: 'PATCH', url: `/admin/platforms/${a.slug}/live/gifts/${rose}`, payload: { priceCoins: 1 } })).statusCode, 404);
      assert.equal((await b.admin({ method: 'GET', url: `/admin/platforms/${b.slug}/live/gifts/${rose}` })).statusCode, 404);
      assert.equal((await coins(b, bFan.token)).balance, 50);
    });
  });

  it('closes every socket', () => {
    for (const client of clients) client.close();
  });
});
