// The scripted bonus-hunter attack against a running Souk, through its public API only: every actor signs
// up, fills a cart, applies the new-customer coupon, checks out, and tries the flash sale, with its own
// address (as the client address), device (x-device-id) and user agent. Actors run a few at a time in the
// crowd's seeded order, so the farm and the shoppers interleave. The same code drives an in-process
// Fastify (app.inject, the test) and a listening server over HTTP (the benchmark): only `send` differs.
//
// An attacker never solves a challenge (its scripts do not run the proof of work), so for the farm a
// challenge counts as stopped, like a deny and a review (an order held for a person). For a shopper any
// of the three counts as "affected". A challenge or deny at sign-up stops everything after it.
import { crowd, type Actor, type AttackShape } from './actors.ts';

export interface SendRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
  /** The client address the server should see. */
  ip?: string;
}
export interface SendResponse {
  status: number;
  body: Record<string, unknown>;
}
export type Send = (request: SendRequest) => Promise<SendResponse>;

/** What the risk engine did to one goal of one actor. `error` is anything that is not a risk answer. */
export type Outcome = 'through' | 'deny' | 'challenge' | 'review' | 'error';
export const OUTCOMES: readonly Outcome[] = ['through', 'deny', 'challenge', 'review', 'error'];

export interface ActorResult {
  actor: Actor;
  /** Where the goal was stopped (signup, coupon, checkout, flash_sale) or went through. */
  coupon: { outcome: Outcome; at: string };
  sale: { outcome: Outcome; at: string };
  errors: string[];
}

export interface TargetShop {
  /** Headers that make a /store request act on the platform (publishable key). */
  store: Record<string, string>;
  variantId: string;
  couponCode: string;
  saleId: string;
  saleVariantId: string;
}

const PASSWORD = 'attack-sim-password';

function riskOutcome(response: SendResponse): Outcome | undefined {
  if (response.status !== 403) return undefined;
  const code = response.body.code;
  return code === 'risk_denied' ? 'deny' : code === 'challenge_required' ? 'challenge' : undefined;
}

/** One actor's whole visit. Risk answers are outcomes; any other refusal is recorded as an error. */
async function visit(send: Send, shop: TargetShop, actor: Actor): Promise<ActorResult> {
  const errors: string[] = [];
  const base = { ...shop.store, 'x-device-id': actor.deviceId, 'user-agent': actor.userAgent };
  const call = (method: SendRequest['method'], url: string, payload?: unknown, extra: Record<string, string> = {}) =>
    send({ method, url, payload, headers: { ...base, ...extra }, ip: actor.ip });
  const failed = (step: string, r: SendResponse): Outcome => {
    errors.push(`${step}: ${r.status} ${String(r.body.code ?? '')}`);
    return 'error';
  };

  const signup = await call('POST', '/store/customers', { email: actor.email, password: PASSWORD });
  if (signup.status !== 201) {
    const outcome = riskOutcome(signup) ?? failed('signup', signup);
    return { actor, coupon: { outcome, at: 'signup' }, sale: { outcome, at: 'signup' }, errors };
  }
  const auth = { authorization: `Bearer ${String(signup.body.token)}` };

  const coupon = await (async (): Promise<ActorResult['coupon']> => {
    const cart = await call('POST', '/store/carts', { shippingAddress: addressOf(actor) }, auth);
    if (cart.status !== 201) return { outcome: failed('cart', cart), at: 'cart' };
    const cartId = String(cart.body.id);
    const line = await call('POST', `/store/carts/${cartId}/lines`, { variantId: shop.variantId, quantity: 1 }, auth);
    if (line.status !== 200 && line.status !== 201) return { outcome: failed('line', line), at: 'cart' };
    const shipping = await call('PUT', `/store/carts/${cartId}/shipping-method`, { methodId: 'standard' }, auth);
    if (shipping.status !== 200) return { outcome: failed('shipping', shipping), at: 'cart' };
    const applied = await call('PUT', `/store/carts/${cartId}/coupon`, { code: shop.couponCode }, auth);
    if (applied.status !== 200) return { outcome: riskOutcome(applied) ?? failed('coupon', applied), at: 'coupon' };
    const order = await call('POST', `/store/carts/${cartId}/checkout`, {}, { ...auth, 'idempotency-key': `sim-${actor.kind}-${actor.index}` });
    if (order.status !== 201) return { outcome: riskOutcome(order) ?? failed('checkout', order), at: 'checkout' };
    return { outcome: order.body.status === 'on_hold' ? 'review' : 'through', at: 'checkout' };
  })();

  const bought = await call('POST', `/store/flash-sales/${shop.saleId}/purchase`, { variantId: shop.saleVariantId }, auth);
  const sale: ActorResult['sale'] =
    bought.status === 202
      ? { outcome: bought.body.held === true ? 'review' : 'through', at: 'flash_sale' }
      : { outcome: riskOutcome(bought) ?? failed('flash_sale', bought), at: 'flash_sale' };
  return { actor, coupon, sale, errors };
}

function addressOf(actor: Actor): Record<string, string> {
  return { firstName: actor.email.slice(0, 12), lastName: 'Example', line1: `${actor.index + 1} Market Street`, city: 'Berlin', postalCode: '10115', country: 'DE' };
}

export interface AttackRun {
  results: ActorResult[];
  seconds: number;
}

/** Runs the crowd, `concurrency` visits at a time, in the crowd's order. */
export async function runAttack(send: Send, shop: TargetShop, shape: AttackShape, concurrency: number, progress?: (done: number, total: number) => void): Promise<AttackRun> {
  const actors = crowd(shape);
  const results: ActorResult[] = new Array(actors.length);
  const started = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, actors.length) }, async () => {
      while (next < actors.length) {
        const i = next++;
        results[i] = await visit(send, shop, actors[i]!);
        done += 1;
        if (progress && done % 250 === 0) progress(done, actors.length);
      }
    }),
  );
  return { results, seconds: (performance.now() - started) / 1000 };
}
