// Cart totals against an exact reference: rational arithmetic in BigInt, written from the rule as
// documented (tax once per order on subtotal − discount + shipping, rounded half up; inclusive tax is the
// part r / (1 + r) of that amount), over random carts, rates with up to four decimals, both tax modes,
// discounts and free-over shipping. Also the limits: a rate the engine cannot hold is refused by the
// settings schema, and a cart over MAX_MONEY is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import type { Platform } from '../../kernel/context.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { MAX_MONEY, exactDecimal } from '../../kernel/money.ts';
import { cartSettingsSchema } from './settings.ts';
import { computeTotals, type CheckoutCart } from './checkout-cart.ts';
import type { CartRuntime } from './runtime.ts';
import { CartStrategies } from './strategies.ts';
import { assertCartWithinMoneyLimit, totalsOf, type TotalsInput } from './totals.ts';

/** The defaults only: no platform here has strategies of its own. */
const strategies = new CartStrategies();

function platformWith(cart: Record<string, unknown>): Platform {
  return {
    id: '00000000-0000-7000-8000-0000000000aa',
    slug: 'totals',
    name: 'Totals',
    hosts: [],
    defaultCurrency: 'USD',
    currencies: ['USD'],
    defaultLocale: 'en',
    locales: ['en'],
    modules: ['cart'],
    settings: { cart },
    status: 'active',
    createdAt: '',
    updatedAt: '',
  };
}

function cartOf(lines: [unitPrice: number, quantity: number][], shippingMethodId: string | null = 'ship'): TotalsInput {
  return {
    currency: 'USD',
    lines: lines.map(([unitPrice, quantity], i) => ({ variantId: `v${i}`, productId: `p${i}`, unitPrice, quantity })),
    shippingMethodId,
  };
}

/** floor(n / d + 1/2) for n ≥ 0, d > 0: half up, on exact integers. */
const halfUp = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);

/** The reference: every quantity an exact integer or fraction, no number arithmetic. */
function reference(
  lines: [number, number][],
  ratePercentTenThousandths: number, // 8.875 % → 88,750
  inclusive: boolean,
  discountAsked: number,
  ship: { amount: number; freeOver: number | null } | null,
) {
  const subtotal = lines.reduce((sum, [price, qty]) => sum + BigInt(price) * BigInt(qty), 0n);
  const asked = BigInt(Math.max(0, discountAsked));
  const discount = asked < subtotal ? asked : subtotal;
  let shipping = 0n;
  if (ship && lines.length > 0) shipping = ship.freeOver !== null && subtotal - discount >= BigInt(ship.freeOver) ? 0n : BigInt(ship.amount);
  const taxable = subtotal - discount + shipping;
  // rate = p / 100 with p = units / 10^4, so rate = units / 10^6.
  const num = BigInt(ratePercentTenThousandths);
  const den = 1_000_000n;
  const tax = inclusive ? halfUp(taxable * num, den + num) : halfUp(taxable * num, den);
  return { subtotal, discount, shipping, tax, total: inclusive ? taxable : taxable + tax };
}

describe('cart totals: exact tax', () => {
  it('charges 8.875 % exactly (the demo rate), once per order, half up', () => {
    const p = platformWith({ taxRatePercent: 8.875, shippingMethods: [{ id: 'ship', name: 'Ship', prices: [{ currency: 'USD', amount: 500 }] }] });
    assert.equal(totalsOf(strategies, p, cartOf([[1_000_000, 1]], null), 0).totals.tax, 88_750);
    // 3,798 + 500 shipping = 4,298 × 0.08875 = 381.4475 → 381
    const t = totalsOf(strategies, p, cartOf([[3_798, 1]]), 0).totals;
    assert.deepEqual(t, { subtotal: 3_798, discount: 0, shipping: 500, tax: 381, total: 4_679, taxIncluded: false });
    // half up at exactly .5: 40 × 8.875 % = 3.55 → 4; 1,000 × 0.0005 % = 0.005 → 0; 100,000 × 0.0005 % = 0.5 → 1
    assert.equal(totalsOf(strategies, p, cartOf([[40, 1]], null), 0).totals.tax, 4);
    const tiny = platformWith({ taxRatePercent: 0.0005 });
    assert.equal(totalsOf(strategies, tiny, cartOf([[1_000, 1]], null), 0).totals.tax, 0);
    assert.equal(totalsOf(strategies, tiny, cartOf([[100_000, 1]], null), 0).totals.tax, 1);
  });

  it('matches the exact reference over random carts, rates, both tax modes, discounts and shipping', () => {
    const line = fc.tuple(fc.integer({ min: 0, max: 1_000_000_000_000 }), fc.integer({ min: 1, max: 10_000 }));
    const ship = fc.option(fc.record({ amount: fc.integer({ min: 0, max: 1_000_000_000 }), freeOver: fc.option(fc.integer({ min: 0, max: 1_000_000_000_000 })) }));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 8 }),
        fc.integer({ min: 0, max: 1_000_000 }), // the rate in ten-thousandths of a percent: 0 to 100 %
        fc.boolean(),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        ship,
        (rawLines, rateUnits, inclusive, discount, method) => {
          // Keep the cart within the money limit, as the cart's edge does.
          const lines: [number, number][] = [];
          let sum = 0n;
          for (const [price, qty] of rawLines) {
            if (sum + BigInt(price) * BigInt(qty) > BigInt(MAX_MONEY) / 2n) break;
            sum += BigInt(price) * BigInt(qty);
            lines.push([price, qty]);
          }
          // The rate as an operator types it: a decimal number with up to four decimals.
          const taxRatePercent = Number(`${Math.floor(rateUnits / 10_000)}.${String(rateUnits % 10_000).padStart(4, '0')}`);
          const settings = {
            taxRatePercent,
            pricesIncludeTax: inclusive,
            shippingMethods: method ? [{ id: 'ship', name: 'Ship', prices: [{ currency: 'USD', amount: method.amount, ...(method.freeOver === null ? {} : { freeOver: method.freeOver }) }] }] : [],
          };
          assert.ok(Value.Check(cartSettingsSchema, settings), `settings ${JSON.stringify(settings)} are valid`);
          const got = totalsOf(strategies, platformWith(settings), cartOf(lines, method ? 'ship' : null), discount).totals;
          const want = reference(lines, rateUnits, inclusive, discount, method);
          assert.deepEqual(
            [got.subtotal, got.discount, got.shipping, got.tax, got.total, got.taxIncluded].map(String),
            [want.subtotal, want.discount, want.shipping, want.tax, want.total, inclusive].map(String),
          );
          for (const value of [got.subtotal, got.tax, got.total]) assert.ok(Number.isSafeInteger(value));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('refuses rates the engine cannot represent exactly, accepts up to four decimals', () => {
    const ok = (taxRatePercent: unknown) => Value.Check(cartSettingsSchema, { taxRatePercent });
    for (const rate of [0, 8.875, 7.25, 19, 0.0001, 99.9999, 100]) assert.ok(ok(rate), String(rate));
    for (const rate of [8.87501, 0.00001, 1e-7, 100.0001, -1, 101, Number.NaN, '8.875']) assert.ok(!ok(rate), String(rate));
    const [error] = [...Value.Errors(cartSettingsSchema, { taxRatePercent: 8.87501 })];
    assert.match(String(error?.message), /at most 4 decimals/);
  });

  it('reads decimals from their text, not their binary value', () => {
    assert.deepEqual(exactDecimal(8.875), { units: 8875n, scale: 3 });
    assert.deepEqual(exactDecimal(0.1), { units: 1n, scale: 1 });
    assert.deepEqual(exactDecimal(1e-7), { units: 1n, scale: 7 });
    assert.deepEqual(exactDecimal(1.5e3), { units: 1500n, scale: 0 });
    assert.equal(exactDecimal(-1), null);
    assert.equal(exactDecimal(Number.POSITIVE_INFINITY), null);
  });
});

describe('cart totals: the money limit', () => {
  const p = platformWith({ taxRatePercent: 10, shippingMethods: [{ id: 'ship', name: 'Ship', prices: [{ currency: 'USD', amount: 500 }] }] });
  const refused = (lines: [number, number][]) =>
    assert.throws(
      () => assertCartWithinMoneyLimit(strategies, p, cartOf(lines)),
      (e: unknown) => e instanceof HttpProblem && e.status === 422 && e.code === 'money_limit_exceeded',
    );

  it('accepts a 3,000,000,000 cart and refuses one above MAX_MONEY (subtotal, or total with tax and shipping)', () => {
    assertCartWithinMoneyLimit(strategies, p, cartOf([[3_000_000_000, 1]]));
    refused([[1_000_000_000_000, 10_000]]); // 10^16: past 2^53 as a product, refused exactly
    refused([[MAX_MONEY / 10, 10], [1, 1]]);
    refused([[MAX_MONEY / 10, 10]]); // the subtotal is at the limit, tax and shipping take the total over
    assertCartWithinMoneyLimit(strategies, platformWith({}), cartOf([[MAX_MONEY / 10, 10]], null));
  });

  it('checkout refuses an order total above MAX_MONEY (a cart pushed over it by a price rise), before any order exists', () => {
    const cart = (unitPrice: number, quantity: number): CheckoutCart => ({
      ...cartOf([[unitPrice, quantity]]),
      id: 'c',
      version: 1,
      customerId: null,
      email: 'a@b.c',
      couponCode: null,
      shippingAddress: null,
      lines: [{ id: 'l', variantId: 'v', productId: 'p', sku: '', title: '', productTitle: '', quantity, unitPrice, lineTotal: unitPrice * quantity, metadata: {} }],
    });
    assert.equal(computeTotals({ strategies } as CartRuntime, p, cart(3_000_000_000, 1), 0).total, 3_300_000_550);
    assert.throws(
      () => computeTotals({ strategies } as CartRuntime, p, cart(MAX_MONEY / 10, 10), 0),
      (e: unknown) => e instanceof HttpProblem && e.status === 422 && e.code === 'money_limit_exceeded',
    );
  });
});
