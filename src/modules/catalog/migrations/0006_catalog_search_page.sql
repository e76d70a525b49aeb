-- Storefront search, fourth pass (issue 18): the first pages of a query whose tokens are several
-- ("summer dress", 连衣裙 = 连衣 + 衣裙) or whose one token starts several stored tokens ("dress" starts
-- "dress" and "dresses") without ranking every product that matches.
--
-- A product's rank is the sum over the query's tokens of the weights (title 4, tag 2, description or
-- SKU 1) of its stored tokens that start with that query token, or-ed. Bound the rank of every product
-- from above: for a query token whose range holds one stored token, the greatest weight of that token's
-- postings; for a range of several, the or of all their weights; the bound of the query is the sum.
-- A product reaches the bound only by reaching each token's part of it, which needs certain postings:
-- the range's one stored token at its greatest weight, or, in a range of several, a stored token that
-- alone holds some bit of the range's or. So the products at the bound are found among the postings of
-- one such token (the driver) walked by product, newest first, each candidate's rank computed from its
-- own postings (one primary key probe per stored token of the query). When `take` of them are found,
-- they are the page: nothing ranks above the bound, and those at the bound that were not reached have
-- smaller ids. Otherwise (a page below the bound's products, a range of more than 8 stored tokens, no
-- driver, too few at the bound among the candidates walked) the aggregation of catalog_search_hits
-- ranks every match, as before.
create function catalog_search_bound(platform uuid, query_tokens text[], take integer, after_rank integer, after_id uuid)
returns table (product_id uuid, rank integer)
language plpgsql stable rows 21
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  n integer := cardinality(query_tokens);
  -- The stored tokens of every range, the query token (1..n) each belongs to, and the or of its weights.
  toks text[] := '{}';
  grps integer[] := '{}';
  tok_bits integer[] := '{}';
  tok_max integer[] := '{}';
  -- Bit w set when some posting of the token weighs w.
  tok_weights integer[] := '{}';
  alone boolean;
  depth integer;
  ranges integer;
  cand_toks text[] := '{}';
  cand_needs integer[] := '{}';
  cand_grps integer[] := '{}';
  cand_weights integer[] := '{}';
  cand_order integer[];
  one_weight integer;
  a integer;
  b integer;
  exact boolean;
  k integer;
  range_bits integer;
  range_size integer;
  greatest_weight integer;
  bound integer := 0;
  -- The bound's part for query token i in bits 3(i-1)..3(i-1)+2, as catalog_search_hits packs ranks.
  packed_bound bigint := 0;
  others integer;
  need integer;
  driver text;
  driver_need integer;
  page uuid[];
begin
  if n = 0 then
    return;
  end if;
  -- The distinct (stored token, weight) pairs under each query token, found one index probe each
  -- (a skip scan of catalog_search_tokens_rank), at most 24 per query token.
  with recursive pairs(i, token, weight, depth) as (
    select q.i::integer, f.token, f.weight, 1
    from unnest(query_tokens) with ordinality q(query_token, i)
    cross join lateral (
      select s.token, s.weight from catalog_search_tokens s
      where s.platform_id = platform and s.token >= q.query_token and s.token < q.query_token || chr(1114111) and s.published
      order by s.token, s.weight limit 1) f
    union all
    select p.i, f.token, f.weight, p.depth + 1
    from pairs p
    cross join lateral (
      select s.token, s.weight from catalog_search_tokens s
      where s.platform_id = platform and (s.token, s.weight) > (p.token, p.weight)
        and s.token < query_tokens[p.i] || chr(1114111) and s.published
      order by s.token, s.weight limit 1) f
    where p.depth < 24
  )
  select array_agg(g.token order by g.i, g.token), array_agg(g.i order by g.i, g.token),
         array_agg(g.bits order by g.i, g.token), array_agg(g.top order by g.i, g.token),
         array_agg(g.weights order by g.i, g.token), coalesce(max(g.depth), 0), count(distinct g.i)
    into toks, grps, tok_bits, tok_max, tok_weights, depth, ranges
    from (select p.i, p.token, bit_or(p.weight)::integer as bits, max(p.weight)::integer as top,
                 bit_or(1 << p.weight)::integer as weights, max(p.depth) as depth
          from pairs p group by p.i, p.token) g;
  if ranges < n then
    -- Nothing starts with some query token: no product matches them all.
    return;
  end if;
  if depth >= 24 then
    -- Many stored tokens under a query token (a short prefix): rank every match.
    return query
      select h.product_id, h.rank from catalog_search_hits(platform, query_tokens, false) h
      where after_id is null or (h.rank, h.product_id) < (after_rank, after_id)
      order by h.rank desc, h.product_id desc limit take;
    return;
  end if;
  for i in 1..n loop
    range_bits := 0;
    range_size := 0;
    for k in 1..cardinality(toks) loop
      if grps[k] = i then
        range_bits := range_bits | tok_bits[k];
        range_size := range_size + 1;
        greatest_weight := tok_max[k];
      end if;
    end loop;
    bound := bound + case when range_size = 1 then greatest_weight else range_bits end;
    packed_bound := packed_bound | ((case when range_size = 1 then greatest_weight else range_bits end)::bigint << (3 * (i - 1)));
  end loop;
  if after_id is null or after_rank >= bound then
    -- The driver: a stored token that every product at the bound holds with certain bits (need); of
    -- those, the one with the fewest such postings.
    for k in 1..cardinality(toks) loop
      others := 0;
      alone := true;
      for j in 1..cardinality(toks) loop
        if grps[j] = grps[k] and j <> k then
          others := others | tok_bits[j];
          alone := false;
        end if;
      end loop;
      -- Alone in its range, the token's part of the bound is its greatest weight, held only by the
      -- postings of that weight; in a range of several, the bits no other stored token of it has.
      need := case when alone then tok_max[k] else tok_bits[k] & ~others end;
      if need <> 0 then
        -- The one weight of this token's postings that holds the bits, when only one does: its
        -- postings then come in product order from catalog_search_tokens_rank.
        one_weight := 0;
        for v in 1..7 loop
          if v & need = need and tok_weights[k] & (1 << v) <> 0 then
            one_weight := case when one_weight = 0 then v else -1 end;
          end if;
        end loop;
        cand_toks := cand_toks || toks[k];
        cand_needs := cand_needs || need;
        cand_grps := cand_grps || grps[k];
        cand_weights := cand_weights || greatest(one_weight, 0);
      end if;
    end loop;
    if cardinality(cand_toks) > 0 then
      -- The rarest first: such postings counted, up to 4 pages' worth.
      select array_agg(c.k order by c.size, c.k) into cand_order from (
        select c.k, (select count(*) from (
                       select 1 from catalog_search_tokens s
                       where s.platform_id = platform and s.token = c.tok and s.published
                         and s.weight >= c.need and (s.weight::integer & c.need) = c.need
                       limit take * 4) x) as size
        from unnest(cand_toks, cand_needs) with ordinality c(tok, need, k)) c;
      a := cand_order[1];
      -- A second walk in step with the first when both read one weight (the next rarest).
      if cand_weights[a] > 0 then
        foreach k in array cand_order[2:] loop
          if cand_weights[k] > 0 then
            b := k;
            exit;
          end if;
        end loop;
      end if;
    end if;
  end if;
  if b is not null then
    -- Both walks in product order, merged: products holding both, checked at the bound unless the two
    -- walks are the whole query: two query tokens of one stored token each, read at their greatest
    -- weight, or one query token over two stored tokens whose walked weights or-ed make the bound.
    exact := cardinality(toks) = 2 and (cand_grps[a] <> cand_grps[b] or (cand_weights[a] | cand_weights[b]) = bound);
    if after_id is null or after_rank > bound then
      select array_agg(t.product_id order by t.product_id desc) into page from (select c.product_id from (
        select s.product_id from catalog_search_tokens s
        join catalog_search_tokens o on o.platform_id = platform and o.token = cand_toks[b] and o.weight = cand_weights[b]
          and o.published and o.product_id = s.product_id
        where s.platform_id = platform and s.token = cand_toks[a] and s.weight = cand_weights[a] and s.published
        order by s.product_id desc limit take * 4
      ) c
      where exact or (select bit_or(x.weight::bigint << (3 * (u.grp - 1))) from unnest(toks, grps) u(tok, grp)
             join catalog_search_tokens x on x.platform_id = platform and x.token = u.tok and x.product_id = c.product_id and x.published) = packed_bound
      limit take) t;
    else
      select array_agg(t.product_id order by t.product_id desc) into page from (select c.product_id from (
        select s.product_id from catalog_search_tokens s
        join catalog_search_tokens o on o.platform_id = platform and o.token = cand_toks[b] and o.weight = cand_weights[b]
          and o.published and o.product_id = s.product_id
        where s.platform_id = platform and s.token = cand_toks[a] and s.weight = cand_weights[a] and s.published
          and s.product_id < after_id
        order by s.product_id desc limit take * 4
      ) c
      where exact or (select bit_or(x.weight::bigint << (3 * (u.grp - 1))) from unnest(toks, grps) u(tok, grp)
             join catalog_search_tokens x on x.platform_id = platform and x.token = u.tok and x.product_id = c.product_id and x.published) = packed_bound
      limit take) t;
    end if;
    if cardinality(page) >= take then
      return query select p.id, bound from unnest(page[1:take]) p(id);
      return;
    end if;
  elsif a is not null then
    driver := cand_toks[a];
    driver_need := cand_needs[a];
    -- Those at the bound among the driver's postings, newest first; 4 pages' worth walked at most.
    if after_id is null or after_rank > bound then
      select array_agg(t.product_id order by t.product_id desc) into page from (select c.product_id from (
        select s.product_id from catalog_search_tokens s
        where s.platform_id = platform and s.token = driver and s.published and (s.weight & driver_need) = driver_need
        order by s.product_id desc limit take * 4
      ) c
      where (select bit_or(x.weight::bigint << (3 * (u.grp - 1))) from unnest(toks, grps) u(tok, grp)
             join catalog_search_tokens x on x.platform_id = platform and x.token = u.tok and x.product_id = c.product_id and x.published) = packed_bound
      limit take) t;
    else
      select array_agg(t.product_id order by t.product_id desc) into page from (select c.product_id from (
        select s.product_id from catalog_search_tokens s
        where s.platform_id = platform and s.token = driver and s.published and (s.weight & driver_need) = driver_need
          and s.product_id < after_id
        order by s.product_id desc limit take * 4
      ) c
      where (select bit_or(x.weight::bigint << (3 * (u.grp - 1))) from unnest(toks, grps) u(tok, grp)
             join catalog_search_tokens x on x.platform_id = platform and x.token = u.tok and x.product_id = c.product_id and x.published) = packed_bound
      limit take) t;
    end if;
    if cardinality(page) >= take then
      return query select p.id, bound from unnest(page[1:take]) p(id);
      return;
    end if;
  end if;
  return query
    select h.product_id, h.rank from catalog_search_hits(platform, query_tokens, false) h
    where after_id is null or (h.rank, h.product_id) < (after_rank, after_id)
    order by h.rank desc, h.product_id desc limit take;
end
$$;

-- The page of a search, best first (rank desc, product desc), `take` products after the keyset position
-- (after_rank, after_id) when given: a query of one token that starts one stored token reads that token's
-- postings in rank order (as catalog_search_top does); any other through catalog_search_bound. Two
-- functions so that the common one-word page pays for none of the other's variables.
create function catalog_search_page(platform uuid, query_tokens text[], take integer, after_rank integer, after_id uuid)
returns table (product_id uuid, rank integer)
language plpgsql stable rows 21
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  one_token text;
begin
  if cardinality(query_tokens) = 0 then
    return;
  end if;
  if cardinality(query_tokens) = 1 then
    -- One query token that starts one stored token: a product's rank is its posting's weight, so the
    -- page is the postings in the order of catalog_search_tokens_rank (as catalog_search_top reads them).
    select s.token into one_token from catalog_search_tokens s
      where s.platform_id = platform and s.token >= query_tokens[1] and s.token < query_tokens[1] || chr(1114111) and s.published
      order by s.token limit 1;
    if one_token is null then
      return;
    end if;
    if not exists (select 1 from catalog_search_tokens s
                   where s.platform_id = platform and s.token > one_token and s.token < query_tokens[1] || chr(1114111) and s.published) then
      if after_id is null then
        return query
          select s.product_id, s.weight::integer from catalog_search_tokens s
          where s.platform_id = platform and s.token = one_token and s.published
          order by s.weight desc, s.product_id desc limit take;
      else
        return query
          select s.product_id, s.weight::integer from catalog_search_tokens s
          where s.platform_id = platform and s.token = one_token and s.published
            and (s.weight, s.product_id) < (after_rank::smallint, after_id)
          order by s.weight desc, s.product_id desc limit take;
      end if;
      return;
    end if;
  end if;
  return query select b.product_id, b.rank from catalog_search_bound(platform, query_tokens, take, after_rank, after_id) b;
end
$$;
