// Text search over products.search_text: each whitespace-separated term must appear as a substring
// (ilike, so case-insensitive; substrings also work for Chinese, which has no spaces between words).
// The pg_trgm GIN index on search_text serves these patterns; LIKE wildcards typed by the user are
// escaped so "100%" searches for a literal percent sign.

const MAX_TERMS = 8;

export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The distinct lower-cased terms of a query string, at most MAX_TERMS. */
export function searchTerms(q: string | undefined): string[] {
  if (!q) return [];
  return [...new Set(q.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_TERMS))];
}

/** ilike patterns for a query string, or [] when there is nothing to search for. */
export function searchPatterns(q: string | undefined): string[] {
  return searchTerms(q).map((t) => `%${escapeLike(t)}%`);
}

// Scripts written without spaces between words: there a substring of the title is as good as a word.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

function escapeRegex(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The relevance of a product (alias p) to the query, as an integer SQL expression (higher first); `param`
 * binds a value and returns its placeholder. Per term: a whole word of a title in any language 4 (any
 * title substring 2; for Chinese and other unspaced scripts a title substring counts as a word), a tag
 * 2 (the category handles, so "dress" finds the dresses before a dress shirt), the description or
 * anything else 1. Products must match every term anyway (the ilike filter), so 1 is the floor.
 */
export function relevanceSql(q: string | undefined, param: (value: unknown) => string): string | undefined {
  const terms = searchTerms(q);
  if (terms.length === 0) return undefined;
  const titles = 'p.search_title';
  const tags = `lower(array_to_string(p.tags, ' '))`;
  const parts = terms.map((term) => {
    const like = param(`%${escapeLike(term)}%`);
    const word = UNSPACED.test(term) ? `${titles} like ${like}` : `${titles} ~ ${param(`(^|[^a-z0-9])${escapeRegex(term)}($|[^a-z0-9])`)}`;
    return `(case when ${word} then 4 when ${titles} like ${like} then 2 else 0 end + case when ${tags} like ${like} then 2 else 0 end + 1)`;
  });
  return `(${parts.join(' + ')})`;
}

/** The filter: every term a substring of search_text, one ilike per term so the trigram index serves each. */
export function searchFilterSql(patterns: readonly string[], param: (value: unknown) => string): string {
  return patterns.map((pattern) => `p.search_text ilike ${param(pattern)}`).join(' and ');
}

/** Lower-cased titles in every language (alias p), kept in search_title for ranking. */
export const SEARCH_TITLE_SQL = `lower(concat_ws(' ', p.title, (select string_agg(t.value->>'title', ' ') from jsonb_each(p.translations) t)))`;

/**
 * The SQL expression that rebuilds search_text for the products of one statement (alias p): titles
 * and descriptions in every language, tags and the SKUs of its variants, lower-cased.
 */
export const SEARCH_TEXT_SQL = `lower(concat_ws(' ',
  p.title, p.description,
  (select string_agg(concat_ws(' ', t.value->>'title', t.value->>'description'), ' ') from jsonb_each(p.translations) t),
  array_to_string(p.tags, ' '),
  (select string_agg(v.sku, ' ') from catalog_variants v where v.platform_id = $1 and v.product_id = p.id)))`;
