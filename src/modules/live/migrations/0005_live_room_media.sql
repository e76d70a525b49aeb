-- What viewers play, set by the media module (src/modules/media/) when the room's stream is authorised
-- and after it ends: the HLS playlist while live, the recording of the session and its poster afterwards.
alter table live_rooms add column playback_url text check (length(playback_url) <= 2000);
alter table live_rooms add column recording_url text check (length(recording_url) <= 2000);
alter table live_rooms add column poster_url text check (length(poster_url) <= 2000);
