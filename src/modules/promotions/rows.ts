// The coupon and redemption rows as the database returns them, and the column lists that read them
// (timestamps as ISO strings in UTC, the same on PGlite and PostgreSQL).
import { iso } from '../../kernel/cursor.ts';

export interface CouponRow {
  id: string;
  code: string;
  kind: 'fixed' | 'percentage';
  amount: number | null;
  currency: string | null;
  percent: number | null;
  min_subtotal: number;
  starts_at: string | null;
  ends_at: string | null;
  usage_limit: number | null;
  times_used: number;
  per_customer_limit: number | null;
  product_ids: string[];
  category_ids: string[];
  status: 'active' | 'disabled';
  description: string;
  created_at: string;
  updated_at: string;
}

export const COUPON_COLUMNS = `id, code, kind, amount, currency, percent, min_subtotal, ${iso('starts_at')} as starts_at,
  ${iso('ends_at')} as ends_at, usage_limit, times_used, per_customer_limit, product_ids::text[] as product_ids,
  category_ids::text[] as category_ids, status, description, ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;

export interface RedemptionRow {
  id: string;
  coupon_id: string;
  order_id: string;
  customer_key: string | null;
  amount: number;
  currency: string;
  status: 'active' | 'released';
  created_at: string;
  released_at: string | null;
}

export const REDEMPTION_COLUMNS = `id, coupon_id, order_id, customer_key, amount, currency, status,
  ${iso('created_at')} as created_at, ${iso('released_at')} as released_at`;
