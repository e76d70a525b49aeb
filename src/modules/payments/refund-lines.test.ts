// Refunds by line: the shares (pure: the example, sums exact on random orders, ties), then on
// each database engine a real order with a coupon and 8.875 % tax refunded unit by unit, the refusals
// that change nothing, and concurrent refunds that never return a unit twice.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDatabase, type TestEnv } from '../../../test/harness.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import { prng } from '../../../test/prng.ts';
import { checkout, createShop, expectProblem, readyCart, stockedVariants, type Shop } from '../../../test/commerce.ts';
import { allocateByLargestRemainder, orderShares, unitsAmount } from './line-shares.ts';
import { paymentsModule, signedSandboxWebhook } from './index.ts';

const TABLES = ['payments', 'payment_refunds', 'payment_refund_lines', 'payment_sandbox_refunds', 'orders', 'order_history'];

describe('line shares', () => {
  it("the issue's order: 3 × 1,899 with 10 % off and 8.875 % tax returns 1,861, 1,860, 1,861 per unit", () => {
    // 5,697 − 570 = 5,127 (free shipping over 5,000); tax 5,127 × 0.08875 = 455.02 → 455; total 5,582.
    const order = { totals: { subtotal: 5697, discount: 570, shipping: 0, tax: 455, total: 5582, taxIncluded: false }, lines: [{ id: 'a', sku: 'm', quantity: 3, lineTotal: 5697 }] };
    const [line] = orderShares(order).lines;
    assert.deepEqual(line, { lineId: 'a', quantity: 3, share: 5582, discount: 570, tax: 455 });
    assert.deepEqual([unitsAmount(line!, 0, 1), unitsAmount(line!, 1, 1), unitsAmount(line!, 2, 1)], [1861, 1860, 1861]);
    // Two at once return what the first two one at a time did.
    assert.equal(unitsAmount(line!, 0, 2), 1861 + 1860);
    assert.equal(unitsAmount(line!, 0, 3), 5582);
  });

  it('largest remainder: exact sums, leftover units to the largest remainders, earlier first on a tie', () => {
    assert.deepEqual(allocateByLargestRemainder(10n, [1n, 1n, 1n]), [4n, 3n, 3n]);
    assert.deepEqual(allocateByLargestRemainder(100n, [1n, 2n, 3n]), [17n, 33n, 50n]);
    assert.deepEqual(allocateByLargestRemainder(5n, [0n, 0n]), [3n, 2n]);
    assert.deepEqual(allocateByLargestRemainder(0n, [7n, 9n]), [0n, 0n]);
    assert.deepEqual(allocateByLargestRemainder(10n ** 15n, [10n ** 15n, 1n]), [999_999_999_999_999n, 1n]);
  });

  it('on 2,000 random orders (both tax modes) every unit of every line plus the shipping returns the total exactly', () => {
    const random = prng(20250101);
    const int = (n: number) => Math.floor(random() * n);
    for (let n = 0; n < 2000; n += 1) {
      const lines = Array.from({ length: 1 + int(5) }, (_, i) => {
        const quantity = 1 + int(7);
        return { id: `l${i}`, sku: `s${i}`, quantity, lineTotal: quantity * int(5000) };
      });
      const subtotal = lines.reduce((s, l) => s + l.lineTotal, 0);
      const discount = int(subtotal + 1);
      const shipping = int(3) * 500;
      const taxIncluded = random() < 0.5;
      const tax = Math.round((subtotal - discount + shipping) * (taxIncluded ? 0.19 / 1.19 : 0.08875));
      const total = subtotal - discount + shipping + (taxIncluded ? 0 : tax);
      const shares = orderShares({ totals: { subtotal, discount, shipping, tax, total, taxIncluded }, lines });
      let refunded = shares.shipping;
      for (const line of shares.lines) {
        // Random batches, never a negative unit.
        for (let done = 0; done < line.quantity; ) {
          const take = 1 + int(line.quantity - done);
          const amount = unitsAmount(line, done, take);
          assert.ok(amount >= 0);
          refunded += amount;
          done += take;
        }
      }
      assert.equal(refunded, total, JSON.stringify({ lines, subtotal, discount, shipping, tax, taxIncluded }));
    }
  });
});

interface PaidOrder {
  id: string;
  total: number;
  lines: { id: string; quantity: number; unitPrice: number; lineTotal: number }[];
  totals: { shipping: number; tax: number; discount: number };
}

eachDatabase('refunds by line', (env: TestEnv) => {
  let shop: Shop;
  let caseNo = 0;
  const fingerprint = () => tablesFingerprint(env.souk.database, TABLES);

  before(async () => {
    shop = await createShop(env, 'refund-lines', { cart: { taxRatePercent: 8.875 } });
    const coupon = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/coupons`, payload: { code: 'TENOFF', kind: 'percentage', percent: 10 } });
    assert.equal(coupon.statusCode, 201, coupon.body);
  });

  async function paidOrder(lines: { price: number; quantity: number }[]): Promise<PaidOrder> {
    caseNo += 1;
    const cartLines = [];
    for (const { price, quantity } of lines) cartLines.push({ variantId: (await stockedVariants(shop, 1, 100, price))[0]!, quantity });
    const cartId = await readyCart(shop, cartLines, { coupon: 'TENOFF' });
    const placed = await checkout(shop, cartId, `lines-${caseNo}`);
    assert.equal(placed.statusCode, 201, placed.body);
    const order = placed.json();
    const payment = await shop.store({ method: 'POST', url: `/store/orders/${order.id}/payments`, payload: { provider: 'sandbox' }, headers: { 'x-order-token': order.accessToken } });
    assert.equal(payment.statusCode, 201, payment.body);
    const signed = await signedSandboxWebhook(env.souk.runtimeOf(paymentsModule), { platformId: shop.platform.platform.id, paymentId: payment.json().paymentId });
    const paid = await shop.store({ method: 'POST', url: '/store/payments/webhooks/sandbox', headers: signed.headers, payload: signed.body });
    assert.equal(paid.statusCode, 200, paid.body);
    return { id: order.id, total: order.totals.total, lines: order.lines, totals: order.totals };
  }

  const refund = (order: { id: string }, payload: Record<string, unknown>) =>
    shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/orders/${order.id}/refunds`, payload });
  const orderOf = async (order: { id: string }) => (await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/orders/${order.id}` })).json();

  it('one unit returns what was paid for it (1,861, not the list price 1,899); all units and the shipping return the total', async () => {
    // 3 × 1,899 + 1 × 1,250 = 6,947; 10 % off = 695 → 6,252 (free shipping); tax 8.875 % = 554.865 → 555.
    const order = await paidOrder([
      { price: 1899, quantity: 3 },
      { price: 1250, quantity: 1 },
    ]);
    assert.equal(order.total, 6252 + 555);
    const [mascara, other] = order.lines as [PaidOrder['lines'][number], PaidOrder['lines'][number]];
    const shares = orderShares({
      totals: { subtotal: 6947, discount: 695, shipping: 0, tax: 555, total: order.total, taxIncluded: false },
      lines: order.lines.map((l) => ({ id: l.id, sku: '', quantity: l.quantity, lineTotal: l.lineTotal })),
    });
    const one = await refund(order, { lines: [{ lineId: mascara.id, quantity: 1 }] });
    assert.equal(one.statusCode, 201, one.body);
    const expected = unitsAmount(shares.lines[0]!, 0, 1);
    assert.equal(expected, 1861);
    assert.equal(one.json().amount, expected);
    assert.equal(one.json().status, 'succeeded');
    assert.deepEqual(one.json().lines, [{ lineId: mascara.id, quantity: 1, amount: expected }]);
    assert.match(one.json().reason, /refund of 1 × /);
    assert.equal((await orderOf(order)).refundedAmount, expected);

    // The other two units, the other line and the shipping (0 here, so it returns nothing but is counted).
    const rest = await refund(order, { lines: [{ lineId: mascara.id, quantity: 2 }, { lineId: other.id, quantity: 1 }], shipping: true, reason: 'returned' });
    assert.equal(rest.statusCode, 201, rest.body);
    const detail = await orderOf(order);
    assert.equal(detail.refundedAmount, order.total);
    assert.equal(detail.paymentStatus, 'refunded');

    // Nothing is left to refund by line: every unit and the shipping are counted.
    const before = await fingerprint();
    const again = await refund(order, { lines: [{ lineId: mascara.id, quantity: 1 }] });
    expectProblem(again, 409, 'refund_exceeds_line');
    assert.equal(again.json().refundableQuantity, 0);
    expectProblem(await refund(order, { shipping: true }), 409, 'refund_exceeds_line');
    assert.equal(await fingerprint(), before);
  });

  it('refuses both or neither of amount and lines, unknown lines, too many units and units that cost nothing; none changes anything', async () => {
    const order = await paidOrder([{ price: 1000, quantity: 2 }]);
    const [line] = order.lines as [PaidOrder['lines'][number]];
    const before = await fingerprint();
    expectProblem(await refund(order, { amount: 100, lines: [{ lineId: line.id, quantity: 1 }], reason: 'x' }), 400, 'refund_amount_or_lines');
    expectProblem(await refund(order, { amount: 100, shipping: true, reason: 'x' }), 400, 'refund_amount_or_lines');
    expectProblem(await refund(order, { reason: 'nothing named' }), 400, 'refund_amount_or_lines');
    expectProblem(await refund(order, { amount: 100 }), 400, 'refund_reason_required');
    expectProblem(await refund(order, { lines: [] }), 400, 'validation_failed');
    expectProblem(await refund(order, { lines: [{ lineId: line.id, quantity: 0 }] }), 400, 'validation_failed');
    expectProblem(await refund(order, { lines: [{ lineId: 'not-a-uuid', quantity: 1 }] }), 400, 'validation_failed');
    const unknown = await refund(order, { lines: [{ lineId: '00000000-0000-7000-8000-000000000001', quantity: 1 }] });
    expectProblem(unknown, 422, 'unknown_order_line');
    const tooMany = await refund(order, { lines: [{ lineId: line.id, quantity: 2 }, { lineId: line.id.toUpperCase(), quantity: 1 }] });
    expectProblem(tooMany, 409, 'refund_exceeds_line');
    assert.equal(tooMany.json().refundableQuantity, 2);
    // The order ships for 500 (under the free threshold after the discount): refunding it alone is allowed
    // once; an order with free shipping has nothing to return for it.
    expectProblem(await refund(order, { shipping: false }), 422, 'nothing_to_refund');
    assert.equal(await fingerprint(), before);

    const free = await paidOrder([{ price: 3000, quantity: 2 }]);
    expectProblem(await refund(free, { shipping: true }), 422, 'nothing_to_refund');
    const shipping = await refund(order, { shipping: true });
    assert.equal(shipping.statusCode, 201, shipping.body);
    // 1,800 + 500 taxed at 8.875 % = 204; the shipping's share of it is 500 × 204 / 2,300 = 44.3 → 44.
    assert.equal(order.totals.tax, 204);
    assert.equal(shipping.json().amount, 544);
    assert.deepEqual(shipping.json().lines, [{ lineId: null, quantity: 1, amount: 544 }]);
  });

  it('free amounts and line refunds share the capture: a line refund past what is left is 409 refund_exceeds_captured', async () => {
    const order = await paidOrder([{ price: 1000, quantity: 2 }]);
    const [line] = order.lines as [PaidOrder['lines'][number]];
    const most = await refund(order, { amount: order.total - 100, reason: 'goodwill' });
    assert.equal(most.statusCode, 201, most.body);
    expectProblem(await refund(order, { lines: [{ lineId: line.id, quantity: 1 }] }), 409, 'refund_exceeds_captured');
  });

  it('20 concurrent refunds of one unit of a 3-unit line: exactly 3 succeed, together the line share', async () => {
    const order = await paidOrder([
      { price: 1899, quantity: 3 },
      { price: 700, quantity: 1 },
    ]);
    const [line] = order.lines as [PaidOrder['lines'][number]];
    const results = await Promise.all(Array.from({ length: 20 }, () => refund(order, { lines: [{ lineId: line.id, quantity: 1 }] })));
    const ok = results.filter((r) => r.statusCode === 201);
    assert.equal(ok.length, 3, results.map((r) => r.statusCode).join(','));
    for (const r of results.filter((r) => r.statusCode !== 201)) expectProblem(r, 409, 'refund_exceeds_line');
    const shares = orderShares({
      totals: { subtotal: 5697 + 700, discount: order.totals.discount, shipping: order.totals.shipping, tax: order.totals.tax, total: order.total, taxIncluded: false },
      lines: order.lines.map((l) => ({ id: l.id, sku: '', quantity: l.quantity, lineTotal: l.lineTotal })),
    });
    assert.equal(ok.reduce((sum, r) => sum + (r.json().amount as number), 0), shares.lines[0]!.share);
    const units = await env.souk.database.query<{ n: number }>('select sum(quantity)::int as n from payment_refund_lines where line_id = $1', [line.id]);
    assert.equal(units[0]!.n, 3);
  });
});
