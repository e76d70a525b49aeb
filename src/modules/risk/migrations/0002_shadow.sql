-- Shadow mode: a draft policy per platform and decision point, run beside the live one on every
-- decision without changing its outcome; what it would have done is kept on the stored decision.
create table risk_shadow_policies (
  platform_id uuid not null references platforms(id),
  point text not null,
  document jsonb not null,
  set_by text not null,
  note text,
  set_at timestamptz not null default now(),
  primary key (platform_id, point)
);

alter table risk_decisions add column shadow jsonb;
