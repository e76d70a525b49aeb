-- Outgoing webhooks. Endpoints belong to a platform; a delivery is one event for one endpoint, holding
-- the exact body to send, and is retried until it succeeds or dies; every attempt leaves a row in
-- webhook_attempts. References include platform_id, so no row can point at another platform's row.

create table webhook_endpoints (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  url text not null check (length(url) between 1 and 2000),
  description text not null default '',
  -- exact types ("catalog.product_created"), prefixes ("catalog.*") or "*"
  event_types text[] not null check (cardinality(event_types) between 1 and 50),
  -- The signing secret (whsec_…). Kept readable because every delivery is signed with it; shown to
  -- the admin only when created or rotated.
  secret text not null,
  -- After a rotation the old secret also signs until it expires, so receivers can switch without a gap.
  previous_secret text,
  previous_secret_expires_at timestamptz,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id)
);

create table webhook_deliveries (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  endpoint_id uuid not null,
  event_id uuid not null,
  event_type text not null,
  -- the body sent: { id, type, platformId, createdAt, data }
  payload jsonb not null,
  traceparent text,
  -- pending: not tried yet or replayed; failed: last attempt failed, next_attempt_at is the retry;
  -- succeeded: a 2xx came back; dead: attempts ran out.
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'dead')),
  -- attempts made, ever (the attempt log numbers by it); attempts_at_replay is its value when an admin
  -- last replayed the delivery, so a replay gets a fresh set of retries.
  attempts integer not null default 0,
  attempts_at_replay integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- set while one worker is sending it; a crashed worker's claim simply expires
  locked_until timestamptz,
  last_status_code integer,
  last_latency_ms integer,
  last_error text,
  response_excerpt text check (length(response_excerpt) <= 1024),
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  primary key (platform_id, id),
  -- an event delivered twice by the backbone still makes one delivery per endpoint
  unique (platform_id, endpoint_id, event_id),
  foreign key (platform_id, endpoint_id) references webhook_endpoints (platform_id, id) on delete cascade
);
-- The worker's queue: due deliveries of one platform, oldest first.
create index webhook_deliveries_due on webhook_deliveries (platform_id, next_attempt_at) where status in ('pending', 'failed');
create index webhook_deliveries_endpoint on webhook_deliveries (platform_id, endpoint_id, id);
create index webhook_deliveries_status on webhook_deliveries (platform_id, status, id);

create table webhook_attempts (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  delivery_id uuid not null,
  attempt integer not null,
  url text not null,
  outcome text not null check (outcome in ('succeeded', 'failed')),
  -- null when no response came back (timeout, connection refused, blocked target)
  status_code integer,
  latency_ms integer not null,
  error text,
  response_excerpt text check (length(response_excerpt) <= 1024),
  attempted_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, delivery_id) references webhook_deliveries (platform_id, id) on delete cascade
);
create index webhook_attempts_delivery on webhook_attempts (platform_id, delivery_id, attempt);
