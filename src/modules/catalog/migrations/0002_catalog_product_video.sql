-- A product's video, set by the media module when an uploaded clip finished transcoding (its MP4, HLS
-- playlist and poster URLs, duration and size); null while the product has none.
alter table catalog_products add column video jsonb;
