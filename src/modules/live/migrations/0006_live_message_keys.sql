-- A system message carries a stable key and its parameters beside the English text (body), so a client
-- shows it in the viewer's language (the storefront in en and zh); a client that knows no key reads body.
alter table live_messages add column text_key text check (length(text_key) <= 100);
alter table live_messages add column text_params jsonb;
