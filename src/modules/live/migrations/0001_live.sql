-- Live-commerce rooms. A room belongs to a platform and moves scheduled → live → ended. Chat history and
-- the moderation log are rows of the same platform, referenced by (platform_id, id) so no row can point
-- at another platform's room.

create table live_rooms (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  title text not null check (length(title) between 1 and 200),
  cover_url text check (length(cover_url) <= 2000),
  scheduled_at timestamptz,
  -- display names of the hosts shown to viewers (a host role bound to accounts comes later)
  hosts text[] not null default '{}' check (cardinality(hosts) <= 10),
  -- catalogue product ids the room will sell (product cards, a later phase, read them through the catalogue)
  product_ids uuid[] not null default '{}' check (cardinality(product_ids) <= 100),
  state text not null default 'scheduled' check (state in ('scheduled', 'live', 'ended')),
  started_at timestamptz,
  ended_at timestamptz,
  -- likes are aggregated in memory and added here at most once a second per node
  likes bigint not null default 0 check (likes >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (platform_id, id)
);
-- The storefront list: live rooms first, then upcoming ones by schedule.
create index live_rooms_state on live_rooms (platform_id, state, scheduled_at);

create table live_messages (
  platform_id uuid not null references platforms(id),
  -- UUIDv7, so id order is send order and `since=<id>` resumes after a position
  id uuid not null,
  room_id uuid not null,
  kind text not null check (kind in ('chat', 'host', 'system')),
  -- the customer who wrote a chat message; null for host and system messages
  customer_id uuid,
  author text not null default '' check (length(author) <= 200),
  body text not null check (length(body) <= 2000),
  created_at timestamptz not null default now(),
  -- deleted for everyone by a moderator: kept for the moderation log, never shown again
  deleted_at timestamptz,
  primary key (platform_id, id),
  foreign key (platform_id, room_id) references live_rooms (platform_id, id) on delete cascade
);
create index live_messages_room on live_messages (platform_id, room_id, id);

create table live_moderation (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  room_id uuid not null,
  action text not null check (action in ('mute', 'unmute', 'kick', 'delete_message')),
  -- the customer acted on (mute, unmute, kick) or the author of the deleted message
  customer_id uuid,
  message_id uuid,
  -- mutes end at this time; null for actions without a duration or a mute until the room ends
  until timestamptz,
  reason text not null default '' check (length(reason) <= 500),
  -- "<kind>:<id>" of the admin who acted
  actor text not null,
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, room_id) references live_rooms (platform_id, id) on delete cascade
);
create index live_moderation_room on live_moderation (platform_id, room_id, id);
