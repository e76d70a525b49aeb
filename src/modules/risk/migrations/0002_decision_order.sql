-- Decisions about an order (checkout, payment) carry its id in their input (custom.order_id); the admin
-- search "every decision about this order" reads it through this index, newest first like the others.
create index risk_decisions_order on risk_decisions (platform_id, (input -> 'custom' ->> 'order_id'), id)
  where input -> 'custom' ->> 'order_id' is not null;
