-- The deliveries of one event (GET …/webhooks/deliveries?eventId=, the console's event page): one row per
-- endpoint the event went to.
create index webhook_deliveries_event on webhook_deliveries (platform_id, event_id);
