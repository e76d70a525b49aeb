-- The admin orders list filters by when an order was placed (createdFrom/createdTo) and by coupon code.
-- A date window far back in time would otherwise walk the primary key from the newest order down; the
-- coupon index is partial because most orders use none.
create index orders_created on orders (platform_id, created_at, id);
create index orders_coupon on orders (platform_id, lower(coupon_code), id) where coupon_code is not null;
