// The commerce half of live rooms with real WebSocket clients against a listening Souk: the gift
// catalogue, coin top-ups paid through the sandbox provider (credited once, whatever the webhook does),
// gifts debited exactly once per key (retried and concurrent, over the socket and over HTTP), refused
// when the balance is short, shown to the room, and kept apart between platforms.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { asBearer, eachDatabase } from '../../../test/harness.ts';
import { checkout, createShop, COMMERCE_MODULES, expectProblem, readyCart, registerCustomer, type Shop } from '../../../test/commerce.ts';
import { LiveClient } from '../../../test/live-client.ts';
import { paidTopUp } from '../../../test/live-coins.ts';
import { waitFor } from '../../../test/wait.ts';
import { paymentsModule, signedSandboxWebhook } from '../payments/index.ts';
import { recordPurchase } from './commerce/notices.ts';
import { liveModule } from './index.ts';

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

  const sendGift = (shop: Shop, token: string, roomId: string, body: Record<string, unknown>, key: string) =>
    shop.store({ method: 'POST', url: `/store/live/rooms/${roomId}/gifts`, headers: { ...as(token), 'idempotency-key': key }, payload: body });

  /** A published product with one variant, its price and stock. */
  async function product(shop: Shop, title: string, price: number, stock: number): Promise<{ productId: string; variantId: string }> {
    const handle = `${title.toLowerCase().replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
    const res = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${shop.slug}/products`,
      payload: { handle, title, status: 'published', images: ['https://img.test/p.jpg'], variants: [{ sku: handle, prices: [{ currency: 'USD', amount: price }] }] },
    });
    assert.equal(res.statusCode, 201, res.body);
    const variantId = res.json().variants[0].id as string;
    const set = await shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/inventory/levels/${variantId}`, payload: { onHand: stock, reason: 'test stock' } });
    assert.equal(set.statusCode, 200, set.body);
    return { productId: res.json().id as string, variantId };
  }

  /** A customer's checkout from the room (liveRoomId), paid through the sandbox. */
  async function buyFromRoom(shop: Shop, token: string, variantId: string, roomId: string, key: string): Promise<{ id: string; liveRoomId: string | null; total: number }> {
    const cartId = await readyCart(shop, [{ variantId, quantity: 1 }], { customerToken: token });
    const placed = await checkout(shop, cartId, key, { customerToken: token, payload: { liveRoomId: roomId } });
    assert.equal(placed.statusCode, 201, placed.body);
    const order = placed.json();
    const started = await shop.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, headers: as(token), payload: { provider: 'sandbox' } });
    assert.equal(started.statusCode, 201, started.body);
    const signed = await signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId: started.json().paymentId });
    const hook = await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
    assert.equal(hook.json().outcome, 'applied', hook.body);
    return { id: order.id, liveRoomId: order.liveRoomId, total: order.totals.total };
  }

  const pin = (shop: Shop, roomId: string, productId: string) => shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/live/rooms/${roomId}/card`, payload: { productId } });
  const stats = async (shop: Shop, roomId: string) => {
    const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/live/rooms/${roomId}/stats` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

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
    it('prices coins per platform (settings.live.coinPrice) and credits what was bought', async () => {
      const priced = await createShop(env, `live-price-${env.engine}`, { live: { coinPrice: 7 } }, MODULES);
      const buyer = await registerCustomer(priced);
      const started = await priced.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(buyer.token), payload: { coins: 10 } });
      assert.equal(started.statusCode, 201, started.body);
      assert.equal(started.json().amount, 70, '10 coins at 7 minor units each');
      const plain = await registerCustomer(a);
      assert.equal((await a.store({ method: 'POST', url: '/store/live/coins/top-ups', headers: as(plain.token), payload: { coins: 10 } })).json().amount, 10, 'the default is one minor unit');
      const refused = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: `/admin/platforms/live-price-${env.engine}`, payload: { settings: { live: { coinPrice: 0 } } } });
      assert.equal(refused.statusCode, 400, refused.body);
      await paidTopUp(priced, buyer.token, 5);
      const account = (await coins(priced, buyer.token)) as Awaited<ReturnType<typeof coins>> & { coinPrice: unknown };
      assert.equal(account.balance, 5);
      assert.deepEqual(account.coinPrice, { amount: 7, currency: priced.platform.platform.defaultCurrency }, 'the price a shop shows before a top-up');
    });

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
      await paidTopUp(a, fan.token, 100);
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
      await paidTopUp(a, fan.token, 100);
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
      await paidTopUp(b, bFan.token, 50);
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

  describe('product cards, purchases and the room\'s numbers', () => {
    it('pins a card with live price and stock, gives it to joiners, refreshes it when stock changes, and unpins it', async () => {
      const { productId, variantId } = await product(a, 'Oolong tea', 2500, 8);
      const roomId = await liveRoom(a, [productId]);
      const early = await connect(a, roomId);
      assert.equal((early.ofType('welcome')[0]!.card), null, 'no card yet');
      const pinned = await pin(a, roomId, productId);
      assert.equal(pinned.statusCode, 200, pinned.body);
      assert.deepEqual([pinned.json().title, pinned.json().price, pinned.json().currency, pinned.json().available, pinned.json().inStock], ['Oolong tea', 2500, 'USD', 8, true]);
      const pushed = await early.next((f) => f.type === 'card' && f.card !== null, 'card frame');
      assert.equal((pushed.card as { productId: string }).productId, productId);

      const joiner = await connect(a, roomId);
      const card = joiner.ofType('welcome')[0]!.card as { productId: string; price: number; available: number; imageUrl: string };
      assert.deepEqual([card.productId, card.price, card.available, card.imageUrl], [productId, 2500, 8, 'https://img.test/p.jpg']);

      const restock = await a.admin({ method: 'PUT', url: `/admin/platforms/${a.slug}/inventory/levels/${variantId}`, payload: { onHand: 0, reason: 'sold elsewhere' } });
      assert.equal(restock.statusCode, 200, restock.body);
      const refreshed = await joiner.next((f) => f.type === 'card' && (f.card as { inStock: boolean } | null)?.inStock === false, 'sold-out card', 15_000);
      assert.equal((refreshed.card as { available: number }).available, 0);

      assert.equal((await a.admin({ method: 'DELETE', url: `/admin/platforms/${a.slug}/live/rooms/${roomId}/card` })).statusCode, 204);
      await joiner.next((f) => f.type === 'card' && f.card === null, 'unpinned');
      assert.equal((await connect(a, roomId)).ofType('welcome')[0]!.card, null);
      await expectProblem(await pin(a, roomId, '00000000-0000-7000-8000-000000000000'), 404, 'live_product_not_found');
    });

    it('attributes a checkout to the room, tells every viewer who bought what (masked), and counts it all in the room\'s numbers', async () => {
      const { productId, variantId } = await product(a, 'Silk scarf', 4000, 20);
      const roomId = await liveRoom(a, [productId]);
      assert.equal((await pin(a, roomId, productId)).statusCode, 200);
      const one = await connect(a, roomId);
      const two = await connect(a, roomId);
      const buyer = await registerCustomer(a);
      const named = await a.store({ method: 'PATCH', url: '/store/customers/me', headers: as(buyer.token), payload: { name: 'Wang Fang' } });
      assert.equal(named.statusCode, 200, named.body);
      const chatter = await connect(a, roomId, buyer.token);

      chatter.send({ type: 'card_click' });
      chatter.send({ type: 'card_click' });
      assert.equal((await a.store({ method: 'POST', url: `/store/live/rooms/${roomId}/card/clicks` })).statusCode, 204);
      chatter.send({ type: 'post', text: 'how much is shipping?' });
      await chatter.next((f) => f.type === 'ack', 'chat ack');
      for (let i = 0; i < 5; i += 1) chatter.send({ type: 'like' });
      const rose = await gift(a, 12);
      await paidTopUp(a, buyer.token, 100);
      assert.equal((await sendGift(a, buyer.token, roomId, { giftId: rose, count: 3 }, 'stats-gift')).statusCode, 200);

      const order = await buyFromRoom(a, buyer.token, variantId, roomId, 'live-buy-1');
      assert.equal(order.liveRoomId, roomId);
      for (const viewer of [one, two]) {
        const notice = await viewer.next((f) => f.type === 'purchase', 'purchase notice', 15_000);
        assert.equal(notice.text, 'W*** just bought Silk scarf');
        assert.equal(JSON.stringify(notice).includes(order.id), false, 'the order id is not shown');
      }
      const read = await a.admin({ method: 'GET', url: `/admin/platforms/${a.slug}/orders/${order.id}` });
      assert.equal(read.json().liveRoomId, roomId);

      await waitFor('likes and clicks counted', async () => {
        const now = await stats(a, roomId);
        return now.likes === 5 && now.cardClicks === 3;
      });
      const numbers = await stats(a, roomId);
      assert.deepEqual(
        { viewers: numbers.viewers, messages: numbers.messages, gifts: numbers.gifts, orders: numbers.orders, revenue: numbers.revenue },
        { viewers: 3, messages: 1, gifts: { count: 3, coins: 36 }, orders: 1, revenue: [{ currency: 'USD', amount: order.total }] },
      );
      assert.ok(numbers.peakViewers >= 3, `peak ${numbers.peakViewers}`);
      // A second order without the room is not the room's.
      const cartId = await readyCart(a, [{ variantId, quantity: 1 }], { customerToken: buyer.token });
      assert.equal((await checkout(a, cartId, 'not-from-room', { customerToken: buyer.token })).json().liveRoomId, null);
    });

    it('announces a purchase only after its transaction committed, and never twice for a redelivered order.paid', async () => {
      const { variantId } = await product(a, 'Tea set', 2500, 10);
      const roomId = await liveRoom(a);
      const viewer = await connect(a, roomId);
      const buyer = await registerCustomer(a);
      const order = await buyFromRoom(a, buyer.token, variantId, roomId, 'notice-once');
      await viewer.next((f) => f.type === 'purchase', 'the first notice', 15_000);
      const live = env.souk.runtimeOf(liveModule);
      const pdb = env.souk.ctx.platformDb(a.platform.platform.id);
      // The handler's work as the consumer does it, in a transaction: a redelivery after the commit.
      const deliver = () => pdb.transaction(async (tx) => {
        const notice = await recordPurchase(env.souk.ctx, tx, order.id);
        if (notice) live.notices.after(notice);
      });
      await deliver();
      await deliver();
      // A first delivery that rolled back after recording (the record is gone with it): nothing is announced.
      await pdb.execute('delete from live_room_orders where platform_id = $1 and order_id = $2', [order.id]);
      await assert.rejects(pdb.transaction(async (tx) => {
        const notice = await recordPurchase(env.souk.ctx, tx, order.id);
        assert.ok(notice);
        live.notices.after(notice);
        throw new Error('the handler failed after recording');
      }), /the handler failed/);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      assert.equal(viewer.ofType('purchase').length, 1, 'no notice for redeliveries or for a rolled-back handler');
      // Its redelivery commits: now it is announced, once.
      await deliver();
      await viewer.next((f) => f.type === 'purchase' && viewer.ofType('purchase').length === 2, 'the committed redelivery\'s notice', 10_000);
      await deliver();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(viewer.ofType('purchase').length, 2);
      assert.equal((await stats(a, roomId)).orders, 1, 'counted once');
    });

    it('keeps platforms apart: B cannot pin into A\'s room, read its numbers, or buy into it', async () => {
      const { productId } = await product(a, 'Jade bangle', 9000, 3);
      const bProduct = await product(b, 'Other thing', 100, 3);
      const roomId = await liveRoom(a);
      await expectProblem(await pin(b, roomId, bProduct.productId), 404, 'live_room_not_found');
      assert.equal((await b.admin({ method: 'PUT', url: `/admin/platforms/${a.slug}/live/rooms/${roomId}/card`, payload: { productId } })).statusCode, 404);
      assert.equal((await b.admin({ method: 'GET', url: `/admin/platforms/${b.slug}/live/rooms/${roomId}/stats` })).statusCode, 404);
      await expectProblem(await pin(a, roomId, bProduct.productId), 404, 'live_product_not_found');
      assert.equal((await b.store({ method: 'POST', url: `/store/live/rooms/${roomId}/card/clicks` })).statusCode, 404);
      const viewer = await connect(a, roomId);
      const bBuyer = await registerCustomer(b);
      await buyFromRoom(b, bBuyer.token, bProduct.variantId, roomId, 'b-into-a');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(viewer.ofType('purchase').length, 0, 'B\'s order names A\'s room but is not A\'s');
      assert.equal((await stats(a, roomId)).orders, 0);
    });
  });

  describe('custom message types', () => {
    it('validates custom messages against the platform\'s schema and sends the good ones to the room', async () => {
      const types = `/admin/platforms/${a.slug}/live/message-types`;
      const schema = { type: 'object', properties: { question: { type: 'string', maxLength: 100 }, options: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['question', 'options'], additionalProperties: false };
      const saved = await a.admin({ method: 'PUT', url: `${types}/poll`, payload: { schema } });
      assert.equal(saved.statusCode, 200, saved.body);
      await expectProblem(await a.admin({ method: 'PUT', url: `${types}/broken`, payload: { schema: { type: 'objekt' } } }), 422, 'live_message_schema_invalid');
      await expectProblem(await a.admin({ method: 'PUT', url: `${types}/typo`, payload: { schema: { type: 'object', requird: ['x'] } } }), 422, 'live_message_schema_invalid');
      assert.deepEqual((await a.admin({ method: 'GET', url: types })).json().items.map((t: { name: string }) => t.name), ['poll']);
      assert.equal((await b.admin({ method: 'GET', url: `/admin/platforms/${b.slug}/live/message-types` })).json().items.length, 0, 'B does not see A\'s types');

      const roomId = await liveRoom(a);
      const fan = await registerCustomer(a);
      const sender = await connect(a, roomId, fan.token);
      const watcher = await connect(a, roomId);
      sender.send({ type: 'custom', name: 'poll', data: { question: 'Red or blue?', options: ['red', 'blue'] }, ref: 'ok' });
      await sender.next((f) => f.type === 'ack' && f.ref === 'ok', 'custom ack');
      const seen = await watcher.next((f) => f.type === 'custom', 'custom at the watcher');
      assert.deepEqual([seen.name, (seen.data as { question: string }).question], ['poll', 'Red or blue?']);

      sender.send({ type: 'custom', name: 'poll', data: { question: 'Only one?', options: ['x'] }, ref: 'bad' });
      sender.send({ type: 'custom', name: 'nope', data: {}, ref: 'unknown' });
      sender.send({ type: 'custom', name: 'Bad Name!', data: {}, ref: 'name' });
      sender.send({ type: 'custom', name: 'poll', ref: 'nodata' });
      watcher.send({ type: 'custom', name: 'poll', data: { question: 'q', options: ['a', 'b'] }, ref: 'guest' });
      const code = async (client: LiveClient, ref: string) => (await client.next((f) => f.type === 'error' && f.ref === ref, ref)).code;
      assert.equal(await code(sender, 'bad'), 'invalid_custom');
      assert.match(String(sender.frames.find((f) => f.ref === 'bad')?.message), /options/);
      assert.equal(await code(sender, 'unknown'), 'unknown_custom');
      assert.equal(await code(sender, 'name'), 'bad_frame');
      assert.equal(await code(sender, 'nodata'), 'bad_frame');
      assert.equal(await code(watcher, 'guest'), 'login_required');
      assert.equal(watcher.ofType('custom').length, 1, 'only the valid one reached the room');

      // A platform's types are its own: B's customers in B's rooms cannot use A's "poll".
      const bRoom = await liveRoom(b);
      const bFan = await registerCustomer(b);
      const bSender = await connect(b, bRoom, bFan.token);
      bSender.send({ type: 'custom', name: 'poll', data: { question: 'q', options: ['a', 'b'] }, ref: 'b' });
      assert.equal(await code(bSender, 'b'), 'unknown_custom');
      assert.equal((await a.admin({ method: 'DELETE', url: `${types}/poll` })).statusCode, 204);
      assert.equal((await a.admin({ method: 'DELETE', url: `${types}/poll` })).statusCode, 404);
    });
  });

  it('closes every socket', () => {
    for (const client of clients) client.close();
  });
});
