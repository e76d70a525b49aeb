-- Orders placed without a cart (a flash-sale ticket drained from the queue) say where they came from.
alter table orders alter column cart_id drop not null;
alter table orders add column source jsonb;
create index orders_source_ticket on orders (platform_id, (source ->> 'ticketId')) where source is not null;
