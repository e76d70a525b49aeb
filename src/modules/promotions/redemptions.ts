// Taking and giving back uses of a coupon, inside the caller's (checkout's, cancellation's) transaction.
//
// The budget is guarded by one conditional update on the coupon row (times_used < usage_limit), never a
// read-modify-write: the update is atomic, and its row lock serialises every redeemer of one coupon until
// its transaction ends. The per-customer count is read after that update, so under READ COMMITTED (a new
// snapshot per statement) it sees the uses of every earlier holder of the lock. A customer's uses are
// those made under its id or under the same normalised email (trimmed, lower case), so signing out and
// checking out as a guest with the account's email is the same customer. When a check after the
// update refuses, the counter is put back before throwing, because the caller may catch and commit.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { newId } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import type { PromotionsDeps } from './deps.ts';
import { EVENT_REDEEMED, EVENT_RELEASED } from './events.ts';
import { COUPON_COLUMNS, REDEMPTION_COLUMNS, type CouponRow, type RedemptionRow } from './rows.ts';
import {
  assertNotExhausted,
  assertUsable,
  computeDiscount,
  customerKey,
  normalisedEmail,
} from './rules.ts';
import type { CouponContext, CouponQuote } from './types.ts';
import { couponNotFound, customerLimitReached, customerRequired, exhausted, invalidOrderId, orderHasCoupon } from './problems.ts';


const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export async function findCouponByCode(pdb: PlatformDb, code: string): Promise<CouponRow | undefined> {
  if (typeof code !== 'string' || !CODE.test(code.trim())) return undefined;
  return pdb.maybeOne<CouponRow>(`select ${COUPON_COLUMNS} from promotions_coupons where platform_id = $1 and lower(code) = lower($2)`, [code.trim()]);
}

/** Each line's product categories with ancestors, fetched only when the coupon is scoped by category. */
async function categoriesFor(deps: PromotionsDeps, pdb: PlatformDb, coupon: CouponRow, context: CouponContext): Promise<Map<string, string[]>> {
  if (coupon.category_ids.length === 0) return new Map();
  return catalogService(deps).getProductCategoryIds(
    pdb,
    context.lines.map((line) => line.productId),
  );
}

/** Active uses by this customer id or this normalised email (either may be null; both null: 0). */
async function activeUsesBy(pdb: PlatformDb, couponId: string, who: { customerId: string | null; email: string | null }): Promise<number> {
  const row = await pdb.maybeOne<{ n: number }>(
    `select count(*)::int as n from promotions_redemptions
     where platform_id = $1 and coupon_id = $2 and status = 'active' and (customer_id = $3 or email = $4)`,
    [couponId, who.customerId, who.email],
  );
  return row?.n ?? 0;
}

function identityOf(context: Pick<CouponContext, 'customerId' | 'email'>): { customerId: string | null; email: string | null } {
  return { customerId: context.customerId ? context.customerId.toLowerCase() : null, email: normalisedEmail(context.email) };
}

export async function evaluate(deps: PromotionsDeps, pdb: PlatformDb, code: string, context: CouponContext): Promise<CouponQuote> {
  const coupon = await findCouponByCode(pdb, code);
  if (!coupon) throw couponNotFound(String(code));
  assertUsable(coupon, context);
  const discount = computeDiscount(coupon, context, await categoriesFor(deps, pdb, coupon, context));
  assertNotExhausted(coupon);
  // A guest cart may not have an email yet; the allowance is checked again (and enforced) at checkout.
  const key = customerKey(context);
  if (coupon.per_customer_limit !== null && key && (await activeUsesBy(pdb, coupon.id, identityOf(context))) >= coupon.per_customer_limit) {
    throw customerLimitReached(coupon.code, coupon.per_customer_limit);
  }
  return { couponId: coupon.id, code: coupon.code, discount };
}

export async function redeem(
  deps: PromotionsDeps,
  tx: PlatformDb,
  code: string,
  context: CouponContext & { orderId: string },
): Promise<CouponQuote & { redemptionId: string }> {
  const orderId = context.orderId;
  if (typeof orderId !== 'string' || orderId.length < 1 || orderId.length > 200) {
    throw invalidOrderId();
  }
  // A retried checkout for the same order gets its use back instead of taking a second one.
  const existing = await tx.maybeOne<RedemptionRow & { code: string }>(
    `select r.id, r.coupon_id, r.amount, c.code from promotions_redemptions r
     join promotions_coupons c on c.platform_id = $1 and c.id = r.coupon_id
     where r.platform_id = $1 and r.order_id = $2 and r.status = 'active'`,
    [orderId],
  );
  if (existing) {
    if (existing.code.toLowerCase() !== String(code).trim().toLowerCase()) throw orderHasCoupon(orderId, existing.code);
    return { couponId: existing.coupon_id, code: existing.code, discount: existing.amount, redemptionId: existing.id };
  }

  // Everything that can be refused without the budget is refused before taking the row lock.
  const seen = await findCouponByCode(tx, code);
  if (!seen) throw couponNotFound(String(code));
  assertUsable(seen, context);
  const categories = await categoriesFor(deps, tx, seen, context);
  computeDiscount(seen, context, categories);

  const coupon = await tx.maybeOne<CouponRow>(
    `update promotions_coupons set times_used = times_used + 1
     where platform_id = $1 and id = $2 and status = 'active' and (usage_limit is null or times_used < usage_limit)
     returning ${COUPON_COLUMNS}`,
    [seen.id],
  );
  if (!coupon) {
    // Disabled or exhausted meanwhile: say which, from the row as it is now.
    const now = await tx.maybeOne<CouponRow>(`select ${COUPON_COLUMNS} from promotions_coupons where platform_id = $1 and id = $2`, [seen.id]);
    if (!now || now.status !== 'active') throw couponNotFound(seen.code);
    throw exhausted(now.code);
  }

  try {
    // The row may have been edited between the first read and the lock: judge by the locked version.
    assertUsable(coupon, context);
    const sameScope = coupon.category_ids.join() === seen.category_ids.join();
    const discount = computeDiscount(coupon, context, sameScope ? categories : await categoriesFor(deps, tx, coupon, context));
    const key = customerKey(context);
    const who = identityOf(context);
    if (coupon.per_customer_limit !== null) {
      if (!key) throw customerRequired(coupon.code);
      if ((await activeUsesBy(tx, coupon.id, who)) >= coupon.per_customer_limit) throw customerLimitReached(coupon.code, coupon.per_customer_limit);
    }
    const currency = coupon.currency ?? context.currency;
    const inserted = await tx.maybeOne<{ id: string }>(
      `insert into promotions_redemptions (platform_id, id, coupon_id, order_id, customer_key, customer_id, email, amount, currency)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (platform_id, order_id) where status = 'active' do nothing
       returning id`,
      [newId(), coupon.id, orderId, key, who.customerId, who.email, discount, currency],
    );
    if (!inserted) throw orderHasCoupon(orderId, null);
    await deps.events.emit(
      tx,
      EVENT_REDEEMED,
      { redemptionId: inserted.id, couponId: coupon.id, code: coupon.code, orderId, customerId: context.customerId, amount: discount, currency },
      { key: coupon.id },
    );
    return { couponId: coupon.id, code: coupon.code, discount, redemptionId: inserted.id };
  } catch (error) {
    // A refusal leaves the budget as it was. Any other error has doomed the transaction anyway.
    if (error instanceof HttpProblem) {
      await tx.execute('update promotions_coupons set times_used = times_used - 1 where platform_id = $1 and id = $2', [coupon.id]);
    }
    throw error;
  }
}


/** Gives the order's use back to the budget and the customer's allowance. False when none was active. */
export async function release(deps: PromotionsDeps, tx: PlatformDb, orderId: string): Promise<boolean> {
  const released = await tx.maybeOne<RedemptionRow>(
    `update promotions_redemptions set status = 'released', released_at = now()
     where platform_id = $1 and order_id = $2 and status = 'active'
     returning ${REDEMPTION_COLUMNS}`,
    [String(orderId)],
  );
  if (!released) return false;
  await tx.execute('update promotions_coupons set times_used = times_used - 1 where platform_id = $1 and id = $2 and times_used > 0', [
    released.coupon_id,
  ]);
  await deps.events.emit(
    tx,
    EVENT_RELEASED,
    { redemptionId: released.id, couponId: released.coupon_id, orderId, amount: released.amount, currency: released.currency },
    { key: released.coupon_id },
  );
  return true;
}
