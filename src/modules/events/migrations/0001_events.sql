-- The transactional outbox: a module inserts here in the same transaction as its business write, so an
-- event exists exactly when that write committed. The relay drains it into the transport.
create table event_outbox (
  id uuid primary key,
  platform_id uuid,
  type text not null,
  key text,
  payload jsonb not null,
  traceparent text,
  caused_by uuid,
  emitted_at timestamptz not null default now()
);
create index event_outbox_order on event_outbox (emitted_at, id);

-- The embedded transport's log. Only the relay appends, one batch at a time under an advisory lock,
-- so seq order is commit order and a consumer reading "seq > position" never skips a late commit.
create table event_log (
  seq bigint primary key,
  id uuid not null unique,
  platform_id uuid,
  type text not null,
  key text,
  payload jsonb not null,
  traceparent text,
  caused_by uuid,
  emitted_at timestamptz not null,
  logged_at timestamptz not null default now()
);
create index event_log_logged_at on event_log (logged_at);
create index event_log_caused_by on event_log (caused_by) where caused_by is not null;

-- Consumer positions in the embedded log; the row lock also keeps two nodes from running one consumer's
-- batch at the same time.
create table event_consumers (
  name text primary key,
  position bigint not null default 0,
  updated_at timestamptz not null default now()
);

-- The inbox: written in the handler's own transaction, so a redelivered event is recognised and skipped.
create table event_inbox (
  consumer text not null,
  event_id uuid not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
create index event_inbox_handled_at on event_inbox (handled_at);

-- Events whose handler failed and wait for their next attempt (unordered consumers), and dead letters
-- re-queued by an operator. The event travels with the row, so pruning the log cannot lose it.
create table event_retries (
  consumer text not null,
  event_id uuid not null,
  event jsonb not null,
  -- the attempt that failed last; the next delivery is attempt + 1
  attempt int not null,
  next_at timestamptz not null,
  last_error text not null,
  primary key (consumer, event_id)
);
create index event_retries_due on event_retries (next_at);

-- Dead letters: events a consumer gave up on after its last attempt. Kept with the event itself so they
-- can be inspected and re-queued after the log has moved on.
create table event_dead_letters (
  id uuid primary key,
  consumer text not null,
  event_id uuid not null,
  platform_id uuid,
  event jsonb not null,
  attempts int not null,
  last_error text not null,
  failed_at timestamptz not null default now(),
  status text not null default 'dead' check (status in ('dead', 'requeued', 'discarded')),
  resolved_at timestamptz
);
create index event_dead_letters_consumer on event_dead_letters (consumer, status, failed_at);

-- Durable timers: moved into the outbox in one transaction when due, so each fires exactly once.
create table event_timers (
  id uuid primary key,
  platform_id uuid,
  type text not null,
  key text,
  payload jsonb not null,
  fire_at timestamptz not null,
  traceparent text,
  caused_by uuid,
  created_at timestamptz not null default now()
);
create index event_timers_due on event_timers (fire_at);
