// Text search through the token index (catalog_search_tokens, migration 0004): a product matches when,
// for every token of the query, one of its tokens starts with it; it ranks by the sum, over the query's
// tokens, of the fields its matching tokens appear in (title 4, tag 2, description or SKU 1, added up:
// "dress" in a title and "dresses" in a tag is 6). What the SQL function catalog_search_terms does to
// the products' texts, queryTokens below does to a query, so the statement carries its tokens as
// values the planner can estimate; a test holds the two to the same character classes and the same
// tokens on a sample of texts in several scripts.
//
// Words match by prefix ("dres" finds "dress" and "dresses"), not as substrings: "ress" finds nothing.
// Chinese and other unspaced scripts match through character pairs: "连衣裙" looks for 连衣 and 衣裙.
// Characters that are neither letters nor digits separate words and are never searched for, so "%"
// and "_" are not wildcards (a query of separators only finds nothing).

const MAX_TERMS = 8;
// 16 tokens of 3 bits each fit the 63 bits of a bigint (catalog_search_hits).
const MAX_QUERY_TOKENS = 16;
const MAX_WORD = 64;

// The character classes of catalog_search_terms (migration 0004), as regular expression ranges that
// mean the same in JavaScript (with the u flag) and in PostgreSQL: scripts written without spaces, and
// separators (ASCII punctuation and symbols, Latin-1 signs, general punctuation, arrows, maths and
// shapes, CJK punctuation, specials). A test checks that the migration's pattern is built from these.
export const UNSPACED_RANGES = '\\u0e00-\\u0e7f\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff';
export const SEPARATOR_RANGES =
  '\\u0001-\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u00bf\\u00d7\\u00f7\\u2000-\\u2bff\\u3000-\\u303f\\ufe30-\\ufe4f\\ufff0-\\uffff';
/** Runs of unspaced-script characters (group 1) or of word characters (group 2). */
export const RUNS_PATTERN = `([${UNSPACED_RANGES}]+)|([^${SEPARATOR_RANGES}${UNSPACED_RANGES}]+)`;
const RUNS = new RegExp(RUNS_PATTERN, 'gu');

/**
 * The tokens a query looks for, cut as catalog_search_terms(q, true) cuts it: at most MAX_TERMS
 * whitespace-separated terms, lower-cased and NFKC-normalised; words (cut to 64 characters) and, in
 * unspaced scripts, the character pairs of each run or a run's single character. [] when there is
 * nothing to search for.
 */
export function queryTokens(q: string | undefined): string[] {
  const text = (q ?? '').split(/\s+/).filter(Boolean).slice(0, MAX_TERMS).join(' ').normalize('NFKC').toLowerCase();
  const tokens = new Set<string>();
  for (const [, unspaced, word] of text.matchAll(RUNS)) {
    if (word) tokens.add(Array.from(word).slice(0, MAX_WORD).join(''));
    if (unspaced) {
      const chars = Array.from(unspaced);
      if (chars.length === 1) tokens.add(unspaced);
      for (let i = 0; i + 1 < chars.length; i++) tokens.add(chars[i]! + chars[i + 1]!);
    }
  }
  return [...tokens].slice(0, MAX_QUERY_TOKENS);
}

/**
 * A common table expression search_hits(product_id, rank): the products of the platform ($1) that
 * match every one of `tokens` (at least one; each matches the stored tokens it starts), published ones
 * only unless `anyStatus`, through catalog_search_hits (migration 0004): one btree range per token,
 * [token, token || U+10FFFF) in the index's "C" order, and one aggregation over them all.
 */
export function searchHitsCtes(tokens: readonly string[], param: (value: unknown) => string, anyStatus = false): string {
  return `search_hits as (select h.product_id, h.rank from catalog_search_hits($1, ${param(tokens)}::text[], ${anyStatus}) h)`;
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
