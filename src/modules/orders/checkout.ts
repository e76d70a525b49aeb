// Checkout: a cart becomes an order in pending_payment, in one transaction —
//   idempotency record → cart (locked, repriced) → address when delivered → coupon use → totals → payment timer →
//   order, lines, history (one statement) → cart completed → order.created → stock reservation.
// Locks are still taken in the global order (idempotency key, cart, coupon, reservation, stock levels);
// the rows written in between are new and contended by nobody. Stock comes last so the level rows —
// the ones every buyer of a popular variant queues on — are held for the fewest round trips.
// Any refusal (stale cart, coupon exhausted, out of stock) throws a 4xx and rolls everything back, so a
// refused checkout leaves no trace. Nothing here calls outside the database.
//
// Idempotency: the (platform, requester, key) row is inserted first. A concurrent request with the same
// key waits on that unique key until the first transaction ends, then either finds its order (same body:
// the same order comes back) or a different request hash (409). If the first one failed, nothing was
// stored and the second simply runs. Keys are scoped to the requester, so one customer's key can never
// return another's order.
//
// The guest access token: the order keeps only its hash (access-token.ts), and the idempotency row keeps
// it sealed (ctx.secrets), because a replay must answer with the same usable token. Sealed rather than
// derived (an HMAC of the order id under the installation key): the key alone then opens no order, and a
// key rotation re-seals it like any other sealed value (`souk secrets rotate`).
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { retryTransientConflicts } from '../../kernel/db/retry.ts';
import { newId, sha256 } from '../../kernel/ids.ts';
import { cartService, type CheckoutCart } from '../cart/service.ts';
import { inventoryService } from '../inventory/service.ts';
import { promotionsService } from '../promotions/service.ts';
import { assertDeliverableAddress } from './address.ts';
import { EVENT_CREATED, EVENT_HELD, EVENT_PAYMENT_TIMEOUT } from './events.ts';
import { heldPayload } from './review.ts';
import { screenCheckout, type RiskDeps } from './risk.ts';
import type { RiskGateRequest } from '../../kernel/risk-gate.ts';
import type { OrdersDeps } from './lifecycle.ts';
import { insertOrderWith, orderNumber } from './insert.ts';
import { hashOrderToken, newOrderToken } from './access-token.ts';
import { getOrder, toOrder } from './read.ts';
import type { CheckoutBody, Order } from './schemas.ts';
import { HOLD_MARGIN_SECONDS, ordersSettings } from './settings.ts';
import { emailRequired, idempotencyKeyReused } from './problems.ts';
import { cartCompletedMeanwhile } from '../cart/problems.ts';

export interface CheckoutInput {
  cartId: string;
  idempotencyKey: string;
  body: CheckoutBody;
  customer: { id: string; email: string; createdAt?: string } | null;
  /** The request as the risk gate reads it (address, headers); without it the checkout is not screened. */
  client?: RiskGateRequest;
}

export interface CheckoutOutcome {
  order: Order & { accessToken: string };
  /** True when this key had already produced the order (a retry or a concurrent duplicate). */
  replayed: boolean;
}


function requestHash(input: CheckoutInput): string {
  return sha256(JSON.stringify([input.cartId.toLowerCase(), input.body.expectedVersion ?? null]));
}

type CheckoutDeps = OrdersDeps & Pick<ModuleContext, 'secrets'> & RiskDeps;

export async function checkout(deps: CheckoutDeps, pdb: PlatformDb, platform: Platform, input: CheckoutInput): Promise<CheckoutOutcome> {
  const scope = input.customer ? `customer:${input.customer.id}` : 'guest';
  const hash = requestHash(input);
  // A deadlock victim (checkout against a batch of timeout cancels, say) wrote nothing: run it again.
  return retryTransientConflicts(() => pdb.transaction(async (tx) => {
    const orderId = newId();
    const accessToken = newOrderToken();
    const claimed = await tx.execute(
      `insert into order_checkouts (platform_id, scope, idempotency_key, request_hash, order_id, access_token_sealed) values ($1, $2, $3, $4, $5, $6)
       on conflict (platform_id, scope, idempotency_key) do nothing`,
      [scope, input.idempotencyKey, hash, orderId, deps.secrets.seal(accessToken)],
    );
    if (claimed.rowCount === 0) return replay(deps, tx, scope, input.idempotencyKey, hash);

    const carts = cartService(deps);
    const cart = await carts.loadCartForCheckout(tx, platform, input.cartId, {
      customerId: input.customer?.id ?? null,
      ...(input.body.expectedVersion === undefined ? {} : { expectedVersion: input.body.expectedVersion }),
    });
    const email = cart.email ?? input.customer?.email ?? null;
    if (!email) throw emailRequired();
    // Refused before the coupon use is taken: an order that ships must say where to.
    if (carts.shippingDelivers(platform, cart)) assertDeliverableAddress(cart.shippingAddress);

    const discount = cart.couponCode ? (await promotionsService(deps).redeemCoupon(tx, cart.couponCode, couponContext(cart, email, orderId))).discount : 0;
    const totals = carts.computeTotals(platform, cart, discount);
    // Screened once the money at stake is known; a review holds the order (on_hold) for a person.
    const hold = input.client
      ? await screenCheckout(deps, tx, platform, input.client, {
        orderId, cartId: cart.id, customer: input.customer, email, amount: totals.total, currency: cart.currency, couponCode: cart.couponCode, shippingAddress: cart.shippingAddress,
      })
      : undefined;

    const { unpaidTimeoutSeconds, reviewTimeoutSeconds } = ordersSettings(platform);
    const now = new Date();
    // A held order's timer is its review deadline; approving it opens the payment window then.
    const dueAt = new Date(now.getTime() + (hold ? reviewTimeoutSeconds : unpaidTimeoutSeconds) * 1000);
    const timerId = await deps.events.schedule(tx, dueAt, EVENT_PAYMENT_TIMEOUT, { orderId }, { key: orderId });
    // The reservation's id is chosen here so the order can name it before the stock is taken: taking
    // stock comes last, so a popular variant's row lock is held from its update to the commit only.
    const reservationId = newId();
    const lines = orderLines(cart);
    const { shippingMethod, ...orderTotals } = totals;
    // The cart's completion rides in the order's statement (the cart row is locked since loadCartForCheckout).
    const { row, alongside: cartCompleted } = await insertOrderWith(tx, {
      orderId,
      number: orderNumber(now),
      cartId: cart.id,
      customerId: cart.customerId,
      email,
      currency: cart.currency,
      lines,
      totals: orderTotals,
      couponCode: cart.couponCode,
      shippingMethod,
      shippingAddress: cart.shippingAddress,
      source: null,
      accessTokenHash: hashOrderToken(accessToken),
      reservationId,
      timerId,
      dueAt,
      history: {
        actor: input.customer ? `customer:${input.customer.id}` : 'guest',
        data: { cartId: cart.id, cartVersion: cart.version, idempotencyKey: input.idempotencyKey },
      },
      ...(hold ? { hold } : {}),
    }, (param) => carts.completeCartStatement(param(cart.id), param(orderId)));
    if (!cartCompleted) throw cartCompletedMeanwhile(cart.id);
    // Attribution to a live room: an id the live module reads back from order.paid (it knows its rooms).
    if (input.body.liveRoomId) {
      row.live_room_id = input.body.liveRoomId.toLowerCase();
      await tx.execute('update orders set live_room_id = $3 where platform_id = $1 and id = $2', [orderId, row.live_room_id]);
    }
    await deps.events.emit(
      tx,
      EVENT_CREATED,
      {
        orderId,
        customerId: cart.customerId,
        currency: cart.currency,
        total: totals.total,
        couponCode: cart.couponCode,
        lines: cart.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity, unitPrice: l.unitPrice })),
      },
      { key: orderId },
    );
    if (hold) await deps.events.emit(tx, EVENT_HELD, heldPayload(row, hold), { key: orderId });
    const reservation = await inventoryService(deps).reserveStock(tx, {
      id: reservationId,
      reference: orderId,
      lines: cart.lines.map((line) => ({ variantId: line.variantId, quantity: line.quantity })),
      // A held order keeps its stock through the review and, once approved, its payment window.
      holdSeconds: (hold ? reviewTimeoutSeconds : 0) + unpaidTimeoutSeconds + HOLD_MARGIN_SECONDS,
    });
    // The reference is this new order's id, so no earlier hold can have answered instead.
    if (reservation.id !== reservationId) throw new Error(`order ${orderId}: reservation ${reservation.id} is not the one requested`);
    return { order: { ...toOrder(row, lines), accessToken }, replayed: false };
  }));
}

function orderLines(cart: CheckoutCart): Order['lines'] {
  return cart.lines.map((l) => ({
    id: newId(),
    variantId: l.variantId,
    productId: l.productId,
    sku: l.sku,
    title: l.title,
    productTitle: l.productTitle,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    lineTotal: l.lineTotal,
    metadata: l.metadata,
  }));
}

function couponContext(cart: CheckoutCart, email: string, orderId: string) {
  return {
    customerId: cart.customerId,
    email,
    currency: cart.currency,
    subtotal: cart.lines.reduce((sum, l) => sum + l.lineTotal, 0),
    lines: cart.lines.map((l) => ({ variantId: l.variantId, productId: l.productId, quantity: l.quantity, lineTotal: l.lineTotal })),
    orderId,
  };
}




async function replay(deps: CheckoutDeps, tx: PlatformDb, scope: string, key: string, hash: string): Promise<CheckoutOutcome> {
  const first = await tx.maybeOne<{ request_hash: string; order_id: string; access_token_sealed: string | null }>(
    'select request_hash, order_id, access_token_sealed from order_checkouts where platform_id = $1 and scope = $2 and idempotency_key = $3',
    [scope, key],
  );
  if (!first) throw new Error(`idempotency row ${scope}/${key} vanished`);
  if (first.request_hash !== hash) {
    throw idempotencyKeyReused(key);
  }
  const order = await getOrder(tx, first.order_id);
  if (!order) throw new Error(`idempotency row ${scope}/${key} points at missing order ${first.order_id}`);
  const accessToken = first.access_token_sealed === null
    ? await reissueToken(deps, tx, scope, key, first.order_id)
    : deps.secrets.open(first.access_token_sealed);
  return { order: { ...order, accessToken }, replayed: true };
}

/**
 * A checkout made before tokens were hashed (migration 0004) has no sealed copy to answer a replay
 * with: the order gets a new token, which this answer carries, and the old one stops working. Only the
 * requester that owns the key can get here, as it could read the old token before.
 */
async function reissueToken(deps: CheckoutDeps, tx: PlatformDb, scope: string, key: string, orderId: string): Promise<string> {
  const token = newOrderToken();
  await tx.execute('update orders set access_token_hash = $3 where platform_id = $1 and id = $2', [orderId, hashOrderToken(token)]);
  await tx.execute(
    'update order_checkouts set access_token_sealed = $4 where platform_id = $1 and scope = $2 and idempotency_key = $3',
    [scope, key, deps.secrets.seal(token)],
  );
  return token;
}
