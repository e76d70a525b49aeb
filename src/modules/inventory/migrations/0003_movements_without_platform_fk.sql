-- Hot purchase-path rows keep platform_id without a foreign key to platforms: see "Schema" under Tenancy in
-- docs/ARCHITECTURE.md (each check locked the one platforms row, 9 times per paid order).
alter table inventory_reservations drop constraint inventory_reservations_platform_id_fkey;
alter table inventory_ledger drop constraint inventory_ledger_platform_id_fkey;
-- Likewise their location: every order of a platform locked its one default location row, and a location is
-- never deleted, and a line or ledger row commits only with an update of its level in the same transaction
-- (the level's own foreign key holds the location).
alter table inventory_reservation_lines drop constraint inventory_reservation_lines_platform_id_location_id_fkey;
alter table inventory_ledger drop constraint inventory_ledger_platform_id_location_id_fkey;
