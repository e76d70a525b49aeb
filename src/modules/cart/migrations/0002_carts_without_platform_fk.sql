-- Hot purchase-path rows keep platform_id without a foreign key to platforms: see "Schema" under Tenancy in
-- docs/ARCHITECTURE.md (each check locked the one platforms row, 9 times per paid order).
alter table carts drop constraint carts_platform_id_fkey;
