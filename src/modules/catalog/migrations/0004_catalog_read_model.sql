-- Storefront read model (issue 18): a search token index and kept title sort keys, both written by
-- refreshDerived in the same transaction as the product, variant and translation writes they derive
-- from, and filled here once for the rows that exist.
--
-- Search tokens. catalog_search_terms cuts a text into the tokens the index holds, and a query into
-- the tokens it looks for, so both sides are cut by the same code in the same database:
--   * lower-cased, NFKC-normalised (full-width letters and digits become ASCII);
--   * scripts written with spaces (Latin, Cyrillic, Greek, Hangul, digits...): each run of letters and
--     digits between separators is a word ("floral-xyz-1" gives floral, xyz, 1), cut to 64 characters;
--   * scripts written without spaces (Han, kana, Thai): every two adjacent characters of a run, and the
--     run's last character alone, so every character starts at least one token. A query run of two or
--     more characters looks for its pairs; a single character looks for the tokens it starts.
-- A query token matches every stored token it is a prefix of (a btree range in "C" order).
create function catalog_search_terms(doc text, for_query boolean default false) returns setof text
language sql immutable parallel safe rows 8 as $$
  with runs as (
    select m[1] as unspaced, m[2] as word
    from regexp_matches(lower(normalize(coalesce(doc, ''), NFKC)),
      '([\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([^\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00bf\u00d7\u00f7\u2000-\u2bff\u3000-\u303f\ufe30-\ufe4f\ufff0-\uffff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)', 'g') m
  )
  select left(word, 64) from runs where word is not null
  union
  select substr(unspaced, i, 2) from runs, generate_series(1, char_length(unspaced) - 1) i where unspaced is not null
  union
  select right(unspaced, 1) from runs where unspaced is not null and (not for_query or char_length(unspaced) = 1)
$$;

-- One row per (product, token). weight: 4 when the token is in a title (any language), + 2 in a tag,
-- + 1 in a description or a SKU; a search ranks a product by the sum over the query's tokens.
-- published mirrors the product's status so the storefront's ranges skip drafts inside the index.
create table catalog_search_tokens (
  platform_id uuid not null references platforms(id),
  token text collate "C" not null,
  product_id uuid not null,
  weight smallint not null,
  published boolean not null,
  primary key (platform_id, token, product_id) include (weight, published),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade
);
create index catalog_search_tokens_product on catalog_search_tokens (platform_id, product_id);

-- The products of a platform that match every query token (a stored token starting with it), with
-- their rank: token i's weights are or-ed into bits 3i..3i+2 of one number (16 tokens at most), the
-- rank is the sum of those fields, and `seen` has bit i set when token i matched. A function so that
-- its statement is planned once per connection (plpgsql keeps the plan) and always as the generic plan
-- (one index range per token, one aggregation): replanning the search for each request cost more
-- PostgreSQL CPU than running it.
create function catalog_search_hits(platform uuid, tokens text[], any_status boolean)
returns table (product_id uuid, rank integer)
language plpgsql stable
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
    select m.product_id,
      ((m.packed & 7) + ((m.packed >> 3) & 7) + ((m.packed >> 6) & 7) + ((m.packed >> 9) & 7) + ((m.packed >> 12) & 7)
       + ((m.packed >> 15) & 7) + ((m.packed >> 18) & 7) + ((m.packed >> 21) & 7) + ((m.packed >> 24) & 7) + ((m.packed >> 27) & 7)
       + ((m.packed >> 30) & 7) + ((m.packed >> 33) & 7) + ((m.packed >> 36) & 7) + ((m.packed >> 39) & 7) + ((m.packed >> 42) & 7)
       + ((m.packed >> 45) & 7))::integer
    from (
      select s.product_id, bit_or(s.weight::bigint << (3 * (q.i - 1))::integer) as packed, bit_or(1 << (q.i - 1)::integer) as seen
      from unnest(tokens) with ordinality q(token, i)
      join catalog_search_tokens s on s.platform_id = platform and s.token >= q.token and s.token < q.token || chr(1114111)
        and (any_status or s.published)
      group by s.product_id
    ) m
    where m.seen = (1 << cardinality(tokens)) - 1;
end
$$;

-- The title sort key of each product per language: locale '' holds the main title (the platform's
-- default language), other rows the translated titles that are not empty. A storefront title sort walks
-- (platform, locale, key, product) for the requested language and the main titles of the products
-- without that translation, merged: no sort of the whole catalogue.
create table catalog_product_titles (
  platform_id uuid not null references platforms(id),
  product_id uuid not null,
  locale text not null,
  key text collate "C" not null,
  published boolean not null,
  primary key (platform_id, product_id, locale),
  foreign key (platform_id, product_id) references catalog_products (platform_id, id) on delete cascade
);
create index catalog_product_titles_sort on catalog_product_titles (platform_id, locale, key, product_id) where published;

insert into catalog_search_tokens (platform_id, token, product_id, weight, published)
select p.platform_id, t.token, p.id, bit_or(f.weight)::smallint, p.status = 'published'
from catalog_products p
cross join lateral (values
  (4, concat_ws(' ', p.title, (select string_agg(tr.value->>'title', ' ') from jsonb_each(p.translations) tr))),
  (2, array_to_string(p.tags, ' ')),
  (1, concat_ws(' ', p.description,
        (select string_agg(tr.value->>'description', ' ') from jsonb_each(p.translations) tr),
        (select string_agg(v.sku, ' ') from catalog_variants v where v.platform_id = p.platform_id and v.product_id = p.id)))
) f(weight, doc)
cross join lateral catalog_search_terms(f.doc) t(token)
group by p.platform_id, p.id, t.token;

insert into catalog_product_titles (platform_id, product_id, locale, key, published)
select p.platform_id, p.id, '', left(lower(p.title), 300), p.status = 'published' from catalog_products p
union all
select p.platform_id, p.id, tr.key, left(lower(tr.value->>'title'), 300), p.status = 'published'
from catalog_products p cross join lateral jsonb_each(p.translations) tr
where coalesce(tr.value->>'title', '') <> '';

-- Search no longer reads the substring columns and their trigram index.
drop index catalog_products_platform_search;
alter table catalog_products drop column search_text;
alter table catalog_products drop column search_title;
