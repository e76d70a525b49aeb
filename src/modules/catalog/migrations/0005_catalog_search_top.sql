-- Storefront search, third pass (issue 18): the best-ranked products of a one-word query without
-- ranking every product that matches.
--
-- A query token ranks each product by the weights of its stored tokens that start with it, or-ed
-- (catalog_search_hits). When only one stored token starts with the query token (a whole word such as
-- "linen", a Chinese pair such as 亚麻), a product's rank is that token's weight, so the first page is
-- the first rows of this index walked backwards: (weight desc, product desc), the page's own order.
-- Only published rows: the storefront's ranges never ask for drafts.
create index catalog_search_tokens_rank on catalog_search_tokens (platform_id, token, weight, product_id) where published;

-- The published products matching one query token, best first (rank desc, product desc), `take` of
-- them after the keyset position (after_rank, after_id) when given. One stored token under the query
-- token: a walk of catalog_search_tokens_rank; several ("dress" starts "dress" and "dresses"): the
-- aggregation of catalog_search_hits, which or-s the weights of each product's tokens. plpgsql and a
-- generic plan, like catalog_search_hits: each statement below is planned once per connection.
create function catalog_search_top(platform uuid, query_token text, take integer, after_rank integer, after_id uuid)
returns table (product_id uuid, rank integer)
language plpgsql stable rows 21
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  upper_bound text := query_token || chr(1114111);
  first_token text;
begin
  select s.token into first_token from catalog_search_tokens s
    where s.platform_id = platform and s.token >= query_token and s.token < upper_bound and s.published
    order by s.token limit 1;
  if first_token is null then
    return;
  end if;
  if exists (select 1 from catalog_search_tokens s
             where s.platform_id = platform and s.token > first_token and s.token < upper_bound and s.published) then
    return query
      select h.product_id, h.rank from catalog_search_hits(platform, array[query_token], false) h
      where after_id is null or (h.rank, h.product_id) < (after_rank, after_id)
      order by h.rank desc, h.product_id desc limit take;
  elsif after_id is null then
    return query
      select s.product_id, s.weight::integer from catalog_search_tokens s
      where s.platform_id = platform and s.token = first_token and s.published
      order by s.weight desc, s.product_id desc limit take;
  else
    return query
      select s.product_id, s.weight::integer from catalog_search_tokens s
      where s.platform_id = platform and s.token = first_token and s.published
        and (s.weight, s.product_id) < (after_rank::smallint, after_id)
      order by s.weight desc, s.product_id desc limit take;
  end if;
end
$$;
