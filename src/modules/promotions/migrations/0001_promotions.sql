-- Promotions: coupons and their redemptions. Orders, customers, products and categories belong to other
-- modules and are referenced by id only. The budget invariant (never more uses than the limit) is a
-- CHECK, so even a bug in the service cannot hand out an eleventh use of a ten-use coupon.

create table promotions_coupons (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- Codes are matched case-insensitively (unique index on lower(code) below) and kept as typed.
  code text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  kind text not null check (kind in ('fixed', 'percentage')),
  amount integer,
  currency text,
  percent integer,
  min_subtotal integer not null default 0 check (min_subtotal >= 0),
  starts_at timestamptz,
  ends_at timestamptz,
  usage_limit integer check (usage_limit > 0),
  times_used integer not null default 0,
  per_customer_limit integer check (per_customer_limit > 0),
  product_ids uuid[] not null default '{}',
  category_ids uuid[] not null default '{}',
  status text not null default 'active' check (status in ('active', 'disabled')),
  description text not null default '' check (length(description) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  constraint promotions_coupons_kind_fields check (
    (kind = 'fixed' and amount > 0 and currency ~ '^[A-Z]{3}$' and percent is null)
    or (kind = 'percentage' and percent between 1 and 100 and amount is null and currency is null)
  ),
  constraint promotions_coupons_window check (starts_at is null or ends_at is null or ends_at > starts_at),
  constraint promotions_coupons_times_used_nonnegative check (times_used >= 0),
  constraint promotions_coupons_times_used_within_limit check (times_used <= usage_limit)
);
create unique index promotions_coupons_code on promotions_coupons (platform_id, lower(code));
create index promotions_coupons_status on promotions_coupons (platform_id, status, id);

create table promotions_redemptions (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  coupon_id uuid not null,
  -- The order this use paid for (owned by the orders module).
  order_id text not null check (length(order_id) between 1 and 200),
  -- Whose allowance the use counts against: "customer:<id>", or "email:<lower(email)>" for a guest.
  customer_key text check (length(customer_key) <= 400),
  amount integer not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null default 'active' check (status in ('active', 'released')),
  created_at timestamptz not null default now(),
  released_at timestamptz,
  primary key (platform_id, id),
  foreign key (platform_id, coupon_id) references promotions_coupons (platform_id, id),
  check ((status = 'released') = (released_at is not null))
);
-- One active use per order: a retried checkout cannot take a second use for the same order.
create unique index promotions_redemptions_active_order on promotions_redemptions (platform_id, order_id) where status = 'active';
-- The per-customer count at redemption time.
create index promotions_redemptions_customer on promotions_redemptions (platform_id, coupon_id, customer_key) where status = 'active';
create index promotions_redemptions_coupon on promotions_redemptions (platform_id, coupon_id, id);
