// The SQL that reads whole products in one statement (variants, prices and categories aggregated as
// JSON sub-selects, so a page of products is one round trip), and the mapping of those rows to the
// storefront and admin shapes. Timestamps are formatted in SQL so both engines give the same strings.
import type { Platform } from '../../kernel/context.ts';
import { localized, type Translations } from './locale.ts';
import type { AdminProduct, OptionDefinition, ProductVideo, StoreProduct } from './schemas.ts';

/** ISO-8601 UTC text of a timestamptz, identical on PostgreSQL and PGlite whatever the session zone. */
export const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Columns of a storefront product (alias p, price range alias pp); $1 is the platform, $2 the currency.
 * Variants come with their price in that currency (null when they have none).
 */
export const STORE_PRODUCT_COLUMNS = `p.id, p.handle, p.title, p.description, p.translations, p.images, p.options, p.tags,
  p.attributes, p.video, pp.min_amount, pp.max_amount,
  coalesce((select json_agg(json_build_object('id', v.id, 'sku', v.sku, 'title', v.title, 'options', v.options,
      'price', pr.amount, 'compareAtPrice', pr.compare_at_amount) order by v.position, v.id)
    from catalog_variants v
    left join catalog_prices pr on pr.platform_id = $1 and pr.variant_id = v.id and pr.currency = $2
    where v.platform_id = $1 and v.product_id = p.id), '[]') as variants,
  coalesce((select json_agg(c.handle order by c.position, c.handle)
    from catalog_product_categories pc
    join catalog_categories c on c.platform_id = $1 and c.id = pc.category_id
    where pc.platform_id = $1 and pc.product_id = p.id), '[]') as categories`;

export const STORE_PRODUCT_FROM = `catalog_products p
  left join catalog_product_prices pp on pp.platform_id = $1 and pp.product_id = p.id and pp.currency = $2`;

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
  min_amount: number | null;
  max_amount: number | null;
  variants: StoreProduct['variants'];
  categories: string[];
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
    priceRange: row.min_amount === null || row.max_amount === null ? null : { min: row.min_amount, max: row.max_amount },
    variants: row.variants,
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
