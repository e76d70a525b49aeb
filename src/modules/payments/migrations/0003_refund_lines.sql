-- What a refund by line returned, unit by unit: one row per order line (or the shipping) a refund names.
-- The units of refunds that did not fail count as refunded, so a unit is never refunded twice and a
-- failed refund gives its units back. Order lines belong to the orders module: referenced by id only.
create table payment_refund_lines (
  platform_id uuid not null references platforms(id),
  refund_id uuid not null,
  -- Its place in the refund, so one refund can name many lines.
  item smallint not null check (item >= 0),
  order_id uuid not null,
  -- null: the order's shipping (quantity 1).
  line_id uuid,
  quantity integer not null check (quantity > 0),
  amount bigint not null check (amount >= 0),
  primary key (platform_id, refund_id, item),
  foreign key (platform_id, refund_id) references payment_refunds (platform_id, id),
  constraint payment_refund_lines_shipping_once check (line_id is not null or quantity = 1)
);
create index payment_refund_lines_order on payment_refund_lines (platform_id, order_id, line_id);
