-- What a payment pays for. 'order' (every payment so far): order_id is an order of the orders module.
-- Any other purpose is a payee another module registered (payees.ts), e.g. 'live_coins' for a coin
-- top-up of the live module: order_id then holds that module's id of the thing paid for (top-up ids are
-- UUIDv7 like order ids, so the one-open-payment index and refund lookups by order id never mix them).
alter table payments add column purpose text not null default 'order' check (purpose ~ '^[a-z][a-z0-9_]{0,49}$');
