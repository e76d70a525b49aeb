-- Import jobs: one row per file uploaded to the admin API (the CLI's direct imports keep no job), with
-- its progress and counts, and the rows it refused with their reasons. The file itself lives in a
-- temporary file on the node that received it until the job ends.

create table migration_jobs (
  platform_id uuid not null references platforms(id),
  id uuid not null,
  format text not null,
  dry_run boolean not null,
  status text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
  file_name text,
  bytes_total bigint not null default 0,
  bytes_done bigint not null default 0,
  rows_done integer not null default 0,
  counts jsonb not null default '{}'::jsonb,
  errors_total integer not null default 0,
  failure text,
  created_by text not null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  -- Written with every progress update; a job whose heartbeat stopped reads as interrupted.
  heartbeat_at timestamptz not null default now(),
  primary key (platform_id, id)
);

create index migration_jobs_created on migration_jobs (platform_id, created_at desc);

-- At most MAX_STORED_ERRORS rows per job (errors_total counts them all).
create table migration_job_errors (
  platform_id uuid not null,
  job_id uuid not null,
  seq integer not null,
  first_row integer not null,
  last_row integer not null,
  item_key text,
  reason text not null,
  primary key (platform_id, job_id, seq),
  foreign key (platform_id, job_id) references migration_jobs (platform_id, id) on delete cascade
);
