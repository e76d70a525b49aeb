// Admin-side product and variant services. Writes go through applyProducts (upsert.ts) inside one
// transaction and bump the platform's storefront cache generation once committed.
import type { EventsApi, Platform, SoukBatchedEvent } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { catalogChanged } from './cache.ts';
import { EVENT_PRODUCT_ARCHIVED, EVENT_PRODUCT_CREATED, EVENT_PRODUCT_UPDATED } from './events.ts';
import { upsertCategories } from './categories.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { checkHandle } from './rules.ts';
import type {
  AdminProduct,
  AdminProductsQuery,
  AdminVariant,
  BulkInput,
  BulkResult,
  ProductInput,
  ProductPatch,
  ProductVideo,
  VariantInput,
  VariantPatch,
} from './schemas.ts';
import { queryTokens, searchHitsCtes } from './search.ts';
import { applyProducts, refreshDerived } from './upsert.ts';
import { ADMIN_PRODUCT_COLUMNS, toAdminProduct, type AdminProductRow } from './views.ts';
import { productHandleTaken, productHasNoVariant, productNotFound, skuTaken } from './problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';


export async function getAdminProduct(pdb: PlatformDb, productId: string): Promise<AdminProduct | undefined> {
  const row = await pdb.maybeOne<AdminProductRow>(
    `select ${ADMIN_PRODUCT_COLUMNS} from catalog_products p where p.platform_id = $1 and p.id = $2`,
    [productId],
  );
  return row && toAdminProduct(row);
}

async function mustGetAdminProduct(pdb: PlatformDb, productId: string): Promise<AdminProduct> {
  const product = await getAdminProduct(pdb, productId);
  if (!product) throw productNotFound(productId);
  return product;
}

/** All statuses, newest first; optional status filter and text search. */
export async function listAdminProducts(
  pdb: PlatformDb,
  query: AdminProductsQuery,
): Promise<{ items: AdminProduct[]; nextCursor: string | null }> {
  const limit = query.limit ?? 20;
  const { params, param } = sqlParams();
  const where = ['p.platform_id = $1'];
  if (query.status) where.push(`p.status = ${param(query.status)}`);
  if (query.cursor) where.push(`p.id < ${param(decodeCursor(query.cursor, 'admin').id)}::uuid`);
  const searching = (query.q ?? '').trim() !== '';
  const tokens = queryTokens(query.q);
  if (searching && tokens.length === 0) return { items: [], nextCursor: null };
  const search = searching ? `with ${searchHitsCtes(tokens, param, true)}\n` : '';
  if (searching) where.push('p.id in (select product_id from search_hits)');
  const rows = await pdb.query<AdminProductRow>(
    `${search}select ${ADMIN_PRODUCT_COLUMNS} from catalog_products p where ${where.join(' and ')} order by p.id desc limit ${param(rowsToFetch(limit))}`,
    params,
  );
  return takePage(rows, limit, toAdminProduct, (last) => encodeCursor({ sort: 'admin', value: null, id: last.id }));
}

/** Every product in id order, all statuses, a page at a time (exports): pass the last id back as afterId. */
export async function productsPage(pdb: PlatformDb, afterId: string | null, limit: number): Promise<AdminProduct[]> {
  const rows = await pdb.query<AdminProductRow>(
    `select ${ADMIN_PRODUCT_COLUMNS} from catalog_products p where p.platform_id = $1 and ($2::uuid is null or p.id > $2) order by p.id limit $3`,
    [afterId, limit],
  );
  return rows.map(toAdminProduct);
}

/** The bus product events go through (ctx.events): it wakes the relay as soon as the write commits. */
export type CatalogBus = Pick<EventsApi, 'emit' | 'emitMany'>;

export async function createProduct(events: CatalogBus, pdb: PlatformDb, platform: Platform, input: ProductInput): Promise<AdminProduct> {
  const productId = await pdb.transaction(async (tx) => {
    const result = await applyProducts(tx, platform, [input], { productsMustBeNew: true, variantsMustBeNew: true });
    const id = result.productIds.get(input.handle) as string;
    await events.emit(tx, EVENT_PRODUCT_CREATED, { productId: id, handle: input.handle }, { key: id });
    return id;
  });
  await catalogChanged(pdb);
  return mustGetAdminProduct(pdb, productId);
}

/** Changes the fields given; `categories` replaces the product's categories. Variants have their own calls. */
export async function updateProduct(events: CatalogBus, pdb: PlatformDb, platform: Platform, productId: string, patch: ProductPatch): Promise<AdminProduct> {
  await pdb.transaction(async (tx) => {
    const current = await tx.maybeOne<{ handle: string }>(
      'select handle from catalog_products where platform_id = $1 and id = $2 for update',
      [productId],
    );
    if (!current) throw productNotFound(productId);
    const handle = patch.handle ?? current.handle;
    if (handle !== current.handle) {
      checkHandle(handle);
      const taken = await tx.maybeOne('select 1 from catalog_products where platform_id = $1 and handle = $2', [handle]);
      if (taken) throw productHandleTaken(handle);
      await tx.execute('update catalog_products set handle = $3, updated_at = now() where platform_id = $1 and id = $2', [productId, handle]);
    }
    await applyProducts(tx, platform, [{ ...patch, handle }]);
    await events.emit(tx, EVENT_PRODUCT_UPDATED, { productId, handle, fields: Object.keys(patch) }, { key: productId });
  });
  await catalogChanged(pdb);
  return mustGetAdminProduct(pdb, productId);
}

/** The product's video (the media module, once a clip is transcoded), or none; emits catalog.product_updated. */
export async function setProductVideo(events: CatalogBus, pdb: PlatformDb, productId: string, video: ProductVideo | null): Promise<void> {
  await pdb.transaction(async (tx) => {
    const row = await tx.maybeOne<{ handle: string }>(
      'update catalog_products set video = $3::jsonb, updated_at = now() where platform_id = $1 and id = $2 returning handle',
      [productId, video === null ? null : JSON.stringify(video)],
    );
    if (!row) throw productNotFound(productId);
    await events.emit(tx, EVENT_PRODUCT_UPDATED, { productId, handle: row.handle, fields: ['video'] }, { key: productId });
  });
  await catalogChanged(pdb);
}

/** Archived products leave the storefront but stay for order history and can be published again. */
export async function archiveProduct(events: CatalogBus, pdb: PlatformDb, productId: string): Promise<AdminProduct> {
  await pdb.transaction(async (tx) => {
    const archived = await tx.maybeOne<{ handle: string }>(
      `update catalog_products set status = 'archived', updated_at = now() where platform_id = $1 and id = $2 returning handle`,
      [productId],
    );
    if (!archived) throw productNotFound(productId);
    // Its search tokens and title keys carry the status, so the storefront's ranges skip it from now on.
    await refreshDerived(tx, [productId]);
    await events.emit(tx, EVENT_PRODUCT_ARCHIVED, { productId, handle: archived.handle }, { key: productId });
  });
  await catalogChanged(pdb);
  return mustGetAdminProduct(pdb, productId);
}

async function lockedProductHandle(tx: PlatformDb, productId: string): Promise<string> {
  const row = await tx.maybeOne<{ handle: string }>(
    'select handle from catalog_products where platform_id = $1 and id = $2 for update',
    [productId],
  );
  if (!row) throw productNotFound(productId);
  return row.handle;
}

function variantOf(product: AdminProduct, variantId: string): AdminVariant {
  const variant = product.variants.find((v) => v.id === variantId);
  if (!variant) throw productHasNoVariant(product.id, variantId);
  return variant;
}

export async function addVariant(pdb: PlatformDb, platform: Platform, productId: string, input: VariantInput): Promise<AdminVariant> {
  const variantId = await pdb.transaction(async (tx) => {
    const handle = await lockedProductHandle(tx, productId);
    const next = await tx.maybeOne<{ position: number }>(
      'select coalesce(max(position) + 1, 0)::int as position from catalog_variants where platform_id = $1 and product_id = $2',
      [productId],
    );
    const variant = { ...input, position: input.position ?? next?.position ?? 0 };
    const result = await applyProducts(tx, platform, [{ handle, variants: [variant] }], { variantsMustBeNew: true });
    return result.variantIds.get(input.sku) as string;
  });
  await catalogChanged(pdb);
  return variantOf(await mustGetAdminProduct(pdb, productId), variantId);
}

export async function updateVariant(
  pdb: PlatformDb,
  platform: Platform,
  productId: string,
  variantId: string,
  patch: VariantPatch,
): Promise<AdminVariant> {
  await pdb.transaction(async (tx) => {
    const handle = await lockedProductHandle(tx, productId);
    const current = await tx.maybeOne<{ sku: string }>(
      'select sku from catalog_variants where platform_id = $1 and id = $2 and product_id = $3',
      [variantId, productId],
    );
    if (!current) throw productHasNoVariant(productId, variantId);
    const sku = patch.sku ?? current.sku;
    if (sku !== current.sku) {
      const owner = await tx.maybeOne<{ handle: string }>(
        `select p.handle from catalog_variants v join catalog_products p on p.platform_id = $1 and p.id = v.product_id
         where v.platform_id = $1 and v.sku = $2`,
        [sku],
      );
      if (owner) throw skuTaken(sku, owner.handle);
      await tx.execute('update catalog_variants set sku = $3, updated_at = now() where platform_id = $1 and id = $2', [variantId, sku]);
      // The SKU is part of the search text even if nothing else changes.
      await refreshDerived(tx, [productId]);
    }
    await applyProducts(tx, platform, [{ handle, variants: [{ ...patch, sku }] }]);
  });
  await catalogChanged(pdb);
  return variantOf(await mustGetAdminProduct(pdb, productId), variantId);
}

export async function deleteVariant(pdb: PlatformDb, productId: string, variantId: string): Promise<void> {
  await pdb.transaction(async (tx) => {
    await lockedProductHandle(tx, productId);
    const { rowCount } = await tx.execute(
      'delete from catalog_variants where platform_id = $1 and id = $2 and product_id = $3',
      [variantId, productId],
    );
    if (rowCount === 0) throw productHasNoVariant(productId, variantId);
    await tx.execute('update catalog_products set updated_at = now() where platform_id = $1 and id = $2', [productId]);
    await refreshDerived(tx, [productId]);
  });
  await catalogChanged(pdb);
}

/**
 * Imports categories (by handle) and products (by handle, variants by SKU) in one transaction: either
 * everything applies or nothing does. Re-applying the same input changes nothing and reports it unchanged.
 */
export async function bulkUpsertProducts(events: CatalogBus, pdb: PlatformDb, platform: Platform, input: BulkInput): Promise<BulkResult> {
  const result = await pdb.transaction(async (tx) => {
    const categories = await upsertCategories(tx, input.categories ?? []);
    const applied = await applyProducts(tx, platform, input.products);
    // The same events as one-by-one creates and updates, so a bulk import is visible to webhooks and the log.
    const handles = new Map([...applied.productIds].map(([handle, id]) => [id, handle]));
    await events.emitMany(tx, [
      ...applied.createdProductIds.map((id): SoukBatchedEvent => ({ type: EVENT_PRODUCT_CREATED, payload: { productId: id, handle: handles.get(id) }, key: id })),
      ...applied.updatedProductIds.map((id): SoukBatchedEvent => ({ type: EVENT_PRODUCT_UPDATED, payload: { productId: id, handle: handles.get(id), fields: null }, key: id })),
    ]);
    return { categories, products: applied.products, variants: applied.variants };
  });
  await catalogChanged(pdb);
  return result;
}
