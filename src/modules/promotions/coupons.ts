// Coupon administration: create, read, list, PATCH, and a coupon's redemptions. Each write is one
// statement or one transaction, so a refused request (4xx) changes nothing.
import type { Platform } from '../../kernel/context.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../../kernel/cursor.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { catalogService, type CatalogRefs } from '../catalog/service.ts';
import type { PromotionsDeps } from './deps.ts';
import { COUPON_COLUMNS, REDEMPTION_COLUMNS, type CouponRow, type RedemptionRow } from './rows.ts';
import type { Coupon, CouponInput, CouponList, CouponPatch, CouponsQuery, Redemption, RedemptionList, RedemptionsQuery } from './schemas.ts';
import { couponCodeTaken, couponCurrencyNotSold, couponIdNotFound, fixedCouponShape, percentageCouponShape, timeOutOfRange, unknownCatalogReference, usageLimitBelowUsed, windowReversed } from './problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';


export function toCoupon(row: CouponRow): Coupon {
  return {
    id: row.id,
    code: row.code,
    kind: row.kind,
    amount: row.amount,
    currency: row.currency,
    percent: row.percent,
    minSubtotal: row.min_subtotal,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    usageLimit: row.usage_limit,
    timesUsed: row.times_used,
    perCustomerLimit: row.per_customer_limit,
    productIds: row.product_ids,
    categoryIds: row.category_ids,
    status: row.status,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRedemption(row: RedemptionRow): Redemption {
  const key = row.customer_key ?? '';
  return {
    id: row.id,
    couponId: row.coupon_id,
    orderId: row.order_id,
    customerId: key.startsWith('customer:') ? key.slice('customer:'.length) : null,
    email: key.startsWith('email:') ? key.slice('email:'.length) : null,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    createdAt: row.created_at,
    releasedAt: row.released_at,
  };
}

const MIN_TIME = Date.UTC(1970, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A window bound as ISO UTC, or null. The schema's date-time format still lets through what PostgreSQL
 * refuses (year 0000) or JavaScript cannot read (a leap second); those are the client's mistake (422).
 */
export function windowBound(name: string, value: string | null | undefined): string | null | undefined {
  if (value === null || value === undefined) return value;
  const time = Date.parse(value);
  if (!Number.isFinite(time) || time < MIN_TIME || time > MAX_TIME) {
    throw timeOutOfRange(name, value);
  }
  return new Date(time).toISOString();
}

/** The window must open before it closes (the table's CHECK says the same; this says it in words). */
export function assertWindow(startsAt: string | null, endsAt: string | null): void {
  if (startsAt && endsAt && Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw windowReversed(startsAt, endsAt);
  }
}

/** What each kind needs: fixed = amount + one of the platform's currencies, percentage = percent only. */
export function assertKindFields(platform: Platform, input: CouponInput): void {
  if (input.kind === 'fixed') {
    if (input.amount === undefined || input.currency === undefined || input.percent !== undefined) {
      throw fixedCouponShape();
    }
    if (!platform.currencies.includes(input.currency)) {
      throw couponCurrencyNotSold(input.currency, platform.currencies);
    }
  } else if (input.percent === undefined || input.amount !== undefined || input.currency !== undefined) {
    throw percentageCouponShape();
  }
}

/**
 * A scope may only name this platform's products and categories: an unknown id (a typo, a deleted
 * category, another platform's product) would make a coupon that silently applies to nothing. The
 * problem lists only the ids the caller sent.
 */
async function assertKnownScope(deps: PromotionsDeps, pdb: PlatformDb, refs: CatalogRefs): Promise<void> {
  if (!refs.productIds?.length && !refs.categoryIds?.length) return;
  const unknown = await catalogService(deps).unknownCatalogIds(pdb, refs);
  if (unknown.productIds.length === 0 && unknown.categoryIds.length === 0) return;
  throw unknownCatalogReference(unknown.productIds, unknown.categoryIds);
}

export async function getCoupon(pdb: PlatformDb, couponId: string): Promise<Coupon | undefined> {
  const row = await pdb.maybeOne<CouponRow>(`select ${COUPON_COLUMNS} from promotions_coupons where platform_id = $1 and id = $2`, [couponId]);
  return row ? toCoupon(row) : undefined;
}

export async function mustGetCoupon(pdb: PlatformDb, couponId: string): Promise<Coupon> {
  const found = await getCoupon(pdb, couponId);
  if (!found) throw couponIdNotFound(couponId);
  return found;
}

export async function createCoupon(deps: PromotionsDeps, pdb: PlatformDb, platform: Platform, input: CouponInput): Promise<Coupon> {
  assertKindFields(platform, input);
  const startsAt = windowBound('startsAt', input.startsAt) ?? null;
  const endsAt = windowBound('endsAt', input.endsAt) ?? null;
  assertWindow(startsAt, endsAt);
  await assertKnownScope(deps, pdb, input);
  // The unique index on lower(code) decides a race between two creators; "do nothing" keeps the
  // transaction usable on PostgreSQL, where a unique violation would abort it.
  const row = await pdb.maybeOne<CouponRow>(
    `insert into promotions_coupons (platform_id, id, code, kind, amount, currency, percent, min_subtotal, starts_at, ends_at,
       usage_limit, per_customer_limit, product_ids, category_ids, status, description)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz, $11, $12, $13::uuid[], $14::uuid[], $15, $16)
     on conflict do nothing
     returning ${COUPON_COLUMNS}`,
    [
      newId(),
      input.code,
      input.kind,
      input.amount ?? null,
      input.currency ?? null,
      input.percent ?? null,
      input.minSubtotal ?? 0,
      startsAt,
      endsAt,
      input.usageLimit ?? null,
      input.perCustomerLimit ?? null,
      input.productIds ?? [],
      input.categoryIds ?? [],
      input.status ?? 'active',
      input.description ?? '',
    ],
  );
  if (!row) throw couponCodeTaken(input.code);
  return toCoupon(row);
}

const PATCH_COLUMNS: Record<keyof CouponPatch, string> = {
  status: 'status',
  minSubtotal: 'min_subtotal',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  usageLimit: 'usage_limit',
  perCustomerLimit: 'per_customer_limit',
  productIds: 'product_ids',
  categoryIds: 'category_ids',
  description: 'description',
};
const CASTS: Partial<Record<keyof CouponPatch, string>> = {
  startsAt: '::timestamptz',
  endsAt: '::timestamptz',
  productIds: '::uuid[]',
  categoryIds: '::uuid[]',
};

/** Status, limits, window, scope and description; code, kind and amount stay as created. */
export async function updateCoupon(deps: PromotionsDeps, pdb: PlatformDb, couponId: string, given: CouponPatch): Promise<Coupon> {
  const patch: CouponPatch = { ...given, startsAt: windowBound('startsAt', given.startsAt), endsAt: windowBound('endsAt', given.endsAt) };
  return pdb.transaction(async (tx) => {
    // The row lock makes times_used exact for the limit check and keeps redeemers out until we commit.
    const current = await tx.maybeOne<CouponRow>(`select ${COUPON_COLUMNS} from promotions_coupons where platform_id = $1 and id = $2 for update`, [
      couponId,
    ]);
    if (!current) throw couponIdNotFound(couponId);
    assertWindow(patch.startsAt !== undefined ? patch.startsAt : current.starts_at, patch.endsAt !== undefined ? patch.endsAt : current.ends_at);
    if (patch.usageLimit !== undefined && patch.usageLimit !== null && patch.usageLimit < current.times_used) {
      throw usageLimitBelowUsed(current.times_used);
    }
    await assertKnownScope(deps, tx, { productIds: patch.productIds, categoryIds: patch.categoryIds });
    const sets: string[] = [];
    const { params, param } = sqlParams([couponId]);
    for (const key of Object.keys(PATCH_COLUMNS) as (keyof CouponPatch)[]) {
      if (patch[key] === undefined) continue;
      sets.push(`${PATCH_COLUMNS[key]} = ${param(patch[key])}${CASTS[key] ?? ''}`);
    }
    const row = await tx.maybeOne<CouponRow>(
      `update promotions_coupons set ${sets.join(', ')}, updated_at = now() where platform_id = $1 and id = $2 returning ${COUPON_COLUMNS}`,
      params,
    );
    return toCoupon(row!);
  });
}

export async function listCoupons(pdb: PlatformDb, query: CouponsQuery): Promise<CouponList> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const { params, param } = sqlParams();
  const where = ['platform_id = $1'];
  if (query.status) where.push(`status = ${param(query.status)}`);
  if (query.code) where.push(`lower(code) = lower(${param(query.code)})`);
  if (query.cursor) where.push(`id < ${param(decodeCursor(query.cursor, 1)[0])}`);
  const rows = await pdb.query<CouponRow>(
    `select ${COUPON_COLUMNS} from promotions_coupons where ${where.join(' and ')} order by id desc limit ${rowsToFetch(limit)}`,
    params,
  );
  return takePage(rows, limit, toCoupon, (last) => encodeCursor([last.id]));
}

/** A coupon's uses, newest first (404 when the coupon is not on this platform). */
export async function listRedemptions(pdb: PlatformDb, couponId: string, query: RedemptionsQuery): Promise<RedemptionList> {
  await mustGetCoupon(pdb, couponId);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const { params, param } = sqlParams([couponId]);
  const where = ['platform_id = $1', 'coupon_id = $2'];
  if (query.status) where.push(`status = ${param(query.status)}`);
  if (query.cursor) where.push(`id < ${param(decodeCursor(query.cursor, 1)[0])}`);
  const rows = await pdb.query<RedemptionRow>(
    `select ${REDEMPTION_COLUMNS} from promotions_redemptions where ${where.join(' and ')} order by id desc limit ${rowsToFetch(limit)}`,
    params,
  );
  return takePage(rows, limit, toRedemption, (last) => encodeCursor([last.id]));
}
