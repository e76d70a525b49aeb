-- Catalog: categories (a tree), products, variants, prices per currency, and two derived pieces kept
-- by the service on every write: products.search_text (for ilike search) and catalog_product_prices
-- (min/max variant price per currency, for price sort and price range display).
-- Every table carries platform_id, and references inside the catalog include it, so a row of one
-- platform can never point at a row of another.

create extension if not exists pg_trgm;

create table catalog_categories (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  parent_id uuid,
  handle text not null,
  name text not null,
  description text not null default '',
  translations jsonb not null default '{}'::jsonb,
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, handle),
  foreign key (platform_id, parent_id) references catalog_categories (platform_id, id),
  check (parent_id is null or parent_id <> id)
);
create index catalog_categories_parent on catalog_categories (platform_id, parent_id);

create table catalog_products (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  handle text not null,
  status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
  title text not null,
  description text not null default '',
  translations jsonb not null default '{}'::jsonb,
  options jsonb not null default '[]'::jsonb,
  images jsonb not null default '[]'::jsonb,
  tags text[] not null default '{}',
  attributes jsonb not null default '{}'::jsonb,
  -- Lower-cased titles/descriptions in every language, tags and SKUs; rebuilt by the service.
  search_text text not null default '',
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, handle)
);
-- Storefront lists: published products of one platform, newest first (ids are UUIDv7, so id order is
-- creation order).
create index catalog_products_status on catalog_products (platform_id, status, id);
create index catalog_products_attributes on catalog_products using gin (attributes jsonb_path_ops);
create index catalog_products_search on catalog_products using gin (search_text gin_trgm_ops);

create table catalog_product_categories (
  platform_id uuid not null references platforms(id),
  product_id uuid not null,
  category_id uuid not null,
  primary key (platform_id, product_id, category_id),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade,
  foreign key (platform_id, category_id) references catalog_categories (platform_id, id) on delete cascade
);
create index catalog_product_categories_category on catalog_product_categories (platform_id, category_id, product_id);

create table catalog_variants (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  product_id uuid not null,
  sku text not null,
  title text not null default '',
  options jsonb not null default '{}'::jsonb,
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, sku),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade
);
create index catalog_variants_product on catalog_variants (platform_id, product_id, position);

create table catalog_prices (
  platform_id uuid not null references platforms(id),
  variant_id uuid not null,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null check (amount >= 0 and amount <= 1000000000000),
  compare_at_amount bigint check (compare_at_amount >= 0 and compare_at_amount <= 1000000000000),
  primary key (platform_id, variant_id, currency),
  foreign key (platform_id, variant_id) references catalog_variants (platform_id, id) on delete cascade
);

create table catalog_product_prices (
  platform_id uuid not null references platforms(id),
  product_id uuid not null,
  currency text not null,
  min_amount bigint not null,
  max_amount bigint not null,
  primary key (platform_id, product_id, currency),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade
);
create index catalog_product_prices_sort on catalog_product_prices (platform_id, currency, min_amount, product_id);
