// Coupons brought in from an export (the migration module's import of Souk JSON lines): created by code,
// or brought to the file's rules where the code exists (codes match in any case). The use count comes
// with the coupon, so a coupon that had 7 of its 10 uses taken still has 3 left; a re-import never lowers
// a count this platform has raised since (the higher of the two is kept). Uses are not itemised: the
// redemptions stay with the orders of the old shop (imported orders are history and take no use).
// Checked like the admin API's create (a fixed coupon needs an amount in one of the platform's
// currencies, the window must open before it closes), plus: the count may not exceed the limit.
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { invalidValue } from '../../kernel/http/problems.ts';
import { newId } from '../../kernel/ids.ts';
import { assertKindFields, assertWindow, windowBound } from './coupons.ts';
import type { PromotionsDeps } from './deps.ts';
import { EVENT_COUPON_CREATED } from './events.ts';
import { CouponInput } from './schemas.ts';

export const CouponImportSchema = Type.Object({
  ...CouponInput.properties,
  timesUsed: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
});
export type CouponImport = Static<typeof CouponImportSchema>;

export interface CouponImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Creates or updates the coupons by code in one statement; a 4xx names the first that cannot be written, and nothing is. */
export async function importCoupons(deps: PromotionsDeps, tx: PlatformDb, platform: Platform, coupons: readonly CouponImport[]): Promise<CouponImportCounts> {
  if (coupons.length === 0) return { created: 0, updated: 0, unchanged: 0 };
  const codes = new Set<string>();
  for (const coupon of coupons) {
    const code = coupon.code.toLowerCase();
    if (codes.has(code)) throw invalidValue(`coupon ${coupon.code} is in the batch twice`);
    codes.add(code);
  }
  const used = new Map(
    (await tx.query<{ code: string; times_used: number }>('select lower(code) as code, times_used from promotions_coupons where platform_id = $1 and lower(code) = any($2::text[])', [[...codes]])).map(
      (r) => [r.code, r.times_used],
    ),
  );
  const records = coupons.map((coupon) => {
    assertKindFields(platform, coupon);
    const startsAt = windowBound('startsAt', coupon.startsAt) ?? null;
    const endsAt = windowBound('endsAt', coupon.endsAt) ?? null;
    assertWindow(startsAt, endsAt);
    const timesUsed = Math.max(coupon.timesUsed ?? 0, used.get(coupon.code.toLowerCase()) ?? 0);
    if (coupon.usageLimit != null && timesUsed > coupon.usageLimit) {
      throw invalidValue(`coupon ${coupon.code}: ${timesUsed} uses are more than its usage limit of ${coupon.usageLimit}`);
    }
    return {
      id: newId(),
      code: coupon.code,
      kind: coupon.kind,
      amount: coupon.amount ?? null,
      currency: coupon.currency ?? null,
      percent: coupon.percent ?? null,
      min_subtotal: coupon.minSubtotal ?? 0,
      starts_at: startsAt,
      ends_at: endsAt,
      usage_limit: coupon.usageLimit ?? null,
      times_used: timesUsed,
      per_customer_limit: coupon.perCustomerLimit ?? null,
      product_ids: coupon.productIds ?? [],
      category_ids: coupon.categoryIds ?? [],
      status: coupon.status ?? 'active',
      description: coupon.description ?? '',
    };
  });
  const columns = ['kind', 'amount', 'currency', 'percent', 'min_subtotal', 'starts_at', 'ends_at', 'usage_limit', 'times_used', 'per_customer_limit', 'product_ids', 'category_ids', 'status', 'description'];
  const written = await tx.query<{ id: string; code: string; kind: string; inserted: boolean }>(
    `insert into promotions_coupons as c (platform_id, id, code, ${columns.join(', ')})
     select $1::uuid, r.id, r.code, r.kind, r.amount, r.currency, r.percent, r.min_subtotal, r.starts_at, r.ends_at, r.usage_limit,
       r.times_used, r.per_customer_limit, array(select jsonb_array_elements_text(r.product_ids))::uuid[],
       array(select jsonb_array_elements_text(r.category_ids))::uuid[], r.status, r.description
     from jsonb_to_recordset($2::jsonb) as r(id uuid, code text, kind text, amount bigint, currency text, percent integer, min_subtotal bigint,
       starts_at timestamptz, ends_at timestamptz, usage_limit integer, times_used integer, per_customer_limit integer, product_ids jsonb,
       category_ids jsonb, status text, description text)
     on conflict (platform_id, lower(code)) do update set ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = now()
       where (${columns.map((c) => `c.${c}`).join(', ')}) is distinct from (${columns.map((c) => `excluded.${c}`).join(', ')})
     returning c.id, c.code, c.kind, (xmax = 0) as inserted`,
    [JSON.stringify(records)],
  );
  const created = written.filter((r) => r.inserted);
  await deps.events.emitMany(
    tx,
    created.map((r) => ({ type: EVENT_COUPON_CREATED, payload: { couponId: r.id, code: r.code, kind: r.kind }, key: r.id })),
  );
  return { created: created.length, updated: written.length - created.length, unchanged: coupons.length - written.length };
}
