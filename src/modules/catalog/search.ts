// Text search through the token index (catalog_search_tokens, migration 0004): a product matches when,
// for every token of the query, one of its tokens starts with it; it ranks by the sum, over the query's
// tokens, of the fields its matching tokens appear in (title 4, tag 2, description or SKU 1, added up:
// "dress" in a title and "dresses" in a tag is 6). The query is cut into tokens by the same SQL function that cut the
// products' texts (catalog_search_terms), inside the statement, so the two sides cannot disagree.
//
// Words match by prefix ("dres" finds "dress" and "dresses"), not as substrings: "ress" finds nothing.
// Chinese and other unspaced scripts match through character pairs: "连衣裙" looks for 连衣 and 衣裙.
// Characters that are neither letters nor digits separate words and are never searched for, so "%"
// and "_" are not wildcards (a query of separators only finds nothing).

const MAX_TERMS = 8;

/** The query text (at most MAX_TERMS whitespace-separated terms), or undefined when there is none. */
export function searchText(q: string | undefined): string | undefined {
  const terms = (q ?? '').split(/\s+/).filter(Boolean).slice(0, MAX_TERMS);
  return terms.length > 0 ? terms.join(' ') : undefined;
}

/**
 * Common table expressions ending in search_hits(product_id, rank): the products of the platform ($1)
 * that match the query bound at `queryParam`, published ones only unless `anyStatus`. One index range
 * per query token; chr(1114111) is the last code point, so [token, token || it) holds every stored
 * token that starts with the query token, in the "C" order of the index.
 */
export function searchHitsCtes(queryParam: string, anyStatus = false): string {
  return `search_query as (select distinct token from catalog_search_terms(${queryParam}::text, true) token),
  search_matches as (
    select s.product_id, bit_or(s.weight) as weight
    from search_query q
    join catalog_search_tokens s on s.platform_id = $1 and s.token >= q.token and s.token < q.token || chr(1114111)${anyStatus ? '' : ' and s.published'}
    group by s.product_id, q.token),
  search_hits as (
    select product_id, sum(weight)::int as rank from search_matches
    group by product_id having count(*) = (select count(*) from search_query))`;
}

/** The texts a product's tokens come from, by weight (alias p, $1 the platform), as a lateral VALUES list. */
const SEARCH_DOCS_SQL = `(values
    (4, concat_ws(' ', p.title, (select string_agg(tr.value->>'title', ' ') from jsonb_each(p.translations) tr))),
    (2, array_to_string(p.tags, ' ')),
    (1, concat_ws(' ', p.description,
          (select string_agg(tr.value->>'description', ' ') from jsonb_each(p.translations) tr),
          (select string_agg(v.sku, ' ') from catalog_variants v where v.platform_id = $1 and v.product_id = p.id)))
  ) f(weight, doc)`;

/**
 * Statements that rebuild the search tokens and title sort keys of the products $2 (uuid[]) of the
 * platform $1, run by refreshDerived in the writing transaction. Migration 0004 filled them once with
 * the same expressions.
 */
export const SEARCH_REFRESH_SQL: readonly string[] = [
  `with old_tokens as (delete from catalog_search_tokens where platform_id = $1 and product_id = any($2::uuid[]))
   delete from catalog_product_titles where platform_id = $1 and product_id = any($2::uuid[])`,
  `with new_tokens as (
     insert into catalog_search_tokens (platform_id, token, product_id, weight, published)
     select $1::uuid, t.token, p.id, bit_or(f.weight)::smallint, p.status = 'published'
     from catalog_products p
     cross join lateral ${SEARCH_DOCS_SQL}
     cross join lateral catalog_search_terms(f.doc) t(token)
     where p.platform_id = $1 and p.id = any($2::uuid[])
     group by p.platform_id, p.id, t.token)
   insert into catalog_product_titles (platform_id, product_id, locale, key, published)
   select $1::uuid, p.id, '', left(lower(p.title), 300), p.status = 'published'
   from catalog_products p where p.platform_id = $1 and p.id = any($2::uuid[])
   union all
   select $1::uuid, p.id, tr.key, left(lower(tr.value->>'title'), 300), p.status = 'published'
   from catalog_products p cross join lateral jsonb_each(p.translations) tr
   where p.platform_id = $1 and p.id = any($2::uuid[]) and coalesce(tr.value->>'title', '') <> ''`,
];
