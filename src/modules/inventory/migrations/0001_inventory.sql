-- Inventory: stock locations, stock levels per (variant, location), reservations with their lines, and
-- an append-only ledger of every change to on_hand. Variants belong to the catalog module, so they are
-- referenced by id only (no cross-module foreign key); the service checks them through the catalog's
-- exported functions. The invariants that must hold under any concurrency are CHECK constraints, so even
-- a bug in the service cannot store an oversold level.

create table inventory_locations (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  code text not null check (code ~ '^[a-z0-9]+(?:-[a-z0-9]+)*$' and length(code) <= 100),
  name text not null,
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, code)
);
-- At most one default location per platform (created on first use).
create unique index inventory_locations_default on inventory_locations (platform_id) where is_default;

create table inventory_levels (
  platform_id uuid not null references platforms(id),
  variant_id uuid not null,
  location_id uuid not null,
  on_hand integer not null default 0,
  reserved integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (platform_id, variant_id, location_id),
  foreign key (platform_id, location_id) references inventory_locations (platform_id, id),
  constraint inventory_levels_on_hand_range check (on_hand >= 0 and on_hand <= 1000000000),
  constraint inventory_levels_reserved_nonnegative check (reserved >= 0),
  constraint inventory_levels_reserved_within_on_hand check (reserved <= on_hand)
);
-- "Low stock" lists scan by available quantity.
create index inventory_levels_available on inventory_levels (platform_id, (on_hand - reserved));

create table inventory_reservations (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- What the hold is for: an order, cart or checkout id chosen by the caller.
  reference text not null check (length(reference) between 1 and 200),
  status text not null default 'active' check (status in ('active', 'committed', 'released', 'expired')),
  expires_at timestamptz not null,
  -- The durable timer that expires the hold; cancelled when the reservation is committed or released.
  timer_id uuid,
  release_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id)
);
-- One active hold per reference: a retried checkout finds its reservation instead of taking stock twice.
create unique index inventory_reservations_active_reference on inventory_reservations (platform_id, reference) where status = 'active';
create index inventory_reservations_status on inventory_reservations (platform_id, status, id);
create index inventory_reservations_reference on inventory_reservations (platform_id, reference, id);

create table inventory_reservation_lines (
  platform_id uuid not null,
  reservation_id uuid not null,
  variant_id uuid not null,
  location_id uuid not null,
  quantity integer not null check (quantity > 0),
  primary key (platform_id, reservation_id, variant_id, location_id),
  foreign key (platform_id, reservation_id) references inventory_reservations (platform_id, id),
  foreign key (platform_id, location_id) references inventory_locations (platform_id, id)
);

create table inventory_ledger (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  variant_id uuid not null,
  location_id uuid not null,
  kind text not null check (kind in ('adjust', 'set', 'commit')),
  delta integer not null,
  on_hand_after integer not null,
  reserved_after integer not null,
  reason text not null check (length(reason) between 1 and 500),
  reference text,
  -- Who: "admin_user:<id>", "api_key:<id>" or "system" (a committed reservation).
  actor text not null,
  actor_label text,
  at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, location_id) references inventory_locations (platform_id, id)
);
create index inventory_ledger_variant on inventory_ledger (platform_id, variant_id, id);

-- The ledger is append-only: history is corrected by a new row, never by editing an old one.
create function inventory_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'inventory_ledger is append-only' using errcode = '55000';
end
$$;
create trigger inventory_ledger_no_change before update or delete on inventory_ledger
  for each row execute function inventory_ledger_append_only();
