-- Order history per account, kept by the risk module's consumer of order events (history.ts) so that a
-- decision reads one row by primary key (cached), never a query over orders. Rates are derived on read.
create table risk_account_history (
  platform_id uuid not null references platforms(id),
  account_id text not null,
  orders integer not null default 0,
  cancelled integer not null default 0,
  refunded integer not null default 0,
  unpaid_flash integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (platform_id, account_id)
);

-- Flash-sale orders not yet paid or cancelled: how the consumer tells an unpaid flash-sale order from
-- another when order.cancelled (payment_timeout) arrives. A row leaves when the order is paid or cancelled.
create table risk_open_flash_orders (
  platform_id uuid not null references platforms(id),
  order_id text not null,
  account_id text not null,
  primary key (platform_id, order_id)
);
