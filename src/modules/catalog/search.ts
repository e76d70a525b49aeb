// Text search over products.search_text: each whitespace-separated term must appear as a substring
// (ilike, so case-insensitive; substrings also work for Chinese, which has no spaces between words).
// The pg_trgm GIN index on search_text serves these patterns; LIKE wildcards typed by the user are
// escaped so "100%" searches for a literal percent sign.

const MAX_TERMS = 8;

export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** ilike patterns for a query string, or [] when there is nothing to search for. */
export function searchPatterns(q: string | undefined): string[] {
  if (!q) return [];
  const terms = q.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_TERMS);
  return [...new Set(terms)].map((t) => `%${escapeLike(t)}%`);
}

/**
 * The SQL expression that rebuilds search_text for the products of one statement (alias p): titles
 * and descriptions in every language, tags and the SKUs of its variants, lower-cased.
 */
export const SEARCH_TEXT_SQL = `lower(concat_ws(' ',
  p.title, p.description,
  (select string_agg(concat_ws(' ', t.value->>'title', t.value->>'description'), ' ') from jsonb_each(p.translations) t),
  array_to_string(p.tags, ' '),
  (select string_agg(v.sku, ' ') from catalog_variants v where v.platform_id = $1 and v.product_id = p.id)))`;
