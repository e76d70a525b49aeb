// A cart as the service works on it: loaded with its lines in one statement (row-locked for writes),
// changed in memory, and saved in one statement that upserts and deletes lines and bumps the version.
// With the catalog read in between, a write is three round trips whatever it changes.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { lastQuery } from '../../kernel/db/types.ts';
import type { CatalogService, SellableVariant } from '../catalog/service.ts';
import type { CartStatus } from './schemas.ts';
import { cartCompleted, cartMerged, cartNotFound } from './problems.ts';

export interface LineState {
  id: string;
  variantId: string;
  productId: string;
  quantity: number;
  metadata: Record<string, unknown>;
  unitPrice: number;
  /** The catalog price differed from the captured one and was re-captured in this request. */
  priceChanged: boolean;
  /** Needs writing when the cart is saved. */
  dirty: boolean;
}

export interface CartState {
  id: string;
  customerId: string | null;
  email: string | null;
  currency: string;
  status: CartStatus;
  couponCode: string | null;
  shippingMethodId: string | null;
  shippingAddress: Record<string, unknown> | null;
  version: number;
  completedOrderId: string | null;
  mergedIntoId: string | null;
  createdAt: string;
  updatedAt: string;
  lines: LineState[];
  /** Ids of lines to delete on save. */
  removed: string[];
  /** Something changed: save() writes and bumps the version. */
  changed: boolean;
}

interface CartRow {
  id: string;
  customer_id: string | null;
  email: string | null;
  currency: string;
  status: CartStatus;
  coupon_code: string | null;
  shipping_method_id: string | null;
  shipping_address: Record<string, unknown> | null;
  version: number;
  completed_order_id: string | null;
  merged_into_id: string | null;
  created_at: Date;
  updated_at: Date;
  lines: { id: string; variant_id: string; product_id: string; quantity: number; metadata: Record<string, unknown>; unit_price: number | string }[];
}

export const CART_COLUMNS = `c.id, c.customer_id, c.email, c.currency, c.status, c.coupon_code, c.shipping_method_id, c.shipping_address,
  c.version, c.completed_order_id, c.merged_into_id, c.created_at, c.updated_at`;
// The lines ride along as one json array, so a cart is one round trip.
const LINES_COLUMN = `(select coalesce(json_agg(json_build_object('id', l.id, 'variant_id', l.variant_id, 'product_id', l.product_id,
    'quantity', l.quantity, 'metadata', l.metadata, 'unit_price', l.unit_price) order by l.id), '[]'::json)
   from cart_lines l where l.platform_id = $1 and l.cart_id = c.id) as lines`;
const LOAD_SQL = `select ${CART_COLUMNS}, ${LINES_COLUMN} from carts c where c.platform_id = $1 and c.id = $2`;
// On PostgreSQL a statement that waited for the row lock sees the locked row as the previous holder left
// it, but its subqueries still read the snapshot taken before the wait, so the lines could be stale. The
// version in that snapshot tells: when it differs from the locked row's, the load runs again (the lock is
// held now, so the new snapshot is current). Uncontended, a locked load stays one round trip.
const LOAD_FOR_UPDATE_SQL = `select ${CART_COLUMNS}, ${LINES_COLUMN},
    (select s.version from carts s where s.platform_id = $1 and s.id = c.id) as snapshot_version
  from carts c where c.platform_id = $1 and c.id = $2 for update of c`;
// The newest active cart of a customer other than `except`, locked (claim at login).
const LOAD_CUSTOMER_CART_SQL = `select ${CART_COLUMNS}, ${LINES_COLUMN},
    (select s.version from carts s where s.platform_id = $1 and s.id = c.id) as snapshot_version
  from carts c
  where c.platform_id = $1 and c.customer_id = $2 and c.status = 'active' and c.id <> $3
  order by c.created_at desc, c.id desc limit 1 for update of c`;

export function stateOf(row: Omit<CartRow, 'lines'> & { lines?: CartRow['lines'] }): CartState {
  return {
    id: row.id,
    customerId: row.customer_id,
    email: row.email,
    currency: row.currency,
    status: row.status,
    couponCode: row.coupon_code,
    shippingMethodId: row.shipping_method_id,
    shippingAddress: row.shipping_address,
    version: row.version,
    completedOrderId: row.completed_order_id,
    mergedIntoId: row.merged_into_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lines: (row.lines ?? []).map((l) => ({
      id: l.id,
      variantId: l.variant_id,
      productId: l.product_id,
      quantity: l.quantity,
      metadata: l.metadata,
      unitPrice: Number(l.unit_price),
      priceChanged: false,
      dirty: false,
    })),
    removed: [],
    changed: false,
  };
}

/** The cart with its lines, or undefined; `lock` takes the row lock that serialises writers of one cart. */
export async function loadCart(pdb: PlatformDb, cartId: string, lock: boolean): Promise<CartState | undefined> {
  if (!lock) {
    const row = await pdb.maybeOne<CartRow>(LOAD_SQL, [cartId]);
    return row && stateOf(row);
  }
  let row = await pdb.maybeOne<CartRow & { snapshot_version: number | null }>(LOAD_FOR_UPDATE_SQL, [cartId]);
  if (row && row.snapshot_version !== row.version) row = await pdb.maybeOne<CartRow & { snapshot_version: number | null }>(LOAD_FOR_UPDATE_SQL, [cartId]);
  return row && stateOf(row);
}

export async function loadNewestCustomerCart(tx: PlatformDb, customerId: string, except: string): Promise<CartState | undefined> {
  const row = await tx.maybeOne<CartRow & { snapshot_version: number | null }>(LOAD_CUSTOMER_CART_SQL, [customerId, except]);
  if (row && row.snapshot_version !== row.version) return loadCart(tx, row.id, true);
  return row && stateOf(row);
}


/** Who is asking: the customer behind the request's session, resolved only when a cart needs it. */
export interface CartAccess {
  /** Runs its lookup on `db`: inside a write that is the open transaction (PGlite has one connection). */
  customerId(db: PlatformDb): Promise<string | null>;
}

/** 404 unless the cart exists and is a guest cart or the caller's own (a stranger learns nothing). */
export async function authorize(db: PlatformDb, state: CartState | undefined, cartId: string, access: CartAccess): Promise<CartState> {
  if (!state) throw cartNotFound(cartId);
  if (state.customerId !== null && (await access.customerId(db)) !== state.customerId) throw cartNotFound(cartId);
  return state;
}

export function assertWritable(state: CartState): void {
  if (state.status === 'completed') {
    throw cartCompleted(state.id, state.completedOrderId);
  }
  if (state.status === 'merged') {
    throw cartMerged(state.id);
  }
}

/** The catalog's sellable variants (published, priced in the currency) by id. */
export async function sellableVariants(catalog: CatalogService, pdb: PlatformDb, variantIds: readonly string[], currency: string): Promise<Map<string, SellableVariant>> {
  const ids = [...new Set(variantIds)];
  const found = ids.length === 0 ? [] : await catalog.getSellableVariants(pdb, ids, currency);
  return new Map(found.map((v) => [v.variantId, v]));
}

/** Re-captures every price the catalog changed since capture; returns whether any did. */
export function reprice(state: CartState, catalog: ReadonlyMap<string, SellableVariant>): boolean {
  let any = false;
  for (const line of state.lines) {
    const current = catalog.get(line.variantId);
    if (current && current.price !== line.unitPrice) {
      line.unitPrice = current.price;
      line.priceChanged = true;
      line.dirty = true;
      any = true;
    }
  }
  if (any) state.changed = true;
  return any;
}

type SavedRow = { version: number; updated_at: Date };

const SAVE_SQL = `with up as (
    insert into cart_lines (platform_id, id, cart_id, variant_id, product_id, quantity, metadata, unit_price)
    select $1, u.id, $2, u.variant_id, u.product_id, u.quantity, u.metadata, u.unit_price
    from jsonb_to_recordset($3::jsonb) as u(id uuid, variant_id uuid, product_id uuid, quantity integer, metadata jsonb, unit_price bigint)
    on conflict (platform_id, id) do update set quantity = excluded.quantity, unit_price = excluded.unit_price, updated_at = now()
    returning 1
  ), gone as (
    delete from cart_lines where platform_id = $1 and cart_id = $2 and id = any($4::uuid[]) returning 1
  )
  update carts set version = version + 1, updated_at = now(), customer_id = $5, email = $6, coupon_code = $7,
    shipping_method_id = $8, shipping_address = $9::jsonb, status = $10, completed_order_id = $11, merged_into_id = $12
  where platform_id = $1 and id = $2
  returning version, updated_at`;

/**
 * Writes what changed in one statement and bumps the version once. The caller holds the row lock
 * (loadCart with lock), so writing the whole row back cannot lose a concurrent change. `last`: the
 * transaction's last statement, which then carries the commit (lastQuery); the caller must not use the
 * transaction after it.
 */
export async function saveCart(tx: PlatformDb, state: CartState, { last = false }: { last?: boolean } = {}): Promise<void> {
  if (!state.changed) return;
  const dirty = state.lines
    .filter((l) => l.dirty)
    .map((l) => ({ id: l.id, variant_id: l.variantId, product_id: l.productId, quantity: l.quantity, metadata: l.metadata, unit_price: l.unitPrice }));
  const params = [
    state.id,
    JSON.stringify(dirty),
    state.removed,
    state.customerId,
    state.email,
    state.couponCode,
    state.shippingMethodId,
    state.shippingAddress === null ? null : JSON.stringify(state.shippingAddress),
    state.status,
    state.completedOrderId,
    state.mergedIntoId,
  ];
  const [row] = last ? await lastQuery<SavedRow>(tx, SAVE_SQL, params) : await tx.query<SavedRow>(SAVE_SQL, params);
  if (!row) throw new Error(`cart ${state.id} vanished while locked`);
  state.version = row.version;
  state.updatedAt = row.updated_at.toISOString();
  for (const line of state.lines) line.dirty = false;
  state.removed = [];
  state.changed = false;
}

// A read that found changed prices re-captures them without a lock: each line only if it still holds the
// price this read saw, and the version moves only if a line did — two concurrent reads bump it once.
const REPRICE_SQL = `with moved as (
    update cart_lines l set unit_price = u.new_price, updated_at = now()
    from jsonb_to_recordset($3::jsonb) as u(id uuid, old_price bigint, new_price bigint)
    where l.platform_id = $1 and l.cart_id = $2 and l.id = u.id and l.unit_price = u.old_price
    returning 1
  )
  update carts set version = version + 1, updated_at = now()
  where platform_id = $1 and id = $2 and status = 'active' and exists (select 1 from moved)
  returning version, updated_at`;

export async function saveRepricedLines(pdb: PlatformDb, state: CartState, previous: ReadonlyMap<string, number>): Promise<void> {
  const changes = state.lines.filter((l) => l.priceChanged).map((l) => ({ id: l.id, old_price: previous.get(l.id), new_price: l.unitPrice }));
  if (changes.length === 0) return;
  const [row] = await pdb.query<{ version: number; updated_at: Date }>(REPRICE_SQL, [state.id, JSON.stringify(changes)]);
  if (row) {
    state.version = row.version;
    state.updatedAt = row.updated_at.toISOString();
  }
  for (const line of state.lines) line.dirty = false;
  state.changed = false;
}

/** Metadata compared the way jsonb compares it: key order does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
