// The catalog's public service surface for other modules (cart, checkout, imports, demo seeding).
// Other modules call these; they never read catalog tables themselves.
export {
  addVariant,
  archiveProduct,
  bulkUpsertProducts,
  createProduct,
  deleteVariant,
  getAdminProduct,
  listAdminProducts,
  updateProduct,
  updateVariant,
} from './products.ts';
export { createCategory, deleteCategory, getCategory, getCategoryTree, listCategories, updateCategory } from './categories.ts';
export { getSellableVariants, getStoreProduct, getStoreProducts, listStoreProducts, type SellableVariant, type StoreListQuery } from './store.ts';
export { getVariantRefs, type VariantRef } from './variant-refs.ts';
export { getProductCategoryIds } from './product-categories.ts';
export { unknownCatalogIds, type CatalogRefs, type UnknownCatalogRefs } from './known-ids.ts';
export { invalidateCatalog } from './cache.ts';
export type { AdminCategory, AdminProduct, AdminVariant, BulkInput, BulkResult, ProductInput, StoreProduct } from './schemas.ts';
export { resolveCurrency, resolveLocale } from './locale.ts';
export { LocaleCurrencyQuery, StoreProduct as StoreProductSchema } from './schemas.ts';
export * from './events.ts';
