-- Carts: a shopper's lines with the unit price captured from the catalog when each line was added (and
-- re-captured when a read finds the catalog price changed). Variants, customers and orders belong to
-- other modules, so they are referenced by id only; the cart service checks them through those modules'
-- exported functions. Totals are never stored: they are computed on every read from these rows.

create table carts (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- null for a guest cart (reached by its unguessable id); otherwise only that customer's session reaches it.
  customer_id uuid,
  email text check (email is null or length(email) between 3 and 254),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null default 'active' check (status in ('active', 'completed', 'merged')),
  coupon_code text check (coupon_code is null or length(coupon_code) between 1 and 100),
  shipping_method_id text check (shipping_method_id is null or shipping_method_id ~ '^[a-z0-9]+(?:-[a-z0-9]+)*$'),
  shipping_address jsonb check (shipping_address is null or jsonb_typeof(shipping_address) = 'object'),
  -- Bumped on every change (including a re-captured price), so checkout can insist on the version the
  -- shopper last saw.
  version integer not null default 1 check (version >= 1),
  completed_order_id uuid,
  -- A guest cart claimed into a customer's existing cart points at it.
  merged_into_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  constraint carts_completed_has_order check ((status = 'completed') = (completed_order_id is not null)),
  constraint carts_merged_has_target check ((status = 'merged') = (merged_into_id is not null))
);
-- "The customer's newest active cart" (claim at login).
create index carts_customer_active on carts (platform_id, customer_id, created_at desc, id desc) where status = 'active' and customer_id is not null;

create table cart_lines (
  platform_id uuid not null,
  id uuid not null,
  cart_id uuid not null,
  variant_id uuid not null,
  -- Kept from the add, so a coupon's product rules still apply to a line the catalog no longer sells.
  product_id uuid not null,
  -- 10,000 is the absolute ceiling; the platform's maxLineQuantity (default 100) is checked by the service.
  quantity integer not null check (quantity between 1 and 10000),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  unit_price bigint not null check (unit_price >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, cart_id) references carts (platform_id, id)
);
create index cart_lines_cart on cart_lines (platform_id, cart_id, id);
-- Lines of one variant with equal metadata are one line (quantities add up); jsonb's text form is
-- canonical (keys sorted, duplicates dropped), so equal documents hash alike.
create unique index cart_lines_variant_metadata on cart_lines (platform_id, cart_id, variant_id, md5(metadata::text));
