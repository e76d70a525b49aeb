-- One-time tokens that let a customer set a password: imported customers arrive without one (the empty
-- hash never verifies), and a customer who forgot theirs needs the same thing. Only the token's hash is
-- stored; a token works once, until it expires, and a newer token for the same customer voids older ones.
create table customer_password_tokens (
  platform_id uuid not null,
  id uuid not null,
  customer_id uuid not null,
  token_hash text not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, customer_id) references customers (platform_id, id) on delete cascade
);
create index customer_password_tokens_customer on customer_password_tokens (platform_id, customer_id);
