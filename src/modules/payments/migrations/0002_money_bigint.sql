-- Money is 64-bit end to end: an order of 3,000,000,000 minor units (allowed: carts and checkout stop at
-- MAX_MONEY = 10^15, see kernel/money.ts) must be payable and refundable, and integer stops at 2^31 − 1.
-- The CHECK constraints are kept as they were; they compare the widened columns.
alter table payments
  alter column amount type bigint,
  alter column captured_amount type bigint,
  alter column refunded_amount type bigint;
alter table payment_refunds alter column amount type bigint;
alter table payment_sandbox_intents
  alter column amount type bigint,
  alter column captured_amount type bigint,
  alter column refunded_amount type bigint;
alter table payment_sandbox_refunds alter column amount type bigint;
