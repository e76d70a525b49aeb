-- Guest order access tokens are only compared, never read back, so the orders table keeps their SHA-256
-- (hex), like API keys and sessions: a database dump holds no token that opens an order. Existing tokens
-- are hashed here, so the links guests already have keep working.
-- A checkout answered again for its Idempotency-Key must return the token once more: the idempotency
-- record keeps it sealed with SOUK_SECRET_KEY (written by the code; rows from before this migration have
-- none, and such a replay issues a new token, see checkout.ts).
alter table orders add column access_token_hash text;
update orders set access_token_hash = encode(sha256(convert_to(access_token, 'UTF8')), 'hex');
alter table orders alter column access_token_hash set not null;
alter table orders drop column access_token;
alter table order_checkouts add column access_token_sealed text;
