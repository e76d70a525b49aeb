-- One event's page (GET /admin/events/{eventId}) lists the consumers still retrying it and the dead
-- letters it left; both tables are otherwise read by consumer or due time.
create index event_retries_event on event_retries (event_id);
create index event_dead_letters_event on event_dead_letters (event_id);
