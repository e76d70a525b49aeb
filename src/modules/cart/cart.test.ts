// Carts on each database engine: lines added, merged by metadata, changed and removed; totals with
// exclusive and inclusive tax, free-over shipping and a real coupon; guest → customer claim; access
// (another customer, another platform); price changes re-captured with a version bump; the checkout
// service; and refused requests that leave the cart tables as they were.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { asBearer, createTestPlatform, eachDatabase, type TestEnv, type TestPlatform } from '../../../test/harness.ts';
import { expectProblem } from '../../../test/problems.ts';
import { tablesFingerprint } from '../../../test/fingerprint.ts';
import type { Platform } from '../../kernel/context.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { cartModule } from './module.ts';
import { cartService, type Cart, type CheckoutCart } from './service.ts';
import { computeTotals } from './checkout-cart.ts';
import type { CartRuntime } from './runtime.ts';
import { CartStrategies, mulDivRoundHalfUp } from './strategies.ts';

const CART_TABLES = ['carts', 'cart_lines'];

async function rejects(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HttpProblem, String(error));
    assert.equal(`${error.status}:${error.code}`, `${status}:${code}`, error.detail);
    return true;
  });
}

/** A platform object for the pure totals tests. */
/** A runtime with only the strategies: the totals read nothing else. */
const runtime = { strategies: new CartStrategies() } as CartRuntime;

function fakePlatform(cart: Record<string, unknown> = {}, currencies = ['USD']): Platform {
  return {
    id: '00000000-0000-7000-8000-000000000001',
    slug: 'fake',
    name: 'Fake',
    hosts: [],
    defaultCurrency: currencies[0]!,
    currencies,
    defaultLocale: 'en',
    locales: ['en'],
    modules: ['cart'],
    settings: { cart },
    status: 'active',
    createdAt: '',
    updatedAt: '',
  };
}

function checkoutCart(lines: [number, number][], shippingMethodId: string | null = 'standard', currency = 'USD'): CheckoutCart {
  return {
    id: 'c',
    version: 1,
    customerId: null,
    email: null,
    currency,
    lines: lines.map(([unitPrice, quantity], i) => ({
      id: `l${i}`,
      variantId: `v${i}`,
      productId: `p${i}`,
      sku: '',
      title: '',
      productTitle: '',
      quantity,
      unitPrice,
      lineTotal: unitPrice * quantity,
      metadata: {},
    })),
    couponCode: null,
    shippingMethodId,
    shippingAddress: null,
  };
}

describe('cart totals (pure)', () => {
  it('rounds half up to minor units, exactly for large amounts', () => {
    assert.equal(mulDivRoundHalfUp(5, 1000, 10_000), 1); // 0.5 → 1
    assert.equal(mulDivRoundHalfUp(4, 1000, 10_000), 0); // 0.4 → 0
    assert.equal(mulDivRoundHalfUp(15, 1000, 10_000), 2); // 1.5 → 2
    assert.equal(mulDivRoundHalfUp(9_000_000_000_000, 1999, 10_000), 1_799_100_000_000);
  });

  it('exclusive tax is added on subtotal − discount + shipping', () => {
    const platform = fakePlatform({ taxRatePercent: 10 });
    const t = computeTotals(runtime, platform, checkoutCart([[1000, 2]]), 300);
    assert.deepEqual(t, { subtotal: 2000, discount: 300, shipping: 500, tax: 220, total: 2420, taxIncluded: false, shippingMethod: { id: 'standard', name: 'Standard', amount: 500 } });
  });

  it('inclusive tax is extracted and not added', () => {
    const platform = fakePlatform({ taxRatePercent: 19, pricesIncludeTax: true });
    const t = computeTotals(runtime, platform, checkoutCart([[1000, 2]]), 0);
    // 2500 × 0.19 / 1.19 = 399.16…
    assert.deepEqual({ ...t, shippingMethod: undefined }, { subtotal: 2000, discount: 0, shipping: 500, tax: 399, total: 2500, taxIncluded: true, shippingMethod: undefined });
  });

  it('two-decimal rates, free-over shipping after the discount, express never free', () => {
    const platform = fakePlatform({ taxRatePercent: 7.25 });
    // 5000 − 0 ≥ 5000: free; 5000 × 0.0725 = 362.5 → 363
    assert.deepEqual(
      { ...computeTotals(runtime, platform, checkoutCart([[2500, 2]]), 0), shippingMethod: undefined },
      { subtotal: 5000, discount: 0, shipping: 0, tax: 363, total: 5363, taxIncluded: false, shippingMethod: undefined },
    );
    // a discount takes it under the threshold: shipping is charged again
    assert.equal(computeTotals(runtime, platform, checkoutCart([[2500, 2]]), 1).shipping, 500);
    assert.equal(computeTotals(runtime, platform, checkoutCart([[2500, 4]], 'express'), 0).shipping, 1500);
  });

  it('custom methods from settings, per currency; a method without a price in the cart currency is not offered', () => {
    const platform = fakePlatform({ shippingMethods: [{ id: 'pickup', name: 'Pickup', prices: [{ currency: 'EUR', amount: 0 }] }] }, ['USD', 'EUR']);
    assert.equal(computeTotals(runtime, platform, checkoutCart([[100, 1]], 'pickup', 'EUR'), 0).shipping, 0);
    assert.throws(() => computeTotals(runtime, platform, checkoutCart([[100, 1]], 'pickup', 'USD'), 0), /shipping method/i);
    assert.throws(() => computeTotals(runtime, platform, checkoutCart([[100, 1]], 'standard', 'EUR'), 0), /shipping method/i);
  });

  it('strategies can be replaced per platform', () => {
    const platform = fakePlatform({ taxRatePercent: 10 });
    runtime.strategies.set(platform.id, {
      shipping: { options: (_p, cart) => [{ id: 'flat', name: 'Flat', amount: cart.lines.length * 100, freeOver: null }] },
      tax: { compute: (_p, { taxableAmount }) => ({ tax: Math.floor(taxableAmount / 2), included: false }) },
    });
    try {
      const t = computeTotals(runtime, platform, checkoutCart([[1000, 1], [500, 1]], 'flat'), 0);
      assert.deepEqual({ shipping: t.shipping, tax: t.tax, total: t.total }, { shipping: 200, tax: 850, total: 2550 });
    } finally {
      runtime.strategies.set(platform.id, {});
    }
    assert.equal(computeTotals(runtime, platform, checkoutCart([[1000, 1]]), 0).tax, 150);
  });
});

eachDatabase('cart', (env: TestEnv) => {
  let shop: TestPlatform;
  let other: TestPlatform;
  let pdb: PlatformDb;
  let productCounter = 0;
  let customerCounter = 0;
  const slug = 'cart-shop';

  const fingerprint = () => tablesFingerprint(env.souk.database, CART_TABLES);
  const admin = (options: InjectOptions, platform: TestPlatform = shop) => asBearer(env.app, platform.adminToken, options);
  const store = (options: InjectOptions, token?: string, platform: TestPlatform = shop) =>
    env.app.inject({ ...options, headers: { ...platform.store, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.headers ?? {}) } });

  /** A product with one variant per price list; returns the product and variant ids. */
  async function product(prices: { currency: string; amount: number }[][], status: 'published' | 'draft' = 'published', platform: TestPlatform = shop) {
    productCounter += 1;
    const handle = `cart-p${productCounter}`;
    const sizes = prices.map((_, i) => `S${i}`);
    const res = await admin(
      {
        method: 'POST',
        url: `/admin/platforms/${platform.platform.slug}/products`,
        payload: {
          handle,
          title: `Product ${productCounter}`,
          status,
          options: [{ name: 'size', values: sizes }],
          variants: sizes.map((size, i) => ({ sku: `${handle}-${size}`, title: size, options: { size }, prices: prices[i] })),
        },
      },
      platform,
    );
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    return { productId: body.id as string, variantIds: body.variants.map((v: { id: string }) => v.id) as string[] };
  }
  const usd = (amount: number) => [{ currency: 'USD', amount }];

  async function customer(platform: TestPlatform = shop): Promise<{ token: string; id: string; email: string }> {
    customerCounter += 1;
    const email = `buyer${customerCounter}@cart.test`;
    const res = await store({ method: 'POST', url: '/store/customers', payload: { email, password: 'customer-password' } }, undefined, platform);
    assert.equal(res.statusCode, 201, res.body);
    return { token: res.json().token, id: res.json().customer.id, email };
  }

  async function newCart(payload: Record<string, unknown> = {}, token?: string): Promise<Cart> {
    const res = await store({ method: 'POST', url: '/store/carts', payload }, token);
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }
  async function add(cartId: string, variantId: string, quantity: number, metadata?: Record<string, unknown>, token?: string): Promise<Cart> {
    const res = await store({ method: 'POST', url: `/store/carts/${cartId}/lines`, payload: { variantId, quantity, ...(metadata ? { metadata } : {}) } }, token);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  async function get(cartId: string, token?: string): Promise<Cart> {
    const res = await store({ url: `/store/carts/${cartId}` }, token);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  before(async () => {
    shop = await createTestPlatform(env, { slug, currencies: ['USD', 'EUR'], modules: ['catalog', 'promotions', 'cart'] });
    other = await createTestPlatform(env, { slug: 'cart-other', modules: ['catalog', 'promotions', 'cart'] });
    pdb = env.souk.ctx.platformDb(shop.platform.id);
  });

  describe('lines', () => {
    it('creates guest carts in the default or a chosen currency; another currency is 422', async () => {
      const cart = await newCart();
      assert.equal(cart.status, 'active');
      assert.equal(cart.currency, 'USD');
      assert.equal(cart.customerId, null);
      assert.equal(cart.version, 1);
      assert.deepEqual(cart.totals, { subtotal: 0, discount: 0, shipping: 0, tax: 0, total: 0, taxIncluded: false });
      assert.equal((await newCart({ currency: 'EUR', email: 'guest@cart.test' })).email, 'guest@cart.test');
      const before = await fingerprint();
      expectProblem(await store({ method: 'POST', url: '/store/carts', payload: { currency: 'GBP' } }), 422, 'currency_not_supported');
      expectProblem(await store({ method: 'POST', url: '/store/carts', payload: { currency: 'usd' } }), 400, 'validation_failed');
      expectProblem(await store({ method: 'POST', url: '/store/carts', payload: {} }, 'not-a-session'), 401);
      assert.equal(await fingerprint(), before);
    });

    it('adds, merges equal lines, keeps different metadata apart, changes and removes', async () => {
      const { variantIds, productId } = await product([usd(1000), usd(250)]);
      const [a, b] = variantIds as [string, string];
      const cart = await newCart();
      let c = await add(cart.id, a, 2);
      assert.equal(c.version, 2);
      assert.equal(c.lines.length, 1);
      assert.deepEqual(
        { ...c.lines[0], id: undefined },
        { id: undefined, variantId: a, productId, sku: `cart-p${productCounter}-S0`, title: 'S0', productTitle: `Product ${productCounter}`, quantity: 2, unitPrice: 1000, lineTotal: 2000, metadata: {}, priceChanged: false },
      );
      c = await add(cart.id, a, 3);
      assert.equal(c.lines.length, 1);
      assert.equal(c.lines[0]!.quantity, 5);
      c = await add(cart.id, a, 1, { engraving: 'Ada', gift: true });
      c = await add(cart.id, a, 1, { gift: true, engraving: 'Ada' });
      assert.equal(c.lines.length, 2, 'same metadata in another key order merges');
      assert.deepEqual(c.lines.map((l) => [l.variantId, l.quantity, l.metadata]), [[a, 5, {}], [a, 2, { engraving: 'Ada', gift: true }]]);
      c = await add(cart.id, b, 4);
      assert.equal(c.totals.subtotal, 5 * 1000 + 2 * 1000 + 4 * 250);
      const lineB = c.lines.find((l) => l.variantId === b)!;
      let res = await store({ method: 'PATCH', url: `/store/carts/${cart.id}/lines/${lineB.id}`, payload: { quantity: 1 } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().lines.find((l: { id: string }) => l.id === lineB.id).quantity, 1);
      res = await store({ method: 'DELETE', url: `/store/carts/${cart.id}/lines/${lineB.id}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().lines.length, 2);
      assert.equal(res.json().version, c.version + 2);
      const read = await get(cart.id);
      assert.equal(read.version, c.version + 2, 'a read with unchanged prices does not bump the version');
      assert.equal(read.totals.subtotal, 7000);
      expectProblem(await store({ method: 'DELETE', url: `/store/carts/${cart.id}/lines/${lineB.id}` }), 404, 'line_not_found');
    });

    it('refuses bad quantities (400), unsellable variants (422) and a 101st line, changing nothing', async () => {
      const { variantIds } = await product([usd(100), [{ currency: 'EUR', amount: 90 }]]);
      const [priced, eurOnly] = variantIds as [string, string];
      const { variantIds: draftIds } = await product([usd(100)], 'draft');
      const cart = await newCart();
      const line = (await add(cart.id, priced, 99)).lines[0]!;
      const before = await fingerprint();
      for (const quantity of [0, -1, 1.5, 10_001, 'two']) {
        expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: priced, quantity } }), 400, 'validation_failed');
        expectProblem(await store({ method: 'PATCH', url: `/store/carts/${cart.id}/lines/${line.id}`, payload: { quantity } }), 400, 'validation_failed');
      }
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: priced, quantity: 2 } }), 400, 'quantity_too_large');
      expectProblem(await store({ method: 'PATCH', url: `/store/carts/${cart.id}/lines/${line.id}`, payload: { quantity: 101 } }), 400, 'quantity_too_large');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: eurOnly, quantity: 1 } }), 422, 'variant_not_sellable');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: draftIds[0], quantity: 1 } }), 422, 'variant_not_sellable');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: '00000000-0000-7000-8000-000000000000', quantity: 1 } }), 422, 'variant_not_sellable');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: 'nope', quantity: 1 } }), 400, 'validation_failed');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: priced, quantity: 1, metadata: { note: 'x'.repeat(2100) } } }), 400, 'metadata_too_large');
      expectProblem(await store({ method: 'PATCH', url: `/store/carts/${cart.id}`, payload: { email: 'not-an-email' } }), 400, 'validation_failed');
      expectProblem(await store({ method: 'PATCH', url: `/store/carts/${cart.id}`, payload: { shippingAddress: { line1: 'x' } } }), 400, 'validation_failed');
      expectProblem(await store({ url: '/store/carts/not-a-uuid' }), 400, 'validation_failed');
      expectProblem(await store({ url: '/store/carts/00000000-0000-7000-8000-000000000000' }), 404, 'cart_not_found');
      assert.equal(await fingerprint(), before);
      // 100 lines of one variant with distinct metadata fill the cart; the 101st is refused.
      const full = await newCart();
      for (let i = 0; i < 100; i += 1) await add(full.id, priced, 1, { n: i });
      const beforeFull = await fingerprint();
      expectProblem(await store({ method: 'POST', url: `/store/carts/${full.id}/lines`, payload: { variantId: priced, quantity: 1, metadata: { n: 100 } } }), 422, 'too_many_lines');
      assert.equal(await fingerprint(), beforeFull);
      assert.equal((await add(full.id, priced, 1, { n: 5 })).lines.length, 100, 'an existing line can still grow');
    });

    it('stores email and shipping address; null clears them', async () => {
      const cart = await newCart();
      const address = { firstName: 'Ada', line1: '1 Loop Rd', city: 'Berlin', postalCode: '10115', country: 'DE' };
      let res = await store({ method: 'PATCH', url: `/store/carts/${cart.id}`, payload: { email: 'ada@cart.test', shippingAddress: address } });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual([res.json().email, res.json().shippingAddress, res.json().version], ['ada@cart.test', address, 2]);
      res = await store({ method: 'PATCH', url: `/store/carts/${cart.id}`, payload: { shippingAddress: null } });
      assert.deepEqual([res.json().email, res.json().shippingAddress, res.json().version], ['ada@cart.test', null, 3]);
    });
  });

  describe('totals', () => {
    it('shipping options and method: standard free over 5000, express 1500; an unknown method is 422', async () => {
      const { variantIds } = await product([usd(2000)]);
      const cart = await newCart();
      await add(cart.id, variantIds[0]!, 2);
      let res = await store({ url: `/store/carts/${cart.id}/shipping-options` });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().items, [
        { id: 'standard', name: 'Standard', amount: 500, freeOver: 5000, delivery: true },
        { id: 'express', name: 'Express', amount: 1500, freeOver: null, delivery: true },
      ]);
      const before = await fingerprint();
      expectProblem(await store({ method: 'PUT', url: `/store/carts/${cart.id}/shipping-method`, payload: { methodId: 'teleport' } }), 422, 'shipping_method_unavailable');
      assert.equal(await fingerprint(), before);
      res = await store({ method: 'PUT', url: `/store/carts/${cart.id}/shipping-method`, payload: { methodId: 'standard' } });
      assert.deepEqual(res.json().shippingMethod, { id: 'standard', name: 'Standard', amount: 500 });
      assert.deepEqual(res.json().totals, { subtotal: 4000, discount: 0, shipping: 500, tax: 0, total: 4500, taxIncluded: false });
      const more = await add(cart.id, variantIds[0]!, 1);
      assert.deepEqual(more.totals, { subtotal: 6000, discount: 0, shipping: 0, tax: 0, total: 6000, taxIncluded: false });
      res = await store({ method: 'PUT', url: `/store/carts/${cart.id}/shipping-method`, payload: { methodId: 'express' } });
      assert.equal(res.json().totals.total, 7500);
    });

    it('exclusive and inclusive tax from settings.cart', async () => {
      const patch = (settings: Record<string, unknown>) =>
        asBearer(env.app, env.ownerToken, { method: 'PATCH', url: `/admin/platforms/${slug}`, payload: { settings: { cart: settings } } });
      const bad = await patch({ taxRatePercent: 101 });
      expectProblem(bad, 400, 'invalid_settings');
      // A rate the engine would have to round is refused at the settings edge, not silently rounded.
      const inexact = await patch({ taxRatePercent: 8.87501 });
      expectProblem(inexact, 400, 'invalid_settings');
      assert.match(inexact.json().detail, /taxRatePercent.*at most 4 decimals/);
      const { variantIds } = await product([usd(1000)]);
      const cart = await newCart();
      await add(cart.id, variantIds[0]!, 2);
      await store({ method: 'PUT', url: `/store/carts/${cart.id}/shipping-method`, payload: { methodId: 'standard' } });
      try {
        assert.equal((await patch({ taxRatePercent: 10 })).statusCode, 200);
        assert.deepEqual((await get(cart.id)).totals, { subtotal: 2000, discount: 0, shipping: 500, tax: 250, total: 2750, taxIncluded: false });
        // 8.875 % exactly: 2,500 × 0.08875 = 221.875 → 222 (the exact cases are in totals.test.ts)
        assert.equal((await patch({ taxRatePercent: 8.875 })).statusCode, 200);
        assert.equal((await get(cart.id)).totals.tax, 222);
        assert.equal((await patch({ taxRatePercent: 19, pricesIncludeTax: true })).statusCode, 200);
        assert.deepEqual((await get(cart.id)).totals, { subtotal: 2000, discount: 0, shipping: 500, tax: 399, total: 2500, taxIncluded: true });
      } finally {
        await patch({});
      }
    });

    it('a real coupon: applied, refused when it does not apply (nothing stored), shown with its error when it stops applying', async () => {
      const { variantIds } = await product([usd(1000)]);
      const coupon = await admin({ method: 'POST', url: `/admin/platforms/${slug}/coupons`, payload: { code: 'TENOFF', kind: 'percentage', percent: 10, minSubtotal: 2000 } });
      assert.equal(coupon.statusCode, 201, coupon.body);
      const cart = await newCart();
      const line = (await add(cart.id, variantIds[0]!, 3)).lines[0]!;
      const before = await fingerprint();
      expectProblem(await store({ method: 'PUT', url: `/store/carts/${cart.id}/coupon`, payload: { code: 'NOPE' } }), 404, 'coupon_not_found');
      assert.equal(await fingerprint(), before);
      let res = await store({ method: 'PUT', url: `/store/carts/${cart.id}/coupon`, payload: { code: 'tenoff' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().coupon, { code: 'TENOFF', discount: 300 });
      assert.deepEqual(res.json().totals, { subtotal: 3000, discount: 300, shipping: 0, tax: 0, total: 2700, taxIncluded: false });
      res = await store({ method: 'PATCH', url: `/store/carts/${cart.id}/lines/${line.id}`, payload: { quantity: 1 } });
      assert.equal(res.json().coupon.code, 'TENOFF');
      assert.equal(res.json().coupon.error.code, 'coupon_min_subtotal');
      assert.equal(res.json().totals.discount, 0);
      const beforeRefused = await fingerprint();
      expectProblem(await store({ method: 'PUT', url: `/store/carts/${cart.id}/coupon`, payload: { code: 'TENOFF' } }), 422, 'coupon_min_subtotal');
      assert.equal(await fingerprint(), beforeRefused);
      res = await store({ method: 'DELETE', url: `/store/carts/${cart.id}/coupon` });
      assert.equal(res.json().coupon, null);
    });
  });

  describe('access and claim', () => {
    it("a customer's cart is theirs only: no session, another customer or another platform → 404", async () => {
      const ada = await customer();
      const bob = await customer();
      const cart = await newCart({}, ada.token);
      assert.equal(cart.customerId, ada.id);
      assert.equal(cart.email, ada.email);
      assert.equal((await get(cart.id, ada.token)).id, cart.id);
      const guest = await newCart();
      const before = await fingerprint();
      expectProblem(await store({ url: `/store/carts/${cart.id}` }), 404, 'cart_not_found');
      expectProblem(await store({ url: `/store/carts/${cart.id}` }, bob.token), 404, 'cart_not_found');
      expectProblem(await store({ method: 'PATCH', url: `/store/carts/${cart.id}`, payload: { email: 'x@y.test' } }, bob.token), 404, 'cart_not_found');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/claim` }, bob.token), 404, 'cart_not_found');
      expectProblem(await store({ url: `/store/carts/${guest.id}` }, undefined, other), 404, 'cart_not_found');
      expectProblem(await store({ method: 'DELETE', url: `/store/carts/${guest.id}/coupon` }, undefined, other), 404, 'cart_not_found');
      assert.equal(await fingerprint(), before);
    });

    it('claim merges a guest cart into the customer’s newest cart (quantities add up to the max) or hands it over', async () => {
      const { variantIds } = await product([usd(100), usd(200)]);
      const [a, b] = variantIds as [string, string];
      const ada = await customer();
      await newCart({}, ada.token);
      const own = await newCart({}, ada.token);
      await add(own.id, a, 95, undefined, ada.token);
      const guest = await newCart({ email: 'guest@cart.test' });
      await add(guest.id, a, 10);
      await add(guest.id, b, 1, { gift: true });
      expectProblem(await store({ method: 'POST', url: `/store/carts/${guest.id}/claim` }), 401);
      const res = await store({ method: 'POST', url: `/store/carts/${guest.id}/claim` }, ada.token);
      assert.equal(res.statusCode, 200, res.body);
      const merged: Cart = res.json();
      assert.equal(merged.id, own.id);
      assert.deepEqual(merged.lines.map((l) => [l.variantId, l.quantity, l.metadata]), [[a, 100, {}], [b, 1, { gift: true }]]);
      const old = await get(guest.id);
      assert.equal(old.status, 'merged');
      expectProblem(await store({ method: 'POST', url: `/store/carts/${guest.id}/lines`, payload: { variantId: a, quantity: 1 } }), 409, 'cart_merged');
      // A customer without a cart gets the guest cart itself.
      const bob = await customer();
      const second = await newCart();
      await add(second.id, b, 2);
      const handed = await store({ method: 'POST', url: `/store/carts/${second.id}/claim` }, bob.token);
      assert.equal(handed.statusCode, 200, handed.body);
      assert.deepEqual([handed.json().id, handed.json().customerId, handed.json().email], [second.id, bob.id, bob.email]);
      expectProblem(await store({ url: `/store/carts/${second.id}` }), 404, 'cart_not_found');
      // Claiming again is harmless.
      assert.equal((await store({ method: 'POST', url: `/store/carts/${second.id}/claim` }, bob.token)).json().id, second.id);
    });
  });

  describe('prices and checkout', () => {
    it('a changed catalog price is re-captured on read, flagged once and bumps the version', async () => {
      const { productId, variantIds } = await product([usd(1000)]);
      const cart = await newCart();
      const added = await add(cart.id, variantIds[0]!, 2);
      const res = await admin({ method: 'PATCH', url: `/admin/platforms/${slug}/products/${productId}/variants/${variantIds[0]}`, payload: { prices: usd(1200) } });
      assert.equal(res.statusCode, 200, res.body);
      const first = await get(cart.id);
      assert.equal(first.version, added.version + 1);
      assert.deepEqual([first.lines[0]!.unitPrice, first.lines[0]!.priceChanged, first.totals.subtotal], [1200, true, 2400]);
      const second = await get(cart.id);
      assert.deepEqual([second.version, second.lines[0]!.priceChanged], [first.version, false]);
    });

    it('loadCartForCheckout, computeTotals and completeCart', async () => {
      const { productId, variantIds } = await product([usd(1000)]);
      const ada = await customer();
      const cart = await newCart({}, ada.token);
      const platform = env.souk.ctx.platforms.byId(shop.platform.id)!;
      const load = (who: { customerId: string | null; expectedVersion?: number }, id = cart.id) =>
        pdb.transaction((tx) => cartService(env.souk.ctx).loadCartForCheckout(tx, platform, id, who));
      await rejects(load({ customerId: ada.id }), 422, 'cart_empty');
      await rejects(load({ customerId: null }), 404, 'cart_not_found');
      const added = await add(cart.id, variantIds[0]!, 2, { note: 'hi' }, ada.token);
      await rejects(load({ customerId: ada.id }), 422, 'shipping_method_required');
      const withShipping = (await store({ method: 'PUT', url: `/store/carts/${cart.id}/shipping-method`, payload: { methodId: 'standard' } }, ada.token)).json();
      assert.equal(withShipping.version, added.version + 1);
      await rejects(load({ customerId: ada.id, expectedVersion: added.version }), 409, 'cart_stale');
      const loaded = await load({ customerId: ada.id, expectedVersion: withShipping.version });
      assert.deepEqual(
        { ...loaded, lines: loaded.lines.map((l) => ({ ...l, id: undefined, sku: undefined })) },
        {
          id: cart.id,
          version: withShipping.version,
          customerId: ada.id,
          email: ada.email,
          currency: 'USD',
          lines: [{ id: undefined, sku: undefined, variantId: variantIds[0], productId, title: 'S0', productTitle: `Product ${productCounter}`, quantity: 2, unitPrice: 1000, lineTotal: 2000, metadata: { note: 'hi' } }],
          couponCode: null,
          shippingMethodId: 'standard',
          shippingAddress: null,
        },
      );
      assert.deepEqual(cartService(env.souk.ctx).computeTotals(platform, loaded, 100), { subtotal: 2000, discount: 100, shipping: 500, tax: 0, total: 2400, taxIncluded: false, shippingMethod: { id: 'standard', name: 'Standard', amount: 500 } });
      // A price change since capture: stale until the cart is read again.
      await admin({ method: 'PATCH', url: `/admin/platforms/${slug}/products/${productId}/variants/${variantIds[0]}`, payload: { prices: usd(900) } });
      await rejects(load({ customerId: ada.id }), 409, 'cart_stale');
      const reread = await get(cart.id, ada.token);
      assert.equal((await load({ customerId: ada.id, expectedVersion: reread.version })).lines[0]!.unitPrice, 900);
      // Unpublished meanwhile: not sellable.
      await admin({ method: 'PATCH', url: `/admin/platforms/${slug}/products/${productId}`, payload: { status: 'draft' } });
      await rejects(load({ customerId: ada.id }), 422, 'variant_not_sellable');
      assert.equal((await get(cart.id, ada.token)).lines[0]!.title, 'S0', 'an unsellable line still shows with its name');
      await admin({ method: 'PATCH', url: `/admin/platforms/${slug}/products/${productId}`, payload: { status: 'published' } });
      const orderId = '00000000-0000-7000-8000-0000000000aa';
      assert.equal(await pdb.transaction((tx) => cartService(env.souk.ctx).completeCart(tx, cart.id, orderId)), true);
      assert.equal(await pdb.transaction((tx) => cartService(env.souk.ctx).completeCart(tx, cart.id, orderId)), false);
      await rejects(load({ customerId: ada.id }), 409, 'cart_completed');
      const before = await fingerprint();
      expectProblem(await store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: variantIds[0], quantity: 1 } }, ada.token), 409, 'cart_completed');
      expectProblem(await store({ method: 'DELETE', url: `/store/carts/${cart.id}/coupon` }, ada.token), 409, 'cart_completed');
      assert.equal(await fingerprint(), before);
      assert.equal((await get(cart.id, ada.token)).status, 'completed');
    });

    it("a platform's own strategies live in this Souk's cart runtime: the cart routes and cartService both use them", async () => {
      const { variantIds } = await product([usd(1000)]);
      const cart = await newCart();
      await add(cart.id, variantIds[0]!, 1);
      const platform = env.souk.ctx.platforms.byId(shop.platform.id)!;
      const { strategies } = env.souk.runtimeOf(cartModule);
      strategies.set(shop.platform.id, { tax: { compute: () => ({ tax: 7, included: false }) } });
      try {
        assert.equal((await get(cart.id)).totals.tax, 7);
        assert.equal(cartService(env.souk.ctx).computeTax(platform, { currency: 'USD', taxableAmount: 1000 }).tax, 7);
      } finally {
        strategies.set(shop.platform.id, {});
      }
      assert.equal((await get(cart.id)).totals.tax, 0);
    });

    it('concurrent adds to one cart all land (the row lock serialises them)', async () => {
      const { variantIds } = await product([usd(10)]);
      const cart = await newCart();
      const results = await Promise.all(Array.from({ length: 20 }, () => store({ method: 'POST', url: `/store/carts/${cart.id}/lines`, payload: { variantId: variantIds[0], quantity: 1 } })));
      assert.deepEqual([...new Set(results.map((r) => r.statusCode))], [200]);
      const read = await get(cart.id);
      assert.deepEqual([read.lines.length, read.lines[0]!.quantity, read.version], [1, 20, 21]);
    });
  });
});
