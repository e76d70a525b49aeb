// The SQL that reads whole products in one statement (variants, prices and categories aggregated as
// JSON sub-selects, so a page of products is one round trip), and the mapping of those rows to the
// storefront and admin shapes. Timestamps are formatted in SQL so both engines give the same strings.
import type { Platform } from '../../kernel/context.ts';
import { localized, type Translations } from './locale.ts';
import type { AdminProduct, OptionDefinition, ProductVideo, StoreProduct } from './schemas.ts';

/** ISO-8601 UTC text of a timestamptz, identical on PostgreSQL and PGlite whatever the session zone. */
export const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * What refreshDerived keeps on each product row for the storefront (alias p, $1 the platform): its
 * variants with their price in every currency, and its category handles in display order. Migration
 * 0003 filled them once with the same expressions.
 */
export const STORE_VARIANTS_SQL = `coalesce((select jsonb_agg(jsonb_build_object('id', v.id, 'sku', v.sku, 'title', v.title, 'options', v.options,
      'prices', coalesce((select jsonb_object_agg(pr.currency, jsonb_build_array(pr.amount, pr.compare_at_amount))
        from catalog_prices pr where pr.platform_id = $1 and pr.variant_id = v.id), '{}'::jsonb)) order by v.position, v.id)
    from catalog_variants v where v.platform_id = $1 and v.product_id = p.id), '[]'::jsonb)`;

export const STORE_CATEGORIES_SQL = `coalesce((select jsonb_agg(c.handle order by c.position, c.handle)
    from catalog_product_categories pc
    join catalog_categories c on c.platform_id = $1 and c.id = pc.category_id
    where pc.platform_id = $1 and pc.product_id = p.id), '[]'::jsonb)`;

/**
 * Columns of a storefront product (alias p). One row per product, no sub-selects and no join: variants
 * (with every currency's prices, from which the price range comes) and categories are kept on the row.
 */
export const STORE_PRODUCT_COLUMNS = `p.id, p.handle, p.title, p.description, p.translations, p.images, p.options, p.tags,
  p.attributes, p.video, p.store_variants, p.store_categories as categories`;

/**
 * The same product as its card (alias c, catalog_store_cards, migration 0008): the id and one json
 * document holding the other fields of StoreProductRow, which PostgreSQL sends without printing each
 * jsonb column. fromStoreCard turns it back into a StoreProductRow.
 */
export const STORE_CARD_COLUMNS = 'c.product_id as id, c.doc';

export interface StoreCardRow {
  id: string;
  doc: Omit<StoreProductRow, 'id'>;
}

export const fromStoreCard = <R extends StoreCardRow>({ id, doc, ...rest }: R): StoreProductRow & Omit<R, 'id' | 'doc'> => ({ id, ...doc, ...rest });

/** A variant as kept in catalog_products.store_variants: prices by currency, [amount, compare-at]. */
interface StoredVariant {
  id: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  prices: Record<string, [number, number | null]>;
}

export interface StoreProductRow {
  id: string;
  handle: string;
  title: string;
  description: string;
  translations: Translations;
  images: string[];
  options: OptionDefinition[];
  tags: string[];
  attributes: Record<string, unknown>;
  video: ProductVideo | null;
  store_variants: StoredVariant[];
  categories: string[];
}

/** The lowest and highest variant price in the currency (what catalog_product_prices keeps for sorting), or null. */
function priceRange(variants: readonly StoredVariant[], currency: string): { min: number; max: number } | null {
  let range: { min: number; max: number } | null = null;
  for (const v of variants) {
    const amount = v.prices[currency]?.[0];
    if (amount === undefined) continue;
    range = range ? { min: Math.min(range.min, amount), max: Math.max(range.max, amount) } : { min: amount, max: amount };
  }
  return range;
}

export function toStoreProduct(row: StoreProductRow, platform: Platform, locale: string, currency: string): StoreProduct {
  const { defaultLocale } = platform;
  return {
    id: row.id,
    handle: row.handle,
    title: localized(row.title, row.translations, 'title', locale, defaultLocale),
    description: localized(row.description, row.translations, 'description', locale, defaultLocale),
    locale,
    currency,
    images: row.images,
    categories: row.categories,
    options: row.options,
    tags: row.tags,
    attributes: row.attributes,
    video: row.video,
    priceRange: priceRange(row.store_variants, currency),
    // Without a price in this currency a variant is listed with price null (it cannot be bought here).
    variants: row.store_variants.map((v) => {
      const price = v.prices[currency];
      return { id: v.id, sku: v.sku, title: v.title, options: v.options, price: price?.[0] ?? null, compareAtPrice: price?.[1] ?? null };
    }),
  };
}

/** Columns of an admin product (alias p); $1 is the platform. Every price in every currency. */
export const ADMIN_PRODUCT_COLUMNS = `p.id, p.handle, p.status, p.title, p.description, p.translations, p.options, p.images,
  p.tags, p.attributes, p.video, ${iso('p.published_at')} as published_at, ${iso('p.created_at')} as created_at,
  ${iso('p.updated_at')} as updated_at,
  coalesce((select json_agg(json_build_object('id', c.id, 'handle', c.handle) order by c.position, c.handle)
    from catalog_product_categories pc
    join catalog_categories c on c.platform_id = $1 and c.id = pc.category_id
    where pc.platform_id = $1 and pc.product_id = p.id), '[]') as categories,
  coalesce((select json_agg(json_build_object('id', v.id, 'productId', v.product_id, 'sku', v.sku, 'title', v.title,
      'options', v.options, 'position', v.position, 'createdAt', ${iso('v.created_at')}, 'updatedAt', ${iso('v.updated_at')},
      'prices', coalesce((select json_agg(json_build_object('currency', pr.currency, 'amount', pr.amount,
          'compareAtAmount', pr.compare_at_amount) order by pr.currency)
        from catalog_prices pr where pr.platform_id = $1 and pr.variant_id = v.id), '[]')) order by v.position, v.id)
    from catalog_variants v where v.platform_id = $1 and v.product_id = p.id), '[]') as variants`;

export interface AdminProductRow {
  id: string;
  handle: string;
  status: AdminProduct['status'];
  title: string;
  description: string;
  translations: AdminProduct['translations'];
  options: OptionDefinition[];
  images: string[];
  tags: string[];
  attributes: Record<string, unknown>;
  video: ProductVideo | null;
  published_at: string | null;
  created_at: string;
  updated_at: string;
  categories: AdminProduct['categories'];
  variants: AdminProduct['variants'];
}

export function toAdminProduct(row: AdminProductRow): AdminProduct {
  return {
    id: row.id,
    handle: row.handle,
    status: row.status,
    title: row.title,
    description: row.description,
    translations: row.translations,
    options: row.options,
    images: row.images,
    tags: row.tags,
    attributes: row.attributes,
    video: row.video,
    categories: row.categories,
    variants: row.variants,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
