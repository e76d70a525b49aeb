-- A purchase notice goes out after the consumer's transaction committed, once per order: whichever
-- attempt first sets announced_at (a conditional update, outside the consumer's transaction) sends it,
-- so a handler that rolled back announces nothing and a redelivered order.paid announces nothing more.
alter table live_room_orders add column announced_at timestamptz;
