// A flash sale linked to a room served by two nodes (PostgreSQL + NATS): each node counts down for its
// own viewers, so the node that linked the sale can die before the start and the other node's viewers
// still get the countdown, "go" with the units, and the card's units after a purchase.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { asBearer } from '../../../test/harness.ts';
import { COMMERCE_MODULES, registerCustomer, stockedVariants, type Shop } from '../../../test/commerce.ts';
import { startTwoLiveNodes, twoNodeSkip, type TwoLiveNodes } from '../../../test/live-two-nodes.ts';

const skip = twoNodeSkip('two-node flash clock', ['postgres', 'nats']);
const at = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('a room\'s flash-sale clock on two nodes [postgres, nats]', { skip }, () => {
  let two: TwoLiveNodes;
  let shop: Shop;

  before(async () => {
    two = await startTwoLiveNodes({
      slug: 'live-flash-nodes',
      modules: [...COMMERCE_MODULES, 'live'],
      settings: { 'flash-sales': { purchasesPerIpPerMinute: 1_000_000 } },
      title: 'Flash on two nodes',
    });
    // Node 1 is the one that lives: the shop is driven through it.
    const app = two.nodes[1].app;
    shop = {
      env: { ...two.env, souk: two.nodes[1], app },
      platform: two.platform,
      slug: two.slug,
      admin: (options) => asBearer(app, two.adminToken, options),
      store: (options) => app.inject({ ...options, headers: { host: two.host, ...(options.headers ?? {}) } } as InjectOptions),
    };
  });

  after(() => two.close());

  it('keeps counting down, goes and shows units on the surviving node after the linking node is stopped', async () => {
    const [variantId] = await stockedVariants(shop, 1, 10);
    const startsAt = at(6000);
    const sale = await shop.admin({
      method: 'POST',
      url: `/admin/platforms/${two.slug}/flash-sales`,
      payload: { name: 'Two-node sale', startsAt, endsAt: at(120_000), minAccountAgeHours: 0, items: [{ variantId, salePrice: 300, quantity: 4 }] },
    });
    assert.equal(sale.statusCode, 201, sale.body);
    const saleId = sale.json().id as string;

    const early = await two.join(1);
    // Linked through node 0, which then goes away before the countdown starts.
    const linked = await asBearer(two.nodes[0].app, two.adminToken, { method: 'PUT', url: `/admin/platforms/${two.slug}/live/rooms/${two.roomId}/flash-sale`, payload: { saleId } });
    assert.equal(linked.statusCode, 200, linked.body);
    await early.next((f) => f.type === 'flash' && (f.card as { saleId: string } | null)?.saleId === saleId, 'the card from node 0 at node 1');
    await two.stop(0);
    const late = await two.join(1);
    assert.equal((late.ofType('welcome')[0]!.flash as { saleId: string }).saleId, saleId, 'a joiner on the surviving node gets the card');

    for (const viewer of [early, late]) {
      const go = await viewer.next((f) => f.type === 'flash' && f.go === true, 'go from the surviving node', 15_000);
      assert.equal((go.card as { phase: string; remaining: number }).phase, 'live');
      assert.ok(Date.now() >= Date.parse(startsAt) - 50, 'go at the start, not before');
      const countdown = viewer.ofType('flash_countdown').map((f) => f.seconds as number);
      assert.ok(countdown.includes(1), `counted down to 1 (got ${countdown.join(', ')})`);
      assert.equal(viewer.ofType('flash').filter((f) => f.go === true).length, 1, 'one go, from one clock');
    }

    const buyer = await registerCustomer(shop);
    const bought = await shop.store({ method: 'POST', url: `/store/flash-sales/${saleId}/purchase`, payload: { variantId }, headers: { authorization: `Bearer ${buyer.token}` } });
    assert.ok([200, 201, 202].includes(bought.statusCode), bought.body);
    await early.next((f) => f.type === 'flash' && (f.card as { remaining: number }).remaining === 3, 'units left after the purchase', 15_000);
  });
});
