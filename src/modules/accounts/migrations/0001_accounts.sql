-- Admin users are global: an owner sees every platform, others the platforms listed in platform_ids.
create table admin_users (
  id uuid primary key,
  email text not null,
  password_hash text not null,
  role text not null check (role in ('owner', 'platform_admin', 'support')),
  platform_ids uuid[] not null default '{}',
  disabled_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index admin_users_email on admin_users (lower(email));

create table admin_sessions (
  id uuid primary key,
  admin_user_id uuid not null references admin_users(id) on delete cascade,
  token_hash text not null unique,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);

-- Secret API keys for automation: a role and the platforms they act on; only the hash is stored.
create table api_keys (
  id uuid primary key,
  label text not null,
  token_hash text not null unique,
  prefix text not null,
  role text not null check (role in ('owner', 'platform_admin', 'support')),
  platform_ids uuid[] not null default '{}',
  created_by uuid references admin_users(id) on delete set null,
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);

-- Customers belong to one platform: the same email on two platforms is two unrelated accounts.
create table customers (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  email text not null,
  password_hash text not null,
  name text not null default '',
  created_at timestamptz not null default now(),
  primary key (platform_id, id)
);
create unique index customers_email on customers (platform_id, lower(email));

create table customer_sessions (
  platform_id uuid not null,
  id uuid not null,
  customer_id uuid not null,
  token_hash text not null unique,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, customer_id) references customers (platform_id, id) on delete cascade
);
create index customer_sessions_customer on customer_sessions (platform_id, customer_id);
