-- Payments: one row per attempt to pay an order through a provider, the provider events already applied
-- (so a redelivered webhook is a no-op), and refunds. Orders belong to the orders module, so they are
-- referenced by id only (no cross-module foreign key). The money invariants are CHECK constraints:
-- nothing is captured beyond the amount, nothing refunded beyond what was captured.

create table payments (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  order_id uuid not null,
  provider text not null check (provider ~ '^[a-z][a-z0-9_]{0,49}$'),
  -- The provider's id for the intent; null only between our insert and the provider's answer.
  provider_ref text check (length(provider_ref) between 1 and 200),
  redirect_url text check (length(redirect_url) <= 2000),
  return_url text check (length(return_url) <= 2000),
  amount integer not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- Forward only: requires_action → succeeded | failed | cancelled; the three outcomes are final.
  status text not null default 'requires_action' check (status in ('requires_action', 'succeeded', 'failed', 'cancelled')),
  captured_amount integer not null default 0,
  -- Refunds taken from this payment that have not failed (pending ones included), so two concurrent
  -- refunds cannot both fit under what was captured.
  refunded_amount integer not null default 0,
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  constraint payments_captured_range check (captured_amount >= 0 and captured_amount <= amount),
  constraint payments_captured_only_when_succeeded check (captured_amount = 0 or status = 'succeeded'),
  constraint payments_refunded_range check (refunded_amount >= 0 and refunded_amount <= captured_amount)
);
create unique index payments_provider_ref on payments (platform_id, provider, provider_ref);
create index payments_order on payments (platform_id, order_id, id);
-- At most one open attempt per order: a second "pay" click finds the first instead of charging twice.
create unique index payments_one_open_per_order on payments (platform_id, order_id) where status = 'requires_action';

-- Provider events applied (or deliberately ignored), one row per (provider, event id): a redelivery
-- finds its row and changes nothing.
create table payment_events (
  platform_id uuid not null references platforms(id),
  provider text not null,
  event_id text not null check (length(event_id) between 1 and 200),
  payment_id uuid not null,
  type text not null check (length(type) between 1 and 100),
  -- applied: it moved the payment; ignored: it arrived after the payment's outcome was already final.
  outcome text not null check (outcome in ('applied', 'ignored')),
  detail text,
  received_at timestamptz not null default now(),
  primary key (platform_id, provider, event_id),
  foreign key (platform_id, payment_id) references payments (platform_id, id)
);
create index payment_events_payment on payment_events (platform_id, payment_id, received_at);

create table payment_refunds (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  payment_id uuid not null,
  order_id uuid not null,
  amount integer not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  reason text not null check (length(reason) between 1 and 500),
  -- admin: asked for by an admin; order_cancelled: the rest of a paid order that was cancelled;
  -- not_payable: money that arrived for an order already cancelled (never counted by the order).
  kind text not null check (kind in ('admin', 'order_cancelled', 'not_payable')),
  actor text not null,
  -- pending: reserved against the payment, provider not yet confirmed; succeeded / failed are final.
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  provider_refund_ref text,
  failure_reason text,
  attempts integer not null default 0,
  -- Held while one process calls the provider; a crashed process's claim simply runs out.
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, payment_id) references payments (platform_id, id)
);
create index payment_refunds_payment on payment_refunds (platform_id, payment_id, id);
create index payment_refunds_order on payment_refunds (platform_id, order_id, id);
create index payment_refunds_pending on payment_refunds (platform_id, locked_until) where status = 'pending';

-- The built-in sandbox provider's own records, as an outside provider would keep them: its intents
-- (approved or declined on the hosted page) and the refunds made against them.
create table payment_sandbox_intents (
  platform_id uuid not null references platforms(id),
  id text not null check (id ~ '^sbx_[0-9a-f]{32}$'),
  payment_id uuid not null,
  order_id uuid not null,
  amount integer not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  return_url text,
  status text not null default 'requires_action' check (status in ('requires_action', 'approved', 'declined')),
  captured_amount integer not null default 0,
  refunded_amount integer not null default 0,
  created_at timestamptz not null default now(),
  decided_at timestamptz,
  primary key (platform_id, id),
  unique (platform_id, payment_id),
  constraint payment_sandbox_captured_range check (captured_amount >= 0 and captured_amount <= amount),
  constraint payment_sandbox_refunded_range check (refunded_amount >= 0 and refunded_amount <= captured_amount)
);

create table payment_sandbox_refunds (
  platform_id uuid not null references platforms(id),
  id text not null,
  intent_id text not null,
  -- The caller's refund id: a retried refund returns the first one instead of paying out twice.
  idempotency_key text not null,
  amount integer not null check (amount > 0),
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  unique (platform_id, idempotency_key),
  foreign key (platform_id, intent_id) references payment_sandbox_intents (platform_id, id)
);

-- Installation-wide provider secrets (not per platform): the sandbox's webhook signing secret is made
-- on first use when SOUK_SANDBOX_WEBHOOK_SECRET is not set, so every node of one installation agrees.
create table payment_provider_secrets (
  provider text primary key,
  secret text not null,
  created_at timestamptz not null default now()
);
