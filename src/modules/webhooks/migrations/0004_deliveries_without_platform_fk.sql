-- Hot purchase-path rows keep platform_id without a foreign key to platforms: see "Schema" under Tenancy in
-- docs/ARCHITECTURE.md (each check locked the one platforms row, 9 times per paid order).
alter table webhook_deliveries drop constraint webhook_deliveries_platform_id_fkey;
alter table webhook_attempts drop constraint webhook_attempts_platform_id_fkey;
