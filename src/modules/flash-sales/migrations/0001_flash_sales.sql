-- Flash sales: the sale with its items (sale price and the quantity carved out of normal stock), and the
-- tickets the hot path writes for every unit taken from the stock gate. A ticket becomes an order later
-- (the drain), so the database never sees the rush itself, only its winners.

create table flash_sales (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  name text not null,
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled', 'ended')),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  per_customer_limit integer check (per_customer_limit is null or per_customer_limit > 0),
  min_account_age_hours integer not null default 0 check (min_account_age_hours >= 0),
  payment_timeout_seconds integer not null check (payment_timeout_seconds > 0),
  -- Bumped by every rebuild of the stock gate; a ticket is only written under the epoch it was taken in,
  -- so units counted by a rebuild can never be counted twice.
  gate_epoch integer not null default 1 check (gate_epoch > 0),
  -- The inventory reservation holding the carved-out units (reference flash-sale:<id>).
  reservation_id uuid,
  end_timer_id uuid,
  reconciled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  check (starts_at < ends_at)
);
create index flash_sales_status on flash_sales (platform_id, status, ends_at);

create table flash_sale_items (
  platform_id uuid not null,
  sale_id uuid not null,
  variant_id uuid not null,
  product_id uuid not null,
  sku text not null,
  title text not null,
  product_title text not null,
  sale_price bigint not null check (sale_price >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- The current sale quantity: what was carved out, less units that came back unpaid after general
  -- buyers had taken them (those could not be carved out again).
  quantity integer not null check (quantity >= 0),
  position integer not null default 0,
  primary key (platform_id, sale_id, variant_id),
  foreign key (platform_id, sale_id) references flash_sales (platform_id, id)
);

create table flash_sale_tickets (
  platform_id uuid not null,
  id uuid not null,
  sale_id uuid not null,
  variant_id uuid not null,
  customer_id uuid not null,
  email text not null,
  quantity integer not null check (quantity > 0),
  epoch integer not null,
  status text not null default 'pending' check (status in ('pending', 'ordered', 'cancelled', 'failed')),
  order_id uuid,
  failure_reason text,
  -- Units owed back to the gate after this ticket stopped being active (cancelled or failed), under the
  -- gate epoch current at that moment; cleared once handed back (or found stale after a rebuild).
  give_back_epoch integer,
  ordered_at timestamptz,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, sale_id) references flash_sales (platform_id, id),
  foreign key (platform_id, sale_id, variant_id) references flash_sale_items (platform_id, sale_id, variant_id)
);
-- The drain claims pending tickets oldest first.
create index flash_sale_tickets_drain on flash_sale_tickets (platform_id, status, id);
create index flash_sale_tickets_sale on flash_sale_tickets (platform_id, sale_id, status);
create index flash_sale_tickets_order on flash_sale_tickets (platform_id, order_id) where order_id is not null;
create index flash_sale_tickets_customer on flash_sale_tickets (platform_id, customer_id, id);
create index flash_sale_tickets_give_back on flash_sale_tickets (platform_id, sale_id) where give_back_epoch is not null;
