-- Product videos: an admin's upload and its transcode job in one row. queued → processing → ready | failed;
-- a worker claims a row with a lease, so a worker that dies leaves it to be claimed again.
create table media_videos (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  -- a catalogue product, by id (the catalog module owns products)
  product_id uuid not null,
  state text not null default 'queued' check (state in ('queued', 'processing', 'ready', 'failed')),
  progress smallint not null default 0 check (progress between 0 and 100),
  error text check (length(error) <= 2000),
  file_name text not null check (length(file_name) <= 300),
  content_type text not null check (length(content_type) <= 100),
  size_bytes bigint not null check (size_bytes >= 0),
  -- the upload's Idempotency-Key: the same key for the same product answers the first upload
  idempotency_key text check (length(idempotency_key) <= 200),
  attempts integer not null default 0,
  lease_until timestamptz,
  duration_ms integer,
  width integer,
  height integer,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  primary key (platform_id, id)
);
create unique index media_videos_idempotency on media_videos (platform_id, product_id, idempotency_key) where idempotency_key is not null;
create index media_videos_product on media_videos (platform_id, product_id, id);
create index media_videos_pending on media_videos (platform_id, state) where state in ('queued', 'processing');
