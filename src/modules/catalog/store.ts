// Storefront reads: published products only, localized, priced in one currency. Lists use keyset
// pagination on (sort value, id) so pages stay stable while the catalogue changes, and each page is a
// single statement (see views.ts).
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';
import { resolveCategoryRefs } from './categories.ts';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.ts';
import { sqlLocale } from './locale.ts';
import type { Sort, StoreProduct } from './schemas.ts';
import { queryTokens, searchHitsCtes } from './search.ts';
import { fromStoreCard, STORE_CARD_COLUMNS, STORE_PRODUCT_COLUMNS, toStoreProduct, type StoreCardRow, type StoreProductRow } from './views.ts';
import { badAttributeFilter, invalidPriceRange, tooManyAttributeFilters } from './problems.ts';
import { invalidCursor } from '../../kernel/http/problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';
import { genericPlan } from '../../kernel/db/types.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

export interface StoreListQuery {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Raw `key:value` filters, possibly comma-separated. */
  attribute?: readonly string[];
  q?: string;
  sort?: Sort;
  limit?: number;
  cursor?: string;
  locale: string;
  currency: string;
}

const MAX_ATTRIBUTE_KEYS = 10;
// Products without a price in the currency sort after all priced ones, in either direction.
const NO_PRICE_HIGH = '9007199254740991';

/**
 * `material:cotton,colour:red` → { material: ['cotton'], colour: ['red'] }. Values of one key are
 * alternatives; each value also matches when stored as a number, a boolean or inside an array.
 */
export function parseAttributeFilters(raw: readonly string[] | undefined): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const part of (raw ?? []).flatMap((r) => r.split(','))) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const colon = trimmed.indexOf(':');
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw badAttributeFilter(trimmed);
    }
    const key = trimmed.slice(0, colon).trim();
    const value = trimmed.slice(colon + 1).trim();
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  if (filters.size > MAX_ATTRIBUTE_KEYS) {
    throw tooManyAttributeFilters(MAX_ATTRIBUTE_KEYS);
  }
  return filters;
}

/** jsonb documents any of which, contained in attributes, means the product matches. */
function containmentCandidates(key: string, values: readonly string[]): string[] {
  const docs: string[] = [];
  for (const value of values) {
    const typed: unknown[] = [value];
    if (/^-?\d+(?:\.\d+)?$/.test(value)) typed.push(Number(value));
    if (value === 'true' || value === 'false') typed.push(value === 'true');
    for (const v of typed) docs.push(JSON.stringify({ [key]: v }), JSON.stringify({ [key]: [v] }));
  }
  return docs;
}

/** The statement's parts a page is built from: CTEs, conditions on products (alias p) and the search. */
interface ListSql {
  /** Common table expressions (the search's), without the `with`. */
  ctes: string[];
  /** Conditions on p beyond "published on this platform": category, price range, attributes. */
  filters: string[];
  /** Whether a query searched: the products are then those in search_hits. */
  searching: boolean;
  param: (value: unknown) => string;
  fetch: number;
}

// "recursive" lets category_tree refer to itself; it changes nothing for the other expressions.
const withCtes = (ctes: readonly string[]) => (ctes.length > 0 ? `with recursive ${ctes.join(',\n')}\n` : '');
const searched = (list: ListSql, id: string) => (list.searching ? [`${id} in (select product_id from search_hits)`] : []);
/**
 * The whole products of a page of ids (page.id, page.sort_value), one row each, in no particular order:
 * the page's own statement orders and limits the narrow ids, and Node puts the wide rows back in that
 * order (pageOrder). Sorting the 21 wide rows in PostgreSQL copied every product row once more before
 * sending it, a share of the PostgreSQL CPU of every list and search page.
 */
const wholeProducts = (page: string) => `select ${STORE_CARD_COLUMNS}, page.sort_value
     from (${page}) page
     join catalog_store_cards c on c.platform_id = $1 and c.product_id = page.id`;

type PageRow = StoreProductRow & { sort_value: number | string | null };
type RowOrder = (a: PageRow, b: PageRow) => number;

// Ids are uuids, which PostgreSQL compares byte by byte and returns in lower-case hex: the same order as
// comparing the strings.
const byId = (a: PageRow, b: PageRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
// A title key's "C" collation is the byte order of its UTF-8 (JavaScript's own string order differs
// above U+FFFF).
const byKey = (a: PageRow, b: PageRow) => Buffer.compare(Buffer.from(String(a.sort_value), 'utf8'), Buffer.from(String(b.sort_value), 'utf8'));
// Ranks and prices (int8 read as numbers; the unpriced sentinels sort after every price either way).
const byNumber = (a: PageRow, b: PageRow) => Number(a.sort_value) - Number(b.sort_value);
const then = (first: RowOrder, second: RowOrder): RowOrder => (a, b) => first(a, b) || second(a, b);
const reverse = (order: RowOrder): RowOrder => (a, b) => order(b, a);

/** The order of a page's rows under `sort`, as its statement's ORDER BY (sort value, id) has it. */
function pageOrder(sort: Sort, searching: boolean): RowOrder {
  if (sort === 'price_asc') return then(byNumber, byId);
  if (sort === 'price_desc') return reverse(then(byNumber, byId));
  if (sort === 'title') return then(byKey, byId);
  if (sort === 'relevance' && searching) return reverse(then(byNumber, byId));
  return reverse(byId);
}

export async function listStoreProducts(
  pdb: PlatformDb,
  platform: Platform,
  query: StoreListQuery,
): Promise<{ items: StoreProduct[]; nextCursor: string | null }> {
  const searching = (query.q ?? '').trim() !== '';
  const tokens = queryTokens(query.q);
  // A query ranks by relevance unless the client chose a sort.
  const sort = query.sort ?? (searching ? 'relevance' : 'newest');
  const limit = query.limit ?? 20;
  const { params, param } = sqlParams();
  // Bound once, and only when a statement uses it: a parameter no statement mentions has no type.
  let currencyParam: string | undefined;
  const currency = () => (currencyParam ??= param(query.currency));
  const filters: string[] = [];

  const ctes: string[] = [];
  if (query.category) {
    // The category (by handle or id) and every category below it, found by the page's own statement.
    const ref = query.category;
    ctes.push(`category_tree as (
      select c.id from catalog_categories c where c.platform_id = $1 and ${isUuid(ref) ? `c.id = ${param(ref.toLowerCase())}::uuid` : `c.handle = ${param(ref)}`}
      union
      select c.id from catalog_categories c join category_tree t on c.parent_id = t.id where c.platform_id = $1)`);
    filters.push(
      `exists (select 1 from catalog_product_categories pc where pc.platform_id = $1 and pc.product_id = p.id and pc.category_id in (select id from category_tree))`,
    );
  }
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
      throw invalidPriceRange(query.minPrice, query.maxPrice);
    }
    // A product matches when one of its variants costs within the range in this currency.
    filters.push(
      `exists (select 1 from catalog_variants v join catalog_prices pr on pr.platform_id = $1 and pr.variant_id = v.id
        where v.platform_id = $1 and v.product_id = p.id and pr.currency = ${currency()}
          and pr.amount >= ${param(query.minPrice ?? 0)}::bigint and pr.amount <= ${param(query.maxPrice ?? Number(NO_PRICE_HIGH))}::bigint)`,
    );
  }
  for (const [key, values] of parseAttributeFilters(query.attribute)) {
    filters.push(`p.attributes @> any(${param(containmentCandidates(key, values))}::jsonb[])`);
  }
  const cursor = query.cursor ? decodeCursor(query.cursor, sort) : undefined;
  // A query of separators only ("%", "-") has nothing to look for, and so finds nothing.
  if (searching && tokens.length === 0) return { items: [], nextCursor: null };
  // A search ranked by relevance with nothing else narrowing it (the common search): its best matches
  // are found (catalog_search_page) without every match being ranked whenever the index allows.
  const topOnly = searching && sort === 'relevance' && filters.length === 0;
  if (searching && !topOnly) ctes.push(searchHitsCtes(tokens, param));
  const list: ListSql = { ctes, filters, searching, param, fetch: rowsToFetch(limit) };

  const page = (rows: PageRow[]) =>
    takePage(
      rows.sort(pageOrder(sort, searching)),
      limit,
      (row) => toStoreProduct(row, platform, query.locale, query.currency),
      (last) => encodeCursor({ sort, value: sort === 'newest' || (sort === 'relevance' && !searching) ? null : last.sort_value, id: last.id }),
    );
  let sql: string;
  if (sort === 'price_asc' || sort === 'price_desc') {
    sql = priceSortedSql(sort, list, cursor, currency());
  } else if (sort === 'title') {
    sql = titleSortedSql(list, sqlLocale(query.locale, platform.defaultLocale), cursor);
  } else if (sort === 'relevance' && searching) {
    sql = topOnly ? searchTopSql(tokens, list, cursor) : relevanceSortedSql(list, cursor);
  } else {
    sql = newestSql(list, cursor);
  }
  const cards = await pdb.query<StoreCardRow & { sort_value: number | string | null }>(genericShape(query, sort, searching) ? genericPlan(sql) : sql, params);
  const rows: PageRow[] = cards.map(fromStoreCard);
  // An unknown category is the client's mistake, not an empty page: asked about only when nothing came back.
  if (rows.length === 0 && query.category) await resolveCategoryRefs(pdb, [query.category]);
  return page(rows);
}

/**
 * Whether a page's statement may keep one generic plan (planning it cost as much PostgreSQL CPU as
 * running it). Only the shapes whose generic plan was checked (EXPLAIN ANALYZE on 10,000 products over
 * two platforms, both directions, first and later pages) to walk the same indexes as their custom plans:
 * one narrowing at most. A price range or an attribute filter, a search under another order than its
 * rank or within a category, and a category sorted by price get plans from guessed selectivities that
 * were 3-10 times slower than the custom plans, so those are planned for their values.
 */
function genericShape(query: StoreListQuery, sort: Sort, searching: boolean): boolean {
  if (query.minPrice !== undefined || query.maxPrice !== undefined || (query.attribute ?? []).some((a) => a.trim() !== '')) return false;
  if (searching) return sort === 'relevance' && !query.category;
  return !(query.category && (sort === 'price_asc' || sort === 'price_desc'));
}

/** Newest first: the (platform, status, id) index walked backwards. */
function newestSql(list: ListSql, cursor: Cursor | undefined): string {
  const where = ['p.platform_id = $1', `p.status = 'published'`, ...list.filters, ...searched(list, 'p.id')];
  if (cursor) where.push(`p.id < ${list.param(cursor.id)}::uuid`);
  return withCtes(list.ctes) + wholeProducts(
    `select p.id, null as sort_value from catalog_products p where ${where.join(' and ')} order by p.id desc limit ${list.param(list.fetch)}`
  );
}

/** Best match first: the search's hits ranked, filtered on their product rows only when a filter asks. */
function relevanceSortedSql(list: ListSql, cursor: Cursor | undefined): string {
  const where = [...list.filters];
  if (cursor) {
    if (typeof cursor.value !== 'number') throw invalidCursor();
    where.push(`(h.rank, h.product_id) < (${list.param(cursor.value)}::int, ${list.param(cursor.id)}::uuid)`);
  }
  const join = list.filters.length > 0 ? ' join catalog_products p on p.platform_id = $1 and p.id = h.product_id' : '';
  return withCtes(list.ctes) + wholeProducts(
    `select h.product_id as id, h.rank as sort_value from search_hits h${join}
     ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by h.rank desc, h.product_id desc limit ${list.param(list.fetch)}`
  );
}

/** The best matches of the query's tokens and nothing else (catalog_search_page, migration 0006), as relevanceSortedSql orders them. */
function searchTopSql(tokens: readonly string[], list: ListSql, cursor: Cursor | undefined): string {
  if (cursor && typeof cursor.value !== 'number') throw invalidCursor();
  const { param } = list;
  // The keyset position is always bound (null on a first page), so every page is one statement text.
  const top = `catalog_search_page($1, ${param(tokens)}::text[], ${param(list.fetch)}::integer, ${param(cursor?.value ?? null)}::integer, ${param(cursor?.id ?? null)}::uuid)`;
  return wholeProducts(`select h.product_id as id, h.rank as sort_value from ${top} h`);
}

/**
 * By title in the requested language: a walk of catalog_product_titles_sort. In a translated language the
 * products with that translation (their rows under the locale) and those without (their main title,
 * locale '') are two ordered walks, merged; each stops after a page.
 */
function titleSortedSql(list: ListSql, locale: string | null, cursor: Cursor | undefined): string {
  const after: string[] = [];
  if (cursor) {
    if (typeof cursor.value !== 'string') throw invalidCursor();
    after.push(`(t.key, t.product_id) > (${list.param(cursor.value)}::text, ${list.param(cursor.id)}::uuid)`);
  }
  const join = list.filters.length > 0 ? ' join catalog_products p on p.platform_id = $1 and p.id = t.product_id' : '';
  const fetch = list.param(list.fetch);
  const walk = (localeSql: string, extra: string[]) =>
    `(select t.product_id as id, t.key as sort_value from catalog_product_titles t${join}
      where ${['t.platform_id = $1', `t.locale = ${localeSql}`, 't.published', ...extra, ...list.filters, ...searched(list, 't.product_id'), ...after].join(' and ')}
      order by t.key, t.product_id limit ${fetch})`;
  if (locale === null) return withCtes(list.ctes) + wholeProducts(walk(`''`, []));
  const localeParam = list.param(locale);
  const untranslated = `not exists (select 1 from catalog_product_titles o where o.platform_id = $1 and o.product_id = t.product_id and o.locale = ${localeParam})`;
  return withCtes(list.ctes) + wholeProducts(
    `select * from (${walk(localeParam, [])} union all ${walk(`''`, [untranslated])}) merged order by sort_value, id limit ${fetch}`
  );
}

/**
 * A price-sorted page that the price index serves: products priced in the currency come first, read in
 * (min_amount, id) order from catalog_product_prices_sort, then the unpriced ones by id, asked for only
 * when the priced ones do not fill the page. Their sort value is a sentinel past every price, so one
 * keyset cursor (value, id) walks both parts, as the single "coalesce(min_amount, sentinel)" order did.
 */
function priceSortedSql(sort: 'price_asc' | 'price_desc', list: ListSql, cursor: Cursor | undefined, currency: string): string {
  const asc = sort === 'price_asc';
  const dir = asc ? 'asc' : 'desc';
  const op = asc ? '>' : '<';
  const unpriced = asc ? NO_PRICE_HIGH : '-1';
  const where = ['p.platform_id = $1', `p.status = 'published'`, ...list.filters, ...searched(list, 'p.id')];
  const priced = [...where];
  const rest = [...where, `not exists (select 1 from catalog_product_prices pp where pp.platform_id = $1 and pp.product_id = p.id and pp.currency = ${currency})`];
  let pricedPart = true;
  if (cursor) {
    if (typeof cursor.value !== 'number') throw invalidCursor();
    if (String(cursor.value) === unpriced) {
      pricedPart = false;
      rest.push(`p.id ${op} ${list.param(cursor.id)}::uuid`);
    } else {
      // pp's own columns, so the comparison is a bound of the (platform, currency, min_amount, product)
      // index range rather than a filter on every row before the cursor.
      priced.push(`(pp.min_amount, pp.product_id) ${op} (${list.param(cursor.value)}::bigint, ${list.param(cursor.id)}::uuid)`);
    }
  }
  const limit = list.param(list.fetch);
  // Ids first, on narrow rows (the status check can be answered by the (platform, status, id) index);
  // only the page's products are then read whole.
  const pricedSql = `select pp.product_id as id, pp.min_amount as sort_value, 0 as part
       from catalog_product_prices pp join catalog_products p on p.platform_id = $1 and p.id = pp.product_id
       where pp.platform_id = $1 and pp.currency = ${currency} and ${priced.join(' and ')}
       order by pp.min_amount ${dir}, pp.product_id ${dir} limit ${limit}`;
  const restSql = `select p.id, ${unpriced}::bigint as sort_value, 1 as part
       from catalog_products p
       where ${rest.join(' and ')}${pricedPart ? ` and (select count(*) from priced) < ${limit}` : ''}
       order by p.id ${dir} limit ${limit}`;
  if (!pricedPart) return withCtes(list.ctes) + wholeProducts(restSql);
  return (
    withCtes([...list.ctes, `priced as (${pricedSql})`]) +
    wholeProducts(`select * from (select * from priced union all (${restSql})) ids order by part, sort_value ${dir}, id ${dir} limit ${limit}`)
  );
}

/** A published product by id or handle, or undefined. */
export async function getStoreProduct(
  pdb: PlatformDb,
  platform: Platform,
  idOrHandle: string,
  view: { locale: string; currency: string },
): Promise<StoreProduct | undefined> {
  const byId = isUuid(idOrHandle);
  const row = await pdb.maybeOne<StoreProductRow>(
    `select ${STORE_PRODUCT_COLUMNS} from catalog_products p
     where p.platform_id = $1 and p.status = 'published' and ${byId ? 'p.id = $2::uuid' : 'p.handle = $2'}`,
    [byId ? idOrHandle.toLowerCase() : idOrHandle],
  );
  return row && toStoreProduct(row, platform, view.locale, view.currency);
}

export interface SellableVariant {
  variantId: string;
  productId: string;
  productHandle: string;
  /** In the platform's default language. */
  productTitle: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  image: string | null;
  currency: string;
  price: number;
  compareAtPrice: number | null;
}

/**
 * The variants among variantIds that can be sold now in the currency: the product is published and the
 * variant has a price in that currency. Unknown, unpublished or unpriced ids are simply absent, so a
 * caller (cart, checkout) compares lengths to find what it cannot sell.
 */
export async function getSellableVariants(pdb: PlatformDb, variantIds: readonly string[], currency: string): Promise<SellableVariant[]> {
  const ids = variantIds.filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await pdb.query<{
    id: string;
    product_id: string;
    handle: string;
    product_title: string;
    sku: string;
    title: string;
    options: Record<string, string>;
    image: string | null;
    amount: number;
    compare_at_amount: number | null;
  }>(
    `select v.id, v.product_id, p.handle, p.title as product_title, v.sku, v.title, v.options, p.images ->> 0 as image,
       pr.amount, pr.compare_at_amount
     from catalog_variants v
     join catalog_products p on p.platform_id = $1 and p.id = v.product_id
     join catalog_prices pr on pr.platform_id = $1 and pr.variant_id = v.id and pr.currency = $3
     where v.platform_id = $1 and v.id = any($2::uuid[]) and p.status = 'published'`,
    [ids, currency],
  );
  return rows.map((r) => ({
    variantId: r.id,
    productId: r.product_id,
    productHandle: r.handle,
    productTitle: r.product_title,
    sku: r.sku,
    title: r.title,
    options: r.options,
    image: r.image,
    currency,
    price: r.amount,
    compareAtPrice: r.compare_at_amount,
  }));
}

/** The published products among ids, by id (ids not published on this platform are absent), in one query. */
export async function getStoreProducts(
  pdb: PlatformDb,
  platform: Platform,
  ids: readonly string[],
  view: { locale: string; currency: string },
): Promise<Map<string, StoreProduct>> {
  const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return new Map();
  const rows = await pdb.query<StoreProductRow>(
    `select ${STORE_PRODUCT_COLUMNS} from catalog_products p
     where p.platform_id = $1 and p.status = 'published' and p.id = any($2::uuid[])`,
    [wanted],
  );
  return new Map(rows.map((row) => [row.id, toStoreProduct(row, platform, view.locale, view.currency)]));
}
