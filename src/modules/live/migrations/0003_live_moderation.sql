-- Roles in a room, bans, slow mode and the keyword filter; the moderation log records them all.

-- Who runs a room besides platform admins. member is "admin_user:<id>" / "api_key:<id>" (a principal with
-- the host role) or "customer:<id>" (a moderator chatting in the room). One main host per room; co-hosts
-- are invited by a host and become co-hosts when they accept.
create table live_room_staff (
  platform_id uuid not null references platforms(id),
  room_id uuid not null,
  member text not null check (member ~ '^(admin_user|api_key|customer):[0-9a-f-]{36}$'),
  role text not null check (role in ('host', 'cohost', 'moderator')),
  state text not null default 'active' check (state in ('invited', 'active')),
  added_by text not null,
  created_at timestamptz not null default now(),
  primary key (platform_id, room_id, member),
  foreign key (platform_id, room_id) references live_rooms (platform_id, id) on delete cascade
);
create unique index live_room_staff_one_host on live_room_staff (platform_id, room_id) where role = 'host';
-- "The rooms I host or moderate", for a host's checks.
create index live_room_staff_member on live_room_staff (platform_id, member);

-- Seconds a customer waits between two posts in the room (0: off); set at runtime by a moderator.
alter table live_rooms add column slow_mode_seconds integer not null default 0 check (slow_mode_seconds between 0 and 3600);

-- Bans keep a customer out of one room (room_id set) or every room of the platform (room_id null),
-- until a time or until lifted. Lifting deletes the row; the moderation log keeps the story.
create table live_bans (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  customer_id uuid not null,
  room_id uuid,
  until timestamptz,
  reason text not null default '' check (length(reason) <= 500),
  actor text not null,
  created_at timestamptz not null default now(),
  primary key (platform_id, id),
  foreign key (platform_id, room_id) references live_rooms (platform_id, id) on delete cascade
);
create unique index live_bans_room on live_bans (platform_id, room_id, customer_id) where room_id is not null;
create unique index live_bans_platform on live_bans (platform_id, customer_id) where room_id is null;

-- The platform's keyword filter: a matching post is refused (block) or sent with the words masked (mask).
create table live_keywords (
  platform_id uuid not null references platforms(id),
  word text not null check (length(word) between 1 and 100),
  action text not null check (action in ('block', 'mask')),
  created_at timestamptz not null default now(),
  primary key (platform_id, word)
);

-- The log now also records platform-wide actions (room_id null) and what else was done, with details.
alter table live_moderation alter column room_id drop not null;
alter table live_moderation drop constraint live_moderation_action_check;
alter table live_moderation add constraint live_moderation_action_check check (action in (
  'mute', 'unmute', 'kick', 'delete_message', 'ban', 'unban', 'slow_mode', 'keywords',
  'add_moderator', 'remove_moderator', 'invite_cohost', 'accept_cohost', 'remove_cohost', 'handover'
));
alter table live_moderation add column details jsonb not null default '{}';
create index live_moderation_platform on live_moderation (platform_id, id);
