// Storefront reads: published products only, localized, priced in one currency. Lists use keyset
// pagination on (sort value, id) so pages stay stable while the catalogue changes, and each page is a
// single statement (see views.ts).
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';
import { categoryWithDescendants, resolveCategoryRefs } from './categories.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { sqlLocale } from './locale.ts';
import type { Sort, StoreProduct } from './schemas.ts';
import { relevanceSql, searchFilterSql, searchPatterns } from './search.ts';
import { STORE_PRODUCT_COLUMNS, STORE_PRODUCT_FROM, toStoreProduct, type StoreProductRow } from './views.ts';
import { badAttributeFilter, invalidPriceRange, tooManyAttributeFilters } from './problems.ts';
import { invalidCursor } from '../../kernel/http/problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';
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

interface SortPlan {
  key: string;
  direction: 'asc' | 'desc';
  valueType: 'bigint' | 'text' | null;
}

function sortPlan(sort: Sort, localeParam: () => string, relevance: () => string | undefined): SortPlan {
  switch (sort) {
    case 'relevance': {
      // Without a query there is nothing to rank by: newest order.
      const rank = relevance();
      return rank ? { key: rank, direction: 'desc', valueType: 'bigint' } : { key: 'p.id', direction: 'desc', valueType: null };
    }
    case 'title':
      return { key: `lower(coalesce(nullif(p.translations -> ${localeParam()}::text ->> 'title', ''), p.title))`, direction: 'asc', valueType: 'text' };
    default:
      return { key: 'p.id', direction: 'desc', valueType: null };
  }
}

export async function listStoreProducts(
  pdb: PlatformDb,
  platform: Platform,
  query: StoreListQuery,
): Promise<{ items: StoreProduct[]; nextCursor: string | null }> {
  // A query ranks by relevance unless the client chose a sort.
  const sort = query.sort ?? (query.q?.trim() ? 'relevance' : 'newest');
  const limit = query.limit ?? 20;
  const { params, param } = sqlParams([query.currency]);
  const where = ['p.platform_id = $1', `p.status = 'published'`];

  if (query.category) {
    const resolved = await resolveCategoryRefs(pdb, [query.category]);
    const ids = await categoryWithDescendants(pdb, resolved.get(query.category) as string);
    where.push(
      `exists (select 1 from catalog_product_categories pc where pc.platform_id = $1 and pc.product_id = p.id and pc.category_id = any(${param(ids)}::uuid[]))`,
    );
  }
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
      throw invalidPriceRange(query.minPrice, query.maxPrice);
    }
    // A product matches when one of its variants costs within the range in this currency.
    where.push(
      `exists (select 1 from catalog_variants v join catalog_prices pr on pr.platform_id = $1 and pr.variant_id = v.id
        where v.platform_id = $1 and v.product_id = p.id and pr.currency = $2
          and pr.amount >= ${param(query.minPrice ?? 0)}::bigint and pr.amount <= ${param(query.maxPrice ?? Number(NO_PRICE_HIGH))}::bigint)`,
    );
  }
  for (const [key, values] of parseAttributeFilters(query.attribute)) {
    where.push(`p.attributes @> any(${param(containmentCandidates(key, values))}::jsonb[])`);
  }
  const patterns = searchPatterns(query.q);
  if (patterns.length > 0) where.push(searchFilterSql(patterns, param));

  const fetch = rowsToFetch(limit);
  const page = (rows: (StoreProductRow & { sort_value: number | string | null })[], valueOf: (row: { sort_value: number | string | null }) => number | string | null) =>
    takePage(
      rows,
      limit,
      (row) => toStoreProduct(row, platform, query.locale, query.currency),
      (last) => encodeCursor({ sort, value: valueOf(last), id: last.id }),
    );
  if (sort === 'price_asc' || sort === 'price_desc') {
    const rows = await pdb.query<StoreProductRow & { sort_value: number }>(priceSortedSql(sort, where, query.cursor, fetch, param), params);
    return page(rows, (row) => row.sort_value);
  }
  const plan = sortPlan(sort, () => param(sqlLocale(query.locale, platform.defaultLocale)), () => relevanceSql(query.q, param));
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor, sort);
    const op = plan.direction === 'asc' ? '>' : '<';
    if (plan.valueType === null) {
      where.push(`p.id ${op} ${param(cursor.id)}::uuid`);
    } else {
      const valueOk = plan.valueType === 'bigint' ? typeof cursor.value === 'number' : typeof cursor.value === 'string';
      if (!valueOk) throw invalidCursor();
      where.push(`(${plan.key}, p.id) ${op} (${param(cursor.value)}::${plan.valueType}, ${param(cursor.id)}::uuid)`);
    }
  }
  const order = plan.valueType === null ? `p.id ${plan.direction}` : `${plan.key} ${plan.direction}, p.id ${plan.direction}`;
  const outerOrder = plan.valueType === null ? `page.id ${plan.direction}` : `page.sort_value ${plan.direction}, page.id ${plan.direction}`;
  // The page's ids are chosen on narrow rows first; only its products are then read whole. A sort the
  // index cannot serve (title, relevance) otherwise carries every candidate's variants and translations
  // through the sort.
  const rows = await pdb.query<StoreProductRow & { sort_value: number | string }>(
    `select ${STORE_PRODUCT_COLUMNS}, page.sort_value
     from (select p.id, ${plan.valueType === null ? 'null' : plan.key} as sort_value
           from catalog_products p
           where ${where.join(' and ')}
           order by ${order}
           limit ${param(fetch)}) page
     join catalog_products p on p.platform_id = $1 and p.id = page.id
     left join catalog_product_prices pp on pp.platform_id = $1 and pp.product_id = p.id and pp.currency = $2
     order by ${outerOrder}`,
    params,
  );
  return page(rows, (row) => (plan.valueType === null ? null : row.sort_value));
}

/**
 * A price-sorted page that the price index serves: products priced in the currency come first, read in
 * (min_amount, id) order from catalog_product_prices_sort, then the unpriced ones by id, asked for only
 * when the priced ones do not fill the page. Their sort value is a sentinel past every price, so one
 * keyset cursor (value, id) walks both parts, as the single "coalesce(min_amount, sentinel)" order did.
 */
function priceSortedSql(sort: 'price_asc' | 'price_desc', where: readonly string[], rawCursor: string | undefined, fetch: number, param: (value: unknown) => string): string {
  const asc = sort === 'price_asc';
  const dir = asc ? 'asc' : 'desc';
  const op = asc ? '>' : '<';
  const unpriced = asc ? NO_PRICE_HIGH : '-1';
  const priced = [...where];
  const rest = [...where, 'pp.product_id is null'];
  let pricedPart = true;
  if (rawCursor) {
    const cursor = decodeCursor(rawCursor, sort);
    if (typeof cursor.value !== 'number') throw invalidCursor();
    if (String(cursor.value) === unpriced) {
      pricedPart = false;
      rest.push(`p.id ${op} ${param(cursor.id)}::uuid`);
    } else {
      priced.push(`(pp.min_amount, p.id) ${op} (${param(cursor.value)}::bigint, ${param(cursor.id)}::uuid)`);
    }
  }
  const limit = param(fetch);
  const pricedSql = `select ${STORE_PRODUCT_COLUMNS}, pp.min_amount as sort_value, 0 as part
       from catalog_product_prices pp join catalog_products p on p.platform_id = $1 and p.id = pp.product_id
       where pp.platform_id = $1 and pp.currency = $2 and ${priced.join(' and ')}
       order by pp.min_amount ${dir}, pp.product_id ${dir} limit ${limit}`;
  const restSql = `select ${STORE_PRODUCT_COLUMNS}, ${unpriced}::bigint as sort_value, 1 as part
       from ${STORE_PRODUCT_FROM}
       where ${rest.join(' and ')}${pricedPart ? ` and (select count(*) from priced) < ${limit}` : ''}
       order by p.id ${dir} limit ${limit}`;
  if (!pricedPart) return restSql;
  return `with priced as (${pricedSql})
     select * from (select * from priced union all (${restSql})) page
     order by part, sort_value ${dir}, id ${dir} limit ${limit}`;
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
    `select ${STORE_PRODUCT_COLUMNS} from ${STORE_PRODUCT_FROM}
     where p.platform_id = $1 and p.status = 'published' and ${byId ? 'p.id = $3::uuid' : 'p.handle = $3'}`,
    [view.currency, byId ? idOrHandle.toLowerCase() : idOrHandle],
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
    `select ${STORE_PRODUCT_COLUMNS} from ${STORE_PRODUCT_FROM}
     where p.platform_id = $1 and p.status = 'published' and p.id = any($3::uuid[])`,
    [view.currency, wanted],
  );
  return new Map(rows.map((row) => [row.id, toStoreProduct(row, platform, view.locale, view.currency)]));
}
