-- The commerce half of live rooms: a gift catalogue per platform, coins (a balance per customer and an
-- append-only ledger of every change), coin top-ups paid through the payments module, the room's pinned
-- product card and its counters, and the message types a platform defines for its own widgets.

create table live_gifts (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  price_coins integer not null check (price_coins between 1 and 100000000),
  icon_url text check (length(icon_url) <= 2000),
  -- inactive gifts stay for the ledger rows that name them; they can no longer be sent
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id)
);

-- What a customer holds now: the ledger's sum, kept in one row so a debit is one conditional update
-- (balance >= cost) that serialises a customer's concurrent sends.
create table live_coin_balances (
  platform_id uuid not null references platforms(id),
  customer_id uuid not null,
  balance bigint not null default 0 check (balance >= 0),
  updated_at timestamptz not null default now(),
  primary key (platform_id, customer_id)
);

create table live_coin_topups (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  customer_id uuid not null,
  coins integer not null check (coins > 0),
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- pending until its payment is captured (paid, coins credited) or fails
  status text not null default 'pending' check (status in ('pending', 'paid', 'failed')),
  -- the customer's Idempotency-Key: a retried request returns the same top-up
  idempotency_key text check (length(idempotency_key) between 1 and 200),
  payment_id uuid,
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  primary key (platform_id, id),
  unique (platform_id, customer_id, idempotency_key)
);

-- Every change to a balance, with why. The key makes each change happen once: a top-up credits under
-- "top_up:<id>", a gift debits under "gift:<the client's key>", per customer.
create table live_coin_ledger (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  customer_id uuid not null,
  delta bigint not null check (delta <> 0),
  balance_after bigint not null check (balance_after >= 0),
  reason text not null check (reason in ('top_up', 'gift')),
  idempotency_key text not null check (length(idempotency_key) between 1 and 220),
  top_up_id uuid,
  room_id uuid,
  gift_id uuid,
  gift_count integer check (gift_count > 0),
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, customer_id, idempotency_key),
  check ((reason = 'top_up') = (top_up_id is not null)),
  check ((reason = 'gift') = (room_id is not null and gift_id is not null and gift_count is not null))
);
create index live_coin_ledger_customer on live_coin_ledger (platform_id, customer_id, id);
-- Room numbers: the gifts sent in a room.
create index live_coin_ledger_room on live_coin_ledger (platform_id, room_id) where room_id is not null;

create function live_coin_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'live_coin_ledger is append-only' using errcode = '55000';
end
$$;
create trigger live_coin_ledger_no_change before update or delete on live_coin_ledger
  for each row execute function live_coin_ledger_append_only();

-- The pinned product card (at most one per room) and the counters the room keeps besides likes.
alter table live_rooms add column pinned_product_id uuid;
-- a flash sale started from the room: the card buys through the sale
alter table live_rooms add column pinned_sale_id uuid;
alter table live_rooms add column pinned_at timestamptz;
alter table live_rooms add column peak_viewers integer not null default 0 check (peak_viewers >= 0);
alter table live_rooms add column card_clicks bigint not null default 0 check (card_clicks >= 0);

-- Message types a platform defines for its own widgets: clients send { type: "custom", name, data } and
-- data must match the JSON schema.
create table live_message_types (
  platform_id uuid not null references platforms(id),
  name text not null check (name ~ '^[a-z][a-z0-9_]{0,49}$'),
  schema jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, name)
);

-- Orders attributed to a room (checked out with its liveRoomId), recorded once from order.paid: the
-- room's orders and revenue, and the "just bought" notices.
create table live_room_orders (
  platform_id uuid not null references platforms(id),
  order_id uuid not null,
  room_id uuid not null,
  customer_id uuid,
  total bigint not null check (total >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  paid_at timestamptz not null default now(),
  primary key (platform_id, order_id),
  foreign key (platform_id, room_id) references live_rooms (platform_id, id) on delete cascade
);
create index live_room_orders_room on live_room_orders (platform_id, room_id);
