-- The storefront's view of a product's variants (each with its price in every currency) and of its
-- category handles, kept on the product row by the service (refreshDerived, and the category writes)
-- whenever they change. A storefront read is then one row per product instead of sub-selects over
-- variants, prices and categories for every product of a page (issue 18: uncached reads). The same
-- expressions live in views.ts (STORE_VARIANTS_SQL, STORE_CATEGORIES_SQL), which keeps them current.
alter table catalog_products add column store_variants jsonb not null default '[]'::jsonb;
-- Lower-cased titles in every language, for ranking search results without unpacking translations per row.
alter table catalog_products add column search_title text not null default '';
alter table catalog_products add column store_categories jsonb not null default '[]'::jsonb;
update catalog_products p set
  search_title = lower(concat_ws(' ', p.title, (select string_agg(t.value->>'title', ' ') from jsonb_each(p.translations) t))),
  store_variants = coalesce((select jsonb_agg(jsonb_build_object('id', v.id, 'sku', v.sku, 'title', v.title, 'options', v.options,
      'prices', coalesce((select jsonb_object_agg(pr.currency, jsonb_build_array(pr.amount, pr.compare_at_amount))
        from catalog_prices pr where pr.platform_id = p.platform_id and pr.variant_id = v.id), '{}'::jsonb)) order by v.position, v.id)
    from catalog_variants v where v.platform_id = p.platform_id and v.product_id = p.id), '[]'::jsonb),
  store_categories = coalesce((select jsonb_agg(c.handle order by c.position, c.handle)
    from catalog_product_categories pc
    join catalog_categories c on c.platform_id = p.platform_id and c.id = pc.category_id
    where pc.platform_id = p.platform_id and pc.product_id = p.id), '[]'::jsonb);

-- Text search within one platform: the trigram index carries the platform (btree_gin), so a term's
-- matches are found among that platform's products only, instead of intersected with them afterwards.
create extension if not exists btree_gin;
create index catalog_products_platform_search on catalog_products using gin (platform_id, search_text gin_trgm_ops);
drop index catalog_products_search;
