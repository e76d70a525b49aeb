-- Wishlists: the products a customer saved for later, one row per (customer, product). Customers and
-- products belong to other modules and are referenced by id only; an archived product's rows are
-- removed by the module's subscription to catalog.product_archived.

create table wishlist_items (
  platform_id uuid not null references platforms(id),
  customer_id uuid not null,
  product_id uuid not null,
  added_at timestamptz not null default now(),
  primary key (platform_id, customer_id, product_id)
);

-- "Most wished" for the admin counts rows per product.
create index wishlist_items_product on wishlist_items (platform_id, product_id);
