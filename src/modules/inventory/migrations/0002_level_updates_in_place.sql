-- Every reservation, commit and release rewrites its level's on_hand or reserved. While an index covered
-- (on_hand - reserved), each such update wrote a new index entry in both of the table's indexes; without
-- it PostgreSQL updates the row in place on its page (a HOT update: no index is touched). No query used
-- the index on the purchase path: the low-stock list filters a platform's levels in key order instead.
-- Some free room on each page keeps the new row version on the same page as the old.
drop index inventory_levels_available;
alter table inventory_levels set (fillfactor = 80);
