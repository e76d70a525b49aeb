-- Live ingest: a live room's publish keys, the sessions the media server's callbacks opened and closed,
-- and the publishes Souk refused. Rooms belong to the live module; they are referenced by id only.

create table media_stream_keys (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  room_id uuid not null,
  -- SHA-256 of the secret: the secret itself is shown once, when made
  key_hash text not null,
  -- the secret's last four characters, so an admin can tell which key a host has
  hint text not null check (length(hint) = 4),
  created_by text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  primary key (platform_id, id)
);
create unique index media_stream_keys_hash on media_stream_keys (platform_id, key_hash);
-- At most one usable key per room: rotating revokes the old one in the same transaction.
create unique index media_stream_keys_active on media_stream_keys (platform_id, room_id) where revoked_at is null;

create table media_sessions (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  room_id uuid not null,
  key_id uuid not null,
  -- the public name the stream is published under: <platform id>_<room id> (HLS and recordings are named after it)
  stream_name text not null,
  -- the media server's connection id and the publisher's address, as the callback gave them
  client_id text not null check (length(client_id) <= 100),
  addr text not null check (length(addr) <= 100),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  end_reason text check (length(end_reason) <= 100),
  recording_path text check (length(recording_path) <= 2000),
  poster_path text check (length(poster_path) <= 2000),
  primary key (platform_id, id),
  foreign key (platform_id, key_id) references media_stream_keys (platform_id, id)
);
create index media_sessions_room on media_sessions (platform_id, room_id, id);
-- One open session per room: a second publisher is refused.
create unique index media_sessions_open on media_sessions (platform_id, room_id) where ended_at is null;

create table media_publish_refusals (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- null when the key named no room of this platform
  room_id uuid,
  reason text not null check (length(reason) <= 100),
  addr text not null check (length(addr) <= 100),
  created_at timestamptz not null default now(),
  primary key (platform_id, id)
);
create index media_publish_refusals_room on media_publish_refusals (platform_id, room_id, id);
