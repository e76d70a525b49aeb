// Test fixtures for the commerce flow: a shop with the commerce modules on, products with stock, carts
// filled through the storefront API, and checkout. Suites share these so each test reads as its story.
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { asBearer, createTestPlatform, type TestEnv, type TestPlatform } from './harness.ts';

export const COMMERCE_MODULES = ['catalog', 'inventory', 'promotions', 'cart', 'orders', 'payments', 'flash-sales'];

export interface Shop {
  env: TestEnv;
  platform: TestPlatform;
  slug: string;
  admin(options: Parameters<typeof asBearer>[2]): Promise<LightMyRequestResponse>;
  store(options: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
}

export async function createShop(env: TestEnv, slug: string, settings?: Record<string, unknown>, modules: string[] = COMMERCE_MODULES): Promise<Shop> {
  const platform = await createTestPlatform(env, { slug, modules });
  const admin = (options: Parameters<typeof asBearer>[2]) => asBearer(env.app, platform.adminToken, options);
  if (settings) {
    const res = await asBearer(env.app, env.ownerToken, { method: 'PATCH', url: `/admin/platforms/${slug}`, payload: { settings } });
    assert.equal(res.statusCode, 200, res.body);
  }
  return {
    env,
    platform,
    slug,
    admin,
    store: (options) => env.app.inject({ ...options, headers: { ...platform.store, ...(options.headers ?? {}) } } as InjectOptions),
  };
}

let productCounter = 0;

/** A published product with `count` variants at `price` each, every variant stocked with `stock` units. */
export async function stockedVariants(shop: Shop, count: number, stock: number, price = 1000): Promise<string[]> {
  productCounter += 1;
  const handle = `p${productCounter}-${shop.slug}`;
  const sizes = Array.from({ length: count }, (_, i) => `S${i}`);
  const res = await shop.admin({
    method: 'POST',
    url: `/admin/platforms/${shop.slug}/products`,
    payload: {
      handle,
      title: `Product ${productCounter}`,
      status: 'published',
      options: [{ name: 'size', values: sizes }],
      variants: sizes.map((size) => ({ sku: `${handle}-${size}`, options: { size }, prices: [{ currency: 'USD', amount: price }] })),
    },
  });
  assert.equal(res.statusCode, 201, res.body);
  const ids = res.json().variants.map((v: { id: string }) => v.id) as string[];
  for (const variantId of ids) {
    const set = await shop.admin({ method: 'PUT', url: `/admin/platforms/${shop.slug}/inventory/levels/${variantId}`, payload: { onHand: stock, reason: 'test stock' } });
    assert.equal(set.statusCode, 200, set.body);
  }
  return ids;
}

export interface CartLine {
  variantId: string;
  quantity: number;
  metadata?: Record<string, unknown>;
}

/** A complete address: the standard shipping method delivers, so checkout needs one. */
export const TEST_ADDRESS = Object.freeze({ firstName: 'Ada', lastName: 'Lovelace', line1: '12 Test Street', city: 'Testville', postalCode: '10115', country: 'DE' });

/**
 * A cart ready to check out: lines, the standard shipping method, TEST_ADDRESS (unless `address` says
 * otherwise; null leaves the cart without one), an email, optionally a coupon.
 */
export async function readyCart(
  shop: Shop,
  lines: CartLine[],
  options: { customerToken?: string; coupon?: string; email?: string; address?: Record<string, unknown> | null } = {},
): Promise<string> {
  const auth: Record<string, string> = options.customerToken ? { authorization: `Bearer ${options.customerToken}` } : {};
  const address = options.address === undefined ? TEST_ADDRESS : options.address;
  const payload = { ...(options.customerToken ? {} : { email: options.email ?? 'guest@test.souk' }), ...(address ? { shippingAddress: address } : {}) };
  const created = await shop.store({ method: 'POST', url: '/store/carts', payload, headers: auth });
  assert.equal(created.statusCode, 201, created.body);
  const cartId = created.json().id as string;
  for (const line of lines) {
    const added = await shop.store({ method: 'POST', url: `/store/carts/${cartId}/lines`, payload: line, headers: auth });
    assert.ok(added.statusCode === 200 || added.statusCode === 201, added.body);
  }
  const shipping = await shop.store({ method: 'PUT', url: `/store/carts/${cartId}/shipping-method`, payload: { methodId: 'standard' }, headers: auth });
  assert.equal(shipping.statusCode, 200, shipping.body);
  if (options.coupon) {
    const coupon = await shop.store({ method: 'PUT', url: `/store/carts/${cartId}/coupon`, payload: { code: options.coupon }, headers: auth });
    assert.equal(coupon.statusCode, 200, coupon.body);
  }
  return cartId;
}

export function checkout(shop: Shop, cartId: string, key: string, options: { customerToken?: string; payload?: unknown } = {}): Promise<LightMyRequestResponse> {
  return shop.store({
    method: 'POST',
    url: `/store/carts/${cartId}/checkout`,
    payload: options.payload ?? {},
    headers: { 'idempotency-key': key, ...(options.customerToken ? { authorization: `Bearer ${options.customerToken}` } : {}) },
  });
}

let customerCounter = 0;
export async function registerCustomer(shop: Shop): Promise<{ id: string; token: string; email: string }> {
  customerCounter += 1;
  const email = `c${customerCounter}-${shop.slug}@test.souk`;
  const res = await shop.store({ method: 'POST', url: '/store/customers', payload: { email, password: 'customer-password' } });
  assert.equal(res.statusCode, 201, res.body);
  return { id: res.json().customer.id, token: res.json().token, email };
}

/** On hand, reserved and available of a variant, summed over locations (the inventory admin view). */
export async function stockOf(shop: Shop, variantId: string): Promise<{ onHand: number; reserved: number; available: number }> {
  const res = await shop.admin({ method: 'GET', url: `/admin/platforms/${shop.slug}/inventory/levels/${variantId}` });
  assert.equal(res.statusCode, 200, res.body);
  const { onHand, reserved, available } = res.json();
  return { onHand, reserved, available };
}

export { expectProblem } from './problems.ts';

/**
 * Real values for the commerce path parameters (isolation and fuzz suites): an open customer cart with a
 * line, a coupon, and a placed order with a started sandbox payment. `variantId` must be published.
 */
export async function seedCommerce(env: TestEnv, shop: TestPlatform, customerToken: string, variantId: string, marker = 'seed'): Promise<Record<string, string>> {
  const slug = shop.platform.slug;
  const headers = { ...shop.store, authorization: `Bearer ${customerToken}` };
  const call = async (method: 'POST' | 'PUT', url: string, payload: unknown, extra: Record<string, string> = {}) => {
    const res = await env.app.inject({ method, url, headers: { ...headers, ...extra }, payload: payload as object });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const stocked = await asBearer(env.app, shop.adminToken, { method: 'PUT', url: `/admin/platforms/${slug}/inventory/levels/${variantId}`, payload: { onHand: 50, reason: 'seed' } });
  assert.equal(stocked.statusCode, 200, stocked.body);
  const coupon = await asBearer(env.app, shop.adminToken, { method: 'POST', url: `/admin/platforms/${slug}/coupons`, payload: { code: `${marker.toUpperCase()}OFF`, kind: 'percentage', percent: 5 } });
  assert.equal(coupon.statusCode, 201, coupon.body);

  const open = await call('POST', '/store/carts', {});
  const withLine = await call('POST', `/store/carts/${open.id}/lines`, { variantId, quantity: 1 });
  const placed = await call('POST', '/store/carts', { shippingAddress: TEST_ADDRESS });
  await call('POST', `/store/carts/${placed.id}/lines`, { variantId, quantity: 1 });
  await call('PUT', `/store/carts/${placed.id}/shipping-method`, { methodId: 'standard' });
  const order = await call('POST', `/store/carts/${placed.id}/checkout`, {}, { 'idempotency-key': `${marker}-order` });
  const payment = await call('POST', `/store/orders/${order.id}/payments`, { provider: 'sandbox' });
  const sale = await asBearer(env.app, shop.adminToken, {
    method: 'POST',
    url: `/admin/platforms/${slug}/flash-sales`,
    payload: {
      name: `${marker} sale`,
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      perCustomerLimit: 2,
      items: [{ variantId, salePrice: 500, quantity: 5 }],
    },
  });
  assert.equal(sale.statusCode, 201, sale.body);
  const ticket = await call('POST', `/store/flash-sales/${sale.json().id}/purchase`, { variantId });
  return {
    cartId: open.id,
    lineId: withLine.lines[0].id,
    couponId: coupon.json().id,
    orderId: order.id,
    paymentId: payment.paymentId,
    platformId: shop.platform.id,
    provider: 'sandbox',
    saleId: sale.json().id,
    ticketId: ticket.ticketId,
  };
}
