-- Platforms are the tenants. Every business table elsewhere references platforms(id).
create table platforms (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null check (length(name) between 1 and 200),
  default_currency text not null check (default_currency ~ '^[A-Z]{3}$'),
  currencies text[] not null,
  default_locale text not null,
  locales text[] not null,
  modules text[] not null default '{}',
  settings jsonb not null default '{}',
  status text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A host name answers for exactly one platform.
create table platform_hosts (
  host text primary key,
  platform_id uuid not null references platforms(id) on delete cascade
);
create index platform_hosts_platform on platform_hosts (platform_id);

-- Publishable keys identify a storefront when the Host cannot (apps, headless front ends).
-- They are not secrets, but only their hash is kept so a database dump cannot be replayed as keys.
create table platform_publishable_keys (
  id uuid primary key,
  platform_id uuid not null references platforms(id) on delete cascade,
  token_hash text not null unique,
  prefix text not null,
  label text not null default '',
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index platform_publishable_keys_platform on platform_publishable_keys (platform_id);
