-- The risk engine's tables. Policies are versioned per platform and decision point: a change or a
-- rollback is a new row, so the history says who changed what and when; the current policy is the
-- highest version (none stored: the built-in default, version 0).
create table risk_policy_versions (
  platform_id uuid not null references platforms(id),
  point text not null,
  version integer not null check (version > 0),
  document jsonb not null,
  changed_by text not null,
  note text,
  created_at timestamptz not null default now(),
  primary key (platform_id, point, version)
);

-- Allow, block and disposable-domain lists: one row per entry.
create table risk_list_entries (
  platform_id uuid not null references platforms(id),
  list text not null check (list in ('block', 'allow', 'disposable')),
  kind text not null check (kind in ('ip', 'device', 'email_domain', 'account')),
  value text not null,
  note text,
  added_by text not null,
  added_at timestamptz not null default now(),
  primary key (platform_id, list, kind, value)
);

-- Decisions with what they saw and why: every non-allow, and a sample of allows. Ids are UUIDv7, so
-- "newest first" is id order and the search indexes end in id for keyset pages.
create table risk_decisions (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  point text not null,
  action text not null,
  level smallint not null,
  score double precision not null,
  account_id text,
  ip text,
  device_id text,
  input jsonb not null,
  signals jsonb not null,
  fired jsonb not null,
  listed jsonb,
  policy_version integer not null,
  decided_at timestamptz not null,
  primary key (platform_id, id)
);
create index risk_decisions_account on risk_decisions (platform_id, account_id, id) where account_id is not null;
create index risk_decisions_ip on risk_decisions (platform_id, ip, id) where ip is not null;
create index risk_decisions_device on risk_decisions (platform_id, device_id, id) where device_id is not null;
