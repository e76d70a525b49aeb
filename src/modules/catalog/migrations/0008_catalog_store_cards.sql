-- A storefront page's products as one json document each (issue 18, search6). Measured on the bench's
-- catalogue, half of a search page's PostgreSQL CPU went into sending its 21 product rows, and nearly
-- all of that into the output functions of their columns (seven jsonb columns and a text[] per row:
-- each is deformed and printed as text on every read); the bytes themselves cost little. A json
-- document is stored as its text and sent as it is. It lives in its own table so that the product row
-- stays under the size at which PostgreSQL starts compressing its columns, which would cost every read
-- of the product a decompression.
--
-- The document holds the storefront columns of the product (views.ts, StoreProductRow) under their
-- names there. A trigger keeps it, in the same statement as every insert or update of the product,
-- whichever service function or migration writes it (refreshDerived's variants and prices, category
-- writes, publish and archive, imports); a deleted product's card goes with it (cascade).
create table catalog_store_cards (
  platform_id uuid not null,
  product_id uuid not null,
  doc json not null,
  primary key (platform_id, product_id),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade
);

create function catalog_store_card_doc(p catalog_products) returns json
language sql immutable parallel safe as $$
  select json_build_object('handle', p.handle, 'title', p.title, 'description', p.description,
    'translations', p.translations, 'images', p.images, 'options', p.options, 'tags', p.tags,
    'attributes', p.attributes, 'video', p.video, 'store_variants', p.store_variants, 'categories', p.store_categories)
$$;

create function catalog_store_card_keep() returns trigger
language plpgsql as $$
begin
  insert into catalog_store_cards (platform_id, product_id, doc)
  values (new.platform_id, new.id, catalog_store_card_doc(new))
  on conflict (platform_id, product_id) do update set doc = excluded.doc;
  return null;
end
$$;

create trigger catalog_store_card_keep after insert or update on catalog_products
for each row execute function catalog_store_card_keep();

insert into catalog_store_cards (platform_id, product_id, doc)
select p.platform_id, p.id, catalog_store_card_doc(p) from catalog_products p;
