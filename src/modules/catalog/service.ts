// The catalog's public service for other modules (cart, promotions, inventory, flash sales, wishlists,
// imports, demo seeding). Bind it once to the module context; other modules never read catalog tables themselves:
//
//   const catalog = catalogService(ctx);
//   const refs = await catalog.getVariantRefs(pdb, variantIds);              // any status, for names and checks
//   const sellable = await catalog.getSellableVariants(tx, ids, 'EUR');      // published and priced: the cart's prices
//   await catalog.bulkUpsertProducts(pdb, platform, { products });            // emits product events in its transaction
//
// Reads take any PlatformDb (the caller's transaction included); writes open their own transaction and
// emit catalog.product.* in it. Errors are HttpProblem (4xx).
import type { EventsApi, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { archiveProduct, bulkUpsertProducts, createProduct, getAdminProduct, productsPage, setProductVideo, updateProduct } from './products.ts';
import { listCategories } from './categories.ts';
import { getProductCategoryIds } from './product-categories.ts';
import { getSellableVariants, getStoreProduct, getStoreProducts, type SellableVariant } from './store.ts';
import { getVariantIdsBySku, getVariantRefs, type VariantRef } from './variant-refs.ts';
import { catalogHandlesOf, catalogIdsByHandle, unknownCatalogIds, type CatalogHandles, type CatalogRefs, type UnknownCatalogRefs } from './known-ids.ts';
import type { AdminCategory, AdminProduct, BulkInput, BulkResult, ProductInput, ProductPatch, ProductVideo, StoreProduct } from './schemas.ts';

/** What the catalog service needs: the event bus its writes emit on. A ModuleContext satisfies it. */
export interface CatalogDeps {
  events: Pick<EventsApi, 'emit' | 'emitMany'>;
}

export interface CatalogService {
  /** Variants by id with their product and status (archived and draft too); unknown ids are left out. */
  getVariantRefs(pdb: PlatformDb, variantIds: readonly string[]): Promise<VariantRef[]>;
  /** Variants a shopper may buy now: published, with a price in the currency. */
  getSellableVariants(pdb: PlatformDb, variantIds: readonly string[], currency: string): Promise<SellableVariant[]>;
  /** A published product by id or handle as the storefront shows it, or undefined. */
  getStoreProduct(pdb: PlatformDb, platform: Platform, idOrHandle: string, view: { locale: string; currency: string }): Promise<StoreProduct | undefined>;
  /** The published products among ids, by id (the others are absent), in one query. */
  getStoreProducts(pdb: PlatformDb, platform: Platform, ids: readonly string[], view: { locale: string; currency: string }): Promise<Map<string, StoreProduct>>;
  /** Each product's categories with their ancestors, for coupons scoped to a category. */
  getProductCategoryIds(pdb: PlatformDb, productIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Which of these product and category ids the platform does not have (an archived product exists). */
  unknownCatalogIds(pdb: PlatformDb, refs: CatalogRefs): Promise<UnknownCatalogRefs>;
  createProduct(pdb: PlatformDb, platform: Platform, input: ProductInput): Promise<AdminProduct>;
  updateProduct(pdb: PlatformDb, platform: Platform, productId: string, patch: ProductPatch): Promise<AdminProduct>;
  archiveProduct(pdb: PlatformDb, productId: string): Promise<AdminProduct>;
  /** A product of any status, as admins see it, or undefined. */
  getAdminProduct(pdb: PlatformDb, productId: string): Promise<AdminProduct | undefined>;
  /** Attaches a transcoded video to the product (null removes it); the storefront shows it. */
  setProductVideo(pdb: PlatformDb, productId: string, video: ProductVideo | null): Promise<void>;
  /** Creates or updates many products by handle (imports, demo seeding), all or none. */
  bulkUpsertProducts(pdb: PlatformDb, platform: Platform, input: BulkInput): Promise<BulkResult>;
  /** Variant ids by SKU, for the SKUs the platform has (imports that set stock by SKU). */
  getVariantIdsBySku(pdb: PlatformDb, skus: readonly string[]): Promise<Map<string, { variantId: string; productId: string }>>;
  /** Handles of product and category ids, and ids of handles (a coupon's scope carried between platforms). */
  catalogHandlesOf(pdb: PlatformDb, refs: CatalogRefs): Promise<CatalogHandles>;
  catalogIdsByHandle(pdb: PlatformDb, handles: { products?: readonly string[]; categories?: readonly string[] }): Promise<CatalogHandles>;
  /** Every category, ordered by position then handle. */
  listCategories(pdb: PlatformDb): Promise<AdminCategory[]>;
  /** Every product with its variants and prices in id order, a page after afterId (exports). */
  productsPage(pdb: PlatformDb, afterId: string | null, limit: number): Promise<AdminProduct[]>;
}

export function catalogService(deps: CatalogDeps): CatalogService {
  return {
    getVariantRefs,
    getSellableVariants,
    getStoreProduct,
    getStoreProducts,
    getProductCategoryIds,
    unknownCatalogIds,
    catalogHandlesOf,
    catalogIdsByHandle,
    createProduct: (pdb, platform, input) => createProduct(deps.events, pdb, platform, input),
    updateProduct: (pdb, platform, productId, patch) => updateProduct(deps.events, pdb, platform, productId, patch),
    archiveProduct: (pdb, productId) => archiveProduct(deps.events, pdb, productId),
    getAdminProduct,
    setProductVideo: (pdb, productId, video) => setProductVideo(deps.events, pdb, productId, video),
    bulkUpsertProducts: (pdb, platform, input) => bulkUpsertProducts(deps.events, pdb, platform, input),
    getVariantIdsBySku,
    listCategories,
    productsPage,
  };
}

export type { SellableVariant, StoreListQuery } from './store.ts';
export type { VariantRef } from './variant-refs.ts';
export type { CatalogHandles, CatalogRefs, UnknownCatalogRefs } from './known-ids.ts';
export type { AdminCategory, AdminProduct, AdminVariant, BulkInput, BulkResult, ProductInput, ProductVideo, StoreProduct } from './schemas.ts';
// What a module with storefront routes of its own (wishlists) needs to read a locale and currency the
// way the catalog does, and to describe products in its responses.
export { resolveCurrency, resolveLocale } from './locale.ts';
export { LocaleCurrencyQuery, StoreProduct as StoreProductSchema } from './schemas.ts';
export * from './events.ts';
// What imports check their rows against before writing: the same input schemas as the admin API.
export { CategoryInput as CategoryInputSchema, MAX_AMOUNT, ProductInput as ProductInputSchema } from './schemas.ts';
export type { CategoryInput } from './schemas.ts';
