-- The live room an order was bought from (checkout with liveRoomId), for the room's purchase notices and
-- numbers. The live module owns rooms, so this is an id only, not a foreign key.
alter table orders add column live_room_id uuid;
create index orders_live_room on orders (platform_id, live_room_id) where live_room_id is not null;
