-- Hot purchase-path rows keep platform_id without a foreign key to platforms: see "Schema" under Tenancy in
-- docs/ARCHITECTURE.md (each check locked the one platforms row, 9 times per paid order).
alter table payments drop constraint payments_platform_id_fkey;
alter table payment_events drop constraint payment_events_platform_id_fkey;
alter table payment_refunds drop constraint payment_refunds_platform_id_fkey;
alter table payment_refund_lines drop constraint payment_refund_lines_platform_id_fkey;
alter table payment_sandbox_intents drop constraint payment_sandbox_intents_platform_id_fkey;
alter table payment_sandbox_refunds drop constraint payment_sandbox_refunds_platform_id_fkey;
