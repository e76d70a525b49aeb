-- Orders: the order with its lines (prices copied from the cart at checkout, so later catalogue edits never
-- change what was sold), its history (every transition: who, when, why), and the idempotency records of
-- checkout. Carts, coupons, reservations and payments belong to other modules and are referenced by id.

create table orders (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- Human-friendly, unique per platform: YYMMDD-XXXXXXXX (random Crockford base32, not a counter, so
  -- concurrent checkouts never queue on one sequence row).
  number text not null,
  cart_id uuid not null,
  customer_id uuid,
  email text,
  -- The capability a guest uses to read and pay their order (customers use their session instead).
  access_token text not null,
  status text not null default 'pending_payment'
    check (status in ('pending_payment', 'paid', 'fulfilled', 'delivered', 'completed', 'cancelled')),
  payment_status text not null default 'unpaid'
    check (payment_status in ('unpaid', 'paid', 'partially_refunded', 'refunded')),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  subtotal bigint not null check (subtotal >= 0),
  discount_total bigint not null check (discount_total >= 0),
  shipping_total bigint not null check (shipping_total >= 0),
  tax_total bigint not null check (tax_total >= 0),
  tax_included boolean not null,
  total bigint not null check (total >= 0),
  paid_amount bigint not null default 0 check (paid_amount >= 0),
  refunded_amount bigint not null default 0,
  coupon_code text,
  shipping_method jsonb,
  shipping_address jsonb,
  reservation_id uuid,
  timeout_timer_id uuid,
  payment_due_at timestamptz not null,
  carrier text,
  tracking_number text,
  cancel_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, number),
  constraint orders_refund_within_paid check (refunded_amount >= 0 and refunded_amount <= paid_amount)
);
create index orders_customer on orders (platform_id, customer_id, id) where customer_id is not null;
create index orders_status on orders (platform_id, status, id);
create index orders_payment_status on orders (platform_id, payment_status, id);
create index orders_email on orders (platform_id, lower(email), id);

create table order_lines (
  platform_id uuid not null,
  order_id uuid not null,
  position integer not null,
  variant_id uuid not null,
  product_id uuid not null,
  sku text not null,
  title text not null,
  product_title text not null,
  quantity integer not null check (quantity > 0),
  unit_price bigint not null check (unit_price >= 0),
  line_total bigint not null check (line_total >= 0),
  metadata jsonb not null default '{}',
  primary key (platform_id, order_id, position),
  foreign key (platform_id, order_id) references orders (platform_id, id)
);

create table order_history (
  platform_id uuid not null,
  id uuid not null,
  order_id uuid not null,
  -- 'status' (a transition), 'payment' (captured / failed) or 'refund'.
  kind text not null check (kind in ('status', 'payment', 'refund')),
  from_status text,
  to_status text,
  -- Who: "customer:<id>", "guest", "admin_user:<id>", "api_key:<id>", "payment:<provider>" or "system".
  actor text not null,
  reason text,
  data jsonb not null default '{}',
  at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, order_id) references orders (platform_id, id)
);
create index order_history_order on order_history (platform_id, order_id, id);

-- One row per Idempotency-Key and requester: a retried or concurrent checkout with the same key finds the
-- first one's order (the unique key makes the second insert wait for the first transaction, then skip).
create table order_checkouts (
  platform_id uuid not null references platforms(id),
  -- customer:<id> or guest: keys are only compared within one requester.
  scope text not null,
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  request_hash text not null,
  order_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (platform_id, scope, idempotency_key)
);
