// Shopping over real HTTP on a `souk start` process seeded with the demo (test/souk-process.ts): the
// guest checkout a shopper would make on the demo's first platform (127.0.0.1 is one of its hosts).
import assert from 'node:assert/strict';
import { DEMO } from '../src/seed/demo.ts';

export interface HttpAnswer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, json, headers: res.headers };
}

/** The demo owner's bearer header. */
export async function demoAdmin(base: string): Promise<Record<string, string>> {
  const login = await call(base, 'POST', '/admin/auth/login', DEMO.admin);
  assert.equal(login.status, 200, JSON.stringify(login.json));
  return { authorization: `Bearer ${String(login.json.token)}` };
}

/** A guest buys one unit of the first product; returns the checkout's answer (201 with the order). */
export async function demoCheckout(base: string, idempotencyKey: string): Promise<HttpAnswer> {
  const products = await call(base, 'GET', '/store/products?limit=1');
  assert.equal(products.status, 200, JSON.stringify(products.json));
  const variantId = (products.json.items as { variants: { id: string }[] }[])[0]!.variants[0]!.id;
  const address = { firstName: 'Ada', lastName: 'Lovelace', line1: '12 Test Street', city: 'Testville', postalCode: '10115', country: 'DE' };
  const cart = await call(base, 'POST', '/store/carts', { email: 'guest@test.souk', shippingAddress: address });
  assert.equal(cart.status, 201, JSON.stringify(cart.json));
  const cartId = String(cart.json.id);
  const line = await call(base, 'POST', `/store/carts/${cartId}/lines`, { variantId, quantity: 1 });
  assert.ok(line.status === 200 || line.status === 201, JSON.stringify(line.json));
  const shipping = await call(base, 'PUT', `/store/carts/${cartId}/shipping-method`, { methodId: 'standard' });
  assert.equal(shipping.status, 200, JSON.stringify(shipping.json));
  const placed = await call(base, 'POST', `/store/carts/${cartId}/checkout`, {}, { 'idempotency-key': idempotencyKey });
  assert.equal(placed.status, 201, JSON.stringify(placed.json));
  return placed;
}
