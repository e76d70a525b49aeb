-- Order lines get their own id, so a refund can name the line (and count its units) without relying on
-- a position or a variant that two lines of one order may share. Lines written before this get a
-- random one; new lines get a UUIDv7 from the application like every other id.
alter table order_lines add column id uuid;
update order_lines set id = gen_random_uuid() where id is null;
alter table order_lines alter column id set not null;
create unique index order_lines_id on order_lines (platform_id, id);
