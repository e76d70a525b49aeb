// The one place products, their category links, variants and prices are written. Create, update, add
// variant, update variant and the bulk import all come through applyProducts, so validation, SKU
// rules and the derived rows (search tokens, title keys, price ranges) cannot drift apart between them.
//
// Semantics: products are keyed by handle, variants by SKU. A field left out keeps its current value;
// a list given (categories, a variant's prices) replaces the current one. Rows whose values do not
// change are not written, which makes re-applying an import a no-op and lets it report what changed.
// Each kind of row is written by one set-based statement per call (jsonb_to_recordset), so a 500-product
// import is a dozen statements, not thousands.
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { resolveCategoryRefs } from './categories.ts';
import { checkAttributes, checkHandle, checkOptionNames, checkPrices, checkVariantOptions, duplicateSkuConflict } from './rules.ts';
import type { OptionDefinition, ProductInput, VariantInput } from './schemas.ts';
import { SEARCH_REFRESH_SQL } from './search.ts';
import { STORE_CATEGORIES_SQL, STORE_VARIANTS_SQL } from './views.ts';
import { duplicateProductHandle, importedHandleTaken, skuTaken, titleRequired, tooManyVariants } from './problems.ts';

const MAX_VARIANTS_PER_CALL = 5_000;

/** A product as written: like ProductInput, but the title may be left out for an existing product. */
export type ProductWrite = Omit<ProductInput, 'title'> & { title?: string };

export interface ApplyOptions {
  /** Creating: an existing handle is a conflict, not an update. */
  productsMustBeNew?: boolean;
  /** Creating variants: an existing SKU is a conflict even on the same product. */
  variantsMustBeNew?: boolean;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ApplyResult {
  products: Counts;
  variants: Counts;
  productIds: Map<string, string>;
  variantIds: Map<string, string>;
  /** Ids of the products this call created, and of those it changed, for their events. */
  createdProductIds: string[];
  updatedProductIds: string[];
}

function validateShape(platform: Platform, items: readonly ProductWrite[]): void {
  const handles = new Set<string>();
  const skus = new Set<string>();
  for (const item of items) {
    checkHandle(item.handle);
    if (handles.has(item.handle)) throw duplicateProductHandle(item.handle);
    handles.add(item.handle);
    checkAttributes(item.attributes, item.handle);
    if (item.options) checkOptionNames(item.options, item.handle);
    for (const variant of item.variants ?? []) {
      if (skus.has(variant.sku)) duplicateSkuConflict(variant.sku);
      skus.add(variant.sku);
      checkPrices(platform, variant.prices ?? [], variant.sku);
    }
  }
  if (skus.size > MAX_VARIANTS_PER_CALL) {
    throw tooManyVariants(MAX_VARIANTS_PER_CALL);
  }
}

export async function applyProducts(
  tx: PlatformDb,
  platform: Platform,
  items: readonly ProductWrite[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  validateShape(platform, items);
  const categoryIds = await resolveCategoryRefs(tx, items.flatMap((i) => i.categories ?? []));

  // Existing products, locked so two imports of the same handles serialise instead of interleaving.
  const existing = new Map(
    (
      await tx.query<{ id: string; handle: string; options: OptionDefinition[] }>(
        'select id, handle, options from catalog_products where platform_id = $1 and handle = any($2::text[]) for update',
        [items.map((i) => i.handle)],
      )
    ).map((r) => [r.handle, r]),
  );
  const productIds = new Map<string, string>();
  const newProducts: ProductWrite[] = [];
  for (const item of items) {
    const found = existing.get(item.handle);
    if (found && options.productsMustBeNew) {
      throw importedHandleTaken(item.handle);
    }
    if (!found && item.title === undefined) throw titleRequired(item.handle);
    productIds.set(item.handle, found?.id ?? newId());
    if (!found) newProducts.push(item);
  }

  // Existing variants of the SKUs named: a SKU is unique per platform, so it may only be updated on
  // the product that already has it.
  const allSkus = items.flatMap((i) => (i.variants ?? []).map((v) => v.sku));
  const existingVariants = new Map(
    (
      await tx.query<{ id: string; sku: string; product_id: string; handle: string }>(
        `select v.id, v.sku, v.product_id, p.handle from catalog_variants v
         join catalog_products p on p.platform_id = $1 and p.id = v.product_id
         where v.platform_id = $1 and v.sku = any($2::text[])`,
        [allSkus],
      )
    ).map((r) => [r.sku, r]),
  );
  const variantIds = new Map<string, string>();
  const newVariants: { productId: string; variant: VariantInput; position: number }[] = [];
  const updatedVariants: VariantInput[] = [];
  for (const item of items) {
    const productId = productIds.get(item.handle) as string;
    const productOptions = item.options ?? existing.get(item.handle)?.options ?? [];
    (item.variants ?? []).forEach((variant, index) => {
      checkVariantOptions(productOptions, variant.options ?? {}, variant.sku);
      const found = existingVariants.get(variant.sku);
      if (found && (options.variantsMustBeNew || found.product_id !== productId)) {
        throw skuTaken(variant.sku, found.handle);
      }
      variantIds.set(variant.sku, found?.id ?? newId());
      if (found) updatedVariants.push(variant);
      else newVariants.push({ productId, variant, position: variant.position ?? index });
    });
  }
  await checkStoredVariantOptions(tx, items, existing, productIds);

  const changedProducts = new Set<string>();
  const changedVariants = new Set<string>();
  const markVariant = (row: { variant_id: string; product_id: string }) => {
    changedVariants.add(row.variant_id);
    changedProducts.add(row.product_id);
  };

  await insertProducts(tx, newProducts, productIds);
  for (const id of await updateProducts(tx, items.filter((i) => existing.has(i.handle)), productIds)) changedProducts.add(id);
  for (const id of await replaceCategoryLinks(tx, items, productIds, categoryIds)) changedProducts.add(id);
  await insertVariants(tx, newVariants, variantIds);
  for (const row of await updateVariants(tx, updatedVariants, variantIds)) markVariant(row);
  for (const row of await replacePrices(tx, items, variantIds)) markVariant(row);

  const createdProductIds = newProducts.map((p) => productIds.get(p.handle) as string);
  for (const id of createdProductIds) changedProducts.delete(id);
  const createdVariantIds = new Set(newVariants.map((v) => variantIds.get(v.variant.sku) as string));
  for (const id of createdVariantIds) changedVariants.delete(id);
  // A product whose new variants arrived is changed too (unless it is new itself).
  for (const v of newVariants) if (!createdProductIds.includes(v.productId)) changedProducts.add(v.productId);

  const touched = [...changedProducts];
  if (touched.length > 0) {
    await tx.execute('update catalog_products set updated_at = now() where platform_id = $1 and id = any($2::uuid[])', [touched]);
  }
  await refreshDerived(tx, [...createdProductIds, ...touched]);

  const variantTotal = allSkus.length;
  return {
    products: {
      created: createdProductIds.length,
      updated: touched.length,
      unchanged: items.length - createdProductIds.length - touched.length,
    },
    variants: {
      created: newVariants.length,
      updated: changedVariants.size,
      unchanged: variantTotal - newVariants.length - changedVariants.size,
    },
    productIds,
    variantIds,
    createdProductIds,
    updatedProductIds: touched,
  };
}

/** When a product's options change, the variants it keeps must still fit them. */
async function checkStoredVariantOptions(
  tx: PlatformDb,
  items: readonly ProductWrite[],
  existing: Map<string, { id: string }>,
  productIds: Map<string, string>,
): Promise<void> {
  const changing = items.filter((i) => i.options && existing.has(i.handle));
  if (changing.length === 0) return;
  const stored = await tx.query<{ product_id: string; sku: string; options: Record<string, string> }>(
    'select product_id, sku, options from catalog_variants where platform_id = $1 and product_id = any($2::uuid[])',
    [changing.map((i) => productIds.get(i.handle))],
  );
  for (const item of changing) {
    const productId = productIds.get(item.handle);
    const overridden = new Map((item.variants ?? []).map((v) => [v.sku, v.options]));
    for (const row of stored) {
      if (row.product_id !== productId) continue;
      const options = overridden.get(row.sku) ?? row.options;
      checkVariantOptions(item.options ?? [], options, row.sku);
    }
  }
}

function productRecord(item: ProductWrite, id: string) {
  return {
    id,
    handle: item.handle,
    status: item.status,
    title: item.title,
    description: item.description,
    translations: item.translations,
    options: item.options,
    images: item.images,
    tags: item.tags,
    attributes: item.attributes,
  };
}

const PRODUCT_RECORDSET = `jsonb_to_recordset($2::jsonb) as r(id uuid, handle text, status text, title text, description text,
  translations jsonb, options jsonb, images jsonb, tags jsonb, attributes jsonb)`;

async function insertProducts(tx: PlatformDb, items: readonly ProductWrite[], ids: Map<string, string>): Promise<void> {
  if (items.length === 0) return;
  const records = items.map((item) => productRecord(item, ids.get(item.handle) as string));
  await tx.execute(
    `insert into catalog_products
       (platform_id, id, handle, status, title, description, translations, options, images, tags, attributes, published_at)
     select $1::uuid, r.id, r.handle, coalesce(r.status, 'draft'), r.title, coalesce(r.description, ''),
       coalesce(r.translations, '{}'::jsonb), coalesce(r.options, '[]'::jsonb), coalesce(r.images, '[]'::jsonb),
       array(select jsonb_array_elements_text(coalesce(r.tags, '[]'::jsonb))), coalesce(r.attributes, '{}'::jsonb),
       case when r.status = 'published' then now() end
     from ${PRODUCT_RECORDSET}`,
    [JSON.stringify(records)],
  );
}

/** Updates existing products where something differs; returns the ids that changed. */
async function updateProducts(tx: PlatformDb, items: readonly ProductWrite[], ids: Map<string, string>): Promise<string[]> {
  if (items.length === 0) return [];
  const records = items.map((item) => productRecord(item, ids.get(item.handle) as string));
  const next = {
    status: 'coalesce(r.status, p.status)',
    title: 'coalesce(r.title, p.title)',
    description: 'coalesce(r.description, p.description)',
    translations: 'coalesce(r.translations, p.translations)',
    options: 'coalesce(r.options, p.options)',
    images: 'coalesce(r.images, p.images)',
    tags: 'case when r.tags is null then p.tags else array(select jsonb_array_elements_text(r.tags)) end',
    attributes: 'coalesce(r.attributes, p.attributes)',
  };
  const columns = Object.keys(next);
  const rows = await tx.query<{ id: string }>(
    `update catalog_products p set
       ${columns.map((c) => `${c} = ${next[c as keyof typeof next]}`).join(',\n       ')},
       published_at = case when ${next.status} = 'published' then coalesce(p.published_at, now()) else p.published_at end,
       updated_at = now()
     from ${PRODUCT_RECORDSET}
     where p.platform_id = $1 and p.id = r.id
       and (${columns.map((c) => `p.${c}`).join(', ')}) is distinct from (${Object.values(next).join(', ')})
     returning p.id`,
    [JSON.stringify(records)],
  );
  return rows.map((r) => r.id);
}

/** Replaces the category links of products that list categories; returns products whose links changed. */
async function replaceCategoryLinks(
  tx: PlatformDb,
  items: readonly ProductWrite[],
  productIds: Map<string, string>,
  categoryIds: Map<string, string>,
): Promise<string[]> {
  const withCategories = items.filter((i) => i.categories !== undefined);
  if (withCategories.length === 0) return [];
  const ids = withCategories.map((i) => productIds.get(i.handle) as string);
  const links = withCategories.flatMap((item) =>
    [...new Set((item.categories ?? []).map((ref) => categoryIds.get(ref) as string))].map((categoryId) => ({
      product_id: productIds.get(item.handle),
      category_id: categoryId,
    })),
  );
  const linkJson = JSON.stringify(links);
  const removed = await tx.query<{ product_id: string }>(
    `delete from catalog_product_categories pc
     where pc.platform_id = $1 and pc.product_id = any($2::uuid[])
       and not exists (select 1 from jsonb_to_recordset($3::jsonb) as r(product_id uuid, category_id uuid)
                       where r.product_id = pc.product_id and r.category_id = pc.category_id)
     returning pc.product_id`,
    [ids, linkJson],
  );
  const added = await tx.query<{ product_id: string }>(
    `insert into catalog_product_categories (platform_id, product_id, category_id)
     select $1::uuid, r.product_id, r.category_id from jsonb_to_recordset($2::jsonb) as r(product_id uuid, category_id uuid)
     on conflict do nothing
     returning product_id`,
    [linkJson],
  );
  return [...removed, ...added].map((r) => r.product_id);
}

async function insertVariants(
  tx: PlatformDb,
  rows: readonly { productId: string; variant: VariantInput; position: number }[],
  variantIds: Map<string, string>,
): Promise<void> {
  if (rows.length === 0) return;
  const records = rows.map(({ productId, variant, position }) => ({
    id: variantIds.get(variant.sku),
    product_id: productId,
    sku: variant.sku,
    title: variant.title ?? '',
    options: variant.options ?? {},
    position,
  }));
  await tx.execute(
    `insert into catalog_variants (platform_id, id, product_id, sku, title, options, position)
     select $1::uuid, r.id, r.product_id, r.sku, r.title, r.options, r.position
     from jsonb_to_recordset($2::jsonb) as r(id uuid, product_id uuid, sku text, title text, options jsonb, position integer)`,
    [JSON.stringify(records)],
  );
}

async function updateVariants(
  tx: PlatformDb,
  variants: readonly VariantInput[],
  variantIds: Map<string, string>,
): Promise<{ variant_id: string; product_id: string }[]> {
  if (variants.length === 0) return [];
  const records = variants.map((v) => ({ id: variantIds.get(v.sku), title: v.title, options: v.options, position: v.position }));
  return tx.query(
    `update catalog_variants v set
       title = coalesce(r.title, v.title), options = coalesce(r.options, v.options),
       position = coalesce(r.position, v.position), updated_at = now()
     from jsonb_to_recordset($2::jsonb) as r(id uuid, title text, options jsonb, position integer)
     where v.platform_id = $1 and v.id = r.id
       and (v.title, v.options, v.position) is distinct from
           (coalesce(r.title, v.title), coalesce(r.options, v.options), coalesce(r.position, v.position))
     returning v.id as variant_id, v.product_id`,
    [JSON.stringify(records)],
  );
}

/** Replaces the prices of variants that list prices; returns the variants whose prices changed. */
async function replacePrices(
  tx: PlatformDb,
  items: readonly ProductWrite[],
  variantIds: Map<string, string>,
): Promise<{ variant_id: string; product_id: string }[]> {
  const variants = items.flatMap((i) => i.variants ?? []).filter((v) => v.prices !== undefined);
  if (variants.length === 0) return [];
  const ids = variants.map((v) => variantIds.get(v.sku) as string);
  const prices = JSON.stringify(
    variants.flatMap((v) =>
      (v.prices ?? []).map((p) => ({
        variant_id: variantIds.get(v.sku),
        currency: p.currency,
        amount: p.amount,
        compare_at_amount: p.compareAtAmount ?? null,
      })),
    ),
  );
  const removed = await tx.query<{ variant_id: string }>(
    `delete from catalog_prices pr
     where pr.platform_id = $1 and pr.variant_id = any($2::uuid[])
       and not exists (select 1 from jsonb_to_recordset($3::jsonb) as r(variant_id uuid, currency text)
                       where r.variant_id = pr.variant_id and r.currency = pr.currency)
     returning pr.variant_id`,
    [ids, prices],
  );
  const written = await tx.query<{ variant_id: string }>(
    `insert into catalog_prices (platform_id, variant_id, currency, amount, compare_at_amount)
     select $1::uuid, r.variant_id, r.currency, r.amount, r.compare_at_amount
     from jsonb_to_recordset($2::jsonb) as r(variant_id uuid, currency text, amount bigint, compare_at_amount bigint)
     on conflict (platform_id, variant_id, currency) do update
       set amount = excluded.amount, compare_at_amount = excluded.compare_at_amount
       where (catalog_prices.amount, catalog_prices.compare_at_amount)
             is distinct from (excluded.amount, excluded.compare_at_amount)
     returning variant_id`,
    [prices],
  );
  const changed = new Set([...removed, ...written].map((r) => r.variant_id));
  if (changed.size === 0) return [];
  return tx.query(
    'select id as variant_id, product_id from catalog_variants where platform_id = $1 and id = any($2::uuid[])',
    [[...changed]],
  );
}

/**
 * Rebuilds what the storefront reads instead of the source rows, for the given products: the variant
 * and category columns, the per-currency price ranges, the search tokens and the title sort keys.
 */
export async function refreshDerived(tx: PlatformDb, productIds: readonly string[]): Promise<void> {
  if (productIds.length === 0) return;
  const ids = [...new Set(productIds)];
  await tx.execute(
    `update catalog_products p set store_variants = ${STORE_VARIANTS_SQL}, store_categories = ${STORE_CATEGORIES_SQL}
     where p.platform_id = $1 and p.id = any($2::uuid[])`,
    [ids],
  );
  await tx.execute('delete from catalog_product_prices where platform_id = $1 and product_id = any($2::uuid[])', [ids]);
  // Each variant's prices by a lookup of its own ("offset 0" keeps the planner from turning the lateral
  // back into a join): as a plain join, statistics gathered while the table held one platform's rows
  // (platform_id "always the same value") made the planner scan every price in the table for a second
  // platform's few products, once per batch of an import (the dry-run bench: 10 times slower).
  await tx.execute(
    `insert into catalog_product_prices (platform_id, product_id, currency, min_amount, max_amount)
     select $1::uuid, v.product_id, pr.currency, min(pr.amount), max(pr.amount)
     from catalog_variants v
     cross join lateral (select p.currency, p.amount from catalog_prices p where p.platform_id = $1 and p.variant_id = v.id offset 0) pr
     where v.platform_id = $1 and v.product_id = any($2::uuid[])
     group by v.product_id, pr.currency`,
    [ids],
  );
  for (const statement of SEARCH_REFRESH_SQL) await tx.execute(statement, [ids]);
}
