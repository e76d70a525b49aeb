// Storefront operations on a cart. Every write runs the same way: lock the cart row with its lines, read
// the catalog for its variants (re-capturing changed prices), change the state in memory, save it in one
// statement, then present it. A refused change throws inside the transaction, so nothing is written.
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import type { SellableVariant } from '../catalog/service.ts';
import type { CouponQuote } from '../promotions/service.ts';
import type { AddLineInput, Cart, CreateCartInput, UpdateCartInput } from './schemas.ts';
import { cartSettings, MAX_LINES } from './settings.ts';
import {
  assertWritable,
  authorize,
  canonicalJson,
  loadCart,
  loadNewestCustomerCart,
  reprice,
  saveCart,
  saveRepricedLines,
  sellableVariants,
  stateOf,
  type CartAccess,
  type CartState,
  type LineState,
} from './state.ts';
import { assertCartWithinMoneyLimit, shippingOptions } from './totals.ts';
import type { ShippingOption } from './strategies.ts';
import { couponContext, couponOf, presentCart } from './view.ts';
import type { CartRuntime } from './runtime.ts';
import { cartCurrencyNotSupported, lineNotFound, metadataTooLarge, quantityTooLarge, shippingMethodUnavailable, tooManyLines, variantNotSellable } from './problems.ts';

const MAX_METADATA_CHARS = 2000;


export async function createCart(rt: CartRuntime, pdb: PlatformDb, platform: Platform, customer: { id: string; email: string } | null, input: CreateCartInput): Promise<Cart> {
  const currency = input.currency ?? platform.defaultCurrency;
  if (!platform.currencies.includes(currency)) {
    throw cartCurrencyNotSupported(platform.currencies, currency);
  }
  const row = await pdb.maybeOne<Parameters<typeof stateOf>[0]>(
    `insert into carts (platform_id, id, customer_id, email, currency, shipping_address) values ($1, $2, $3, $4, $5, $6::jsonb)
     returning id, customer_id, email, currency, status, coupon_code, shipping_method_id, shipping_address, version,
       completed_order_id, merged_into_id, created_at, updated_at`,
    [newId(), customer?.id ?? null, input.email ?? customer?.email ?? null, currency, input.shippingAddress ? JSON.stringify(input.shippingAddress) : null],
  );
  return presentCart(rt, pdb, platform, stateOf(row!), new Map());
}

export async function getCart(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess): Promise<Cart> {
  const state = await authorize(pdb, await loadCart(pdb, cartId, false), cartId, access);
  // A closed cart keeps the prices it closed with; only an active one follows the catalog.
  if (state.status !== 'active') return presentCart(rt, pdb, platform, state, new Map());
  const catalog = await sellableVariants(rt.catalog, pdb, state.lines.map((l) => l.variantId), state.currency);
  const before = new Map(state.lines.map((l) => [l.id, l.unitPrice]));
  if (reprice(state, catalog)) await saveRepricedLines(pdb, state, before);
  return presentCart(rt, pdb, platform, state, catalog);
}

interface Change {
  tx: PlatformDb;
  state: CartState;
  catalog: ReadonlyMap<string, SellableVariant>;
  maxQuantity: number;
  /** Set by an operation that evaluated the coupon itself, so presenting does not ask twice. */
  quote?: CouponQuote;
}

/** Lock, reprice, change, save, present: the one path every cart write takes. */
async function changeCart(
  rt: CartRuntime,
  pdb: PlatformDb,
  platform: Platform,
  cartId: string,
  access: CartAccess,
  change: (c: Change) => void | Promise<void>,
  extraVariantIds: readonly string[] = [],
): Promise<Cart> {
  const done = await pdb.transaction(async (tx) => {
    const state = await authorize(tx, await loadCart(tx, cartId, true), cartId, access);
    assertWritable(state);
    const catalog = await sellableVariants(rt.catalog, tx, [...state.lines.map((l) => l.variantId), ...extraVariantIds], state.currency);
    reprice(state, catalog);
    const c: Change = { tx, state, catalog, maxQuantity: cartSettings(platform).maxLineQuantity };
    await change(c);
    // The last statement: it carries the commit (nothing may use tx after it).
    await saveCart(tx, state, { last: true });
    return c;
  });
  return presentCart(rt, pdb, platform, done.state, done.catalog, done.quote);
}

export function updateCart(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, input: UpdateCartInput): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, ({ state }) => {
    if (input.email !== undefined && input.email !== state.email) {
      state.email = input.email;
      state.changed = true;
    }
    if (input.shippingAddress !== undefined && canonicalJson(input.shippingAddress) !== canonicalJson(state.shippingAddress)) {
      state.shippingAddress = input.shippingAddress;
      state.changed = true;
    }
  });
}

function findLine(state: CartState, lineId: string): LineState {
  const line = state.lines.find((l) => l.id === lineId.toLowerCase());
  if (!line) throw lineNotFound(state.id, lineId);
  return line;
}

export function addLine(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, input: AddLineInput): Promise<Cart> {
  const variantId = input.variantId.toLowerCase();
  const metadata = input.metadata ?? {};
  if (JSON.stringify(metadata).length > MAX_METADATA_CHARS) {
    throw metadataTooLarge(MAX_METADATA_CHARS);
  }
  return changeCart(
    rt,
    pdb,
    platform,
    cartId,
    access,
    ({ state, catalog, maxQuantity }) => {
      const variant = catalog.get(variantId);
      if (!variant) throw variantNotSellable([variantId], state.currency);
      const key = canonicalJson(metadata);
      const same = state.lines.find((l) => l.variantId === variantId && canonicalJson(l.metadata) === key);
      if (same) {
        if (same.quantity + input.quantity > maxQuantity) throw quantityTooLarge(maxQuantity);
        same.quantity += input.quantity;
        same.dirty = true;
      } else {
        if (input.quantity > maxQuantity) throw quantityTooLarge(maxQuantity);
        if (state.lines.length >= MAX_LINES) throw tooManyLines(MAX_LINES);
        state.lines.push({ id: newId(), variantId, productId: variant.productId, quantity: input.quantity, metadata, unitPrice: variant.price, priceChanged: false, dirty: true });
      }
      assertCartWithinMoneyLimit(rt.strategies, platform, state);
      state.changed = true;
    },
    [variantId],
  );
}

export function updateLine(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, lineId: string, quantity: number): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, ({ state, maxQuantity }) => {
    const line = findLine(state, lineId);
    if (quantity > maxQuantity) throw quantityTooLarge(maxQuantity);
    if (line.quantity === quantity) return;
    const more = quantity > line.quantity;
    line.quantity = quantity;
    // Fewer units are always allowed, so a cart over the limit (prices raised meanwhile) can be brought back under it.
    if (more) assertCartWithinMoneyLimit(rt.strategies, platform, state);
    line.dirty = true;
    state.changed = true;
  });
}

export function removeLine(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, lineId: string): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, ({ state }) => {
    const line = findLine(state, lineId);
    state.lines = state.lines.filter((l) => l !== line);
    state.removed.push(line.id);
    state.changed = true;
  });
}

/** Stores a coupon only if it applies now; otherwise the promotions 4xx goes back and nothing changes. */
export function setCoupon(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, code: string): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, async (c) => {
    c.quote = await rt.promotions.evaluateCoupon(c.tx, code.trim(), couponContext(c.state));
    if (c.state.couponCode !== c.quote.code) {
      c.state.couponCode = c.quote.code;
      c.state.changed = true;
    }
  });
}

export function removeCoupon(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, ({ state }) => {
    if (state.couponCode === null) return;
    state.couponCode = null;
    state.changed = true;
  });
}

export async function listShippingOptions(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess): Promise<(ShippingOption & { delivery: boolean })[]> {
  const state = await authorize(pdb, await loadCart(pdb, cartId, false), cartId, access);
  const { discount } = await couponOf(rt, pdb, state);
  return shippingOptions(rt.strategies, platform, { currency: state.currency, lines: state.lines, shippingMethodId: state.shippingMethodId }, discount);
}

export function setShippingMethod(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, access: CartAccess, methodId: string): Promise<Cart> {
  return changeCart(rt, pdb, platform, cartId, access, ({ state }) => {
    // Which methods exist does not depend on the discount (only their price does).
    const offered = shippingOptions(rt.strategies, platform, { currency: state.currency, lines: state.lines, shippingMethodId: null }, 0);
    if (!offered.some((o) => o.id === methodId)) {
      throw shippingMethodUnavailable(methodId, offered.map((o) => o.id));
    }
    if (state.shippingMethodId === methodId) return;
    state.shippingMethodId = methodId;
    state.changed = true;
  });
}

/**
 * Merge at login. The guest cart goes into the customer's newest active cart (quantities of equal lines
 * add up, capped at the maximum; lines are re-priced in that cart's currency and those it cannot sell are
 * left behind), or simply becomes the customer's when they have none. Locks: the guest cart first, then
 * the customer's — every claim takes them in that order and plain writes take one, so nothing deadlocks.
 */
export async function claimCart(rt: CartRuntime, pdb: PlatformDb, platform: Platform, cartId: string, customer: { id: string; email: string }): Promise<Cart> {
  const done = await pdb.transaction(async (tx) => {
    const source = await loadCart(tx, cartId, true);
    const mine = { customerId: async () => customer.id };
    await authorize(tx, source, cartId, mine);
    const guest = source!;
    if (guest.customerId === customer.id) {
      // Already this customer's (a repeated claim): nothing to merge.
      return { state: guest, catalog: await sellableVariants(rt.catalog, tx, guest.lines.map((l) => l.variantId), guest.currency) };
    }
    assertWritable(guest);
    const target = await loadNewestCustomerCart(tx, customer.id, guest.id);
    if (!target) {
      const catalog = await sellableVariants(rt.catalog, tx, guest.lines.map((l) => l.variantId), guest.currency);
      reprice(guest, catalog);
      guest.customerId = customer.id;
      guest.email ??= customer.email;
      guest.changed = true;
      await saveCart(tx, guest, { last: true });
      return { state: guest, catalog };
    }
    const catalog = await sellableVariants(rt.catalog, tx, [...target.lines, ...guest.lines].map((l) => l.variantId), target.currency);
    reprice(target, catalog);
    const max = cartSettings(platform).maxLineQuantity;
    for (const line of guest.lines) {
      const variant = catalog.get(line.variantId);
      if (!variant) continue;
      const key = canonicalJson(line.metadata);
      const same = target.lines.find((l) => l.variantId === line.variantId && canonicalJson(l.metadata) === key);
      if (same) {
        same.quantity = Math.min(max, same.quantity + line.quantity);
        same.dirty = true;
      } else if (target.lines.length < MAX_LINES) {
        target.lines.push({ ...line, id: newId(), quantity: Math.min(max, line.quantity), unitPrice: variant.price, priceChanged: false, dirty: true });
      }
    }
    target.couponCode ??= guest.couponCode;
    target.shippingMethodId ??= guest.shippingMethodId;
    target.shippingAddress ??= guest.shippingAddress;
    target.changed = true;
    guest.status = 'merged';
    guest.mergedIntoId = target.id;
    guest.changed = true;
    await saveCart(tx, guest);
    await saveCart(tx, target, { last: true });
    return { state: target, catalog };
  });
  return presentCart(rt, pdb, platform, done.state, done.catalog);
}
