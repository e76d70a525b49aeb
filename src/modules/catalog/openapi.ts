// Operation ids, descriptions and problem codes of the catalog routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}';

/** What the product write path (upsert.ts, rules.ts) checks for every product and variant it writes. */
const VARIANT_WRITE = ['currency_not_supported', 'duplicate_currency', 'invalid_variant_options'];
const PRODUCT_WRITE = {
  400: [...VARIANT_WRITE, 'attributes_too_large', 'duplicate_option', 'invalid_handle', 'title_required', 'too_many_variants', 'unknown_category'],
  409: ['duplicate_sku', 'handle_taken', 'sku_taken'],
};
const CATEGORY_WRITE = { 400: ['category_cycle', 'invalid_handle', 'unknown_category'], 409: ['handle_taken'] };

export const catalogDocs: OperationDocs = {
  'GET /store/products': {
    operationId: 'listStoreProducts',
    description: 'Published products in the shopper\'s locale and currency, with filters (category, price range, `attribute=key:value`), full-text search `q`, a sort and cursor pagination. Answers are cached briefly per platform.',
    problems: { 400: ['currency_not_supported', 'invalid_attribute_filter', 'invalid_cursor', 'invalid_price_range', 'unknown_category'] },
  },
  'GET /store/products/{idOrHandle}': {
    operationId: 'getStoreProduct',
    description: 'One published product by id or handle, with its variants and their prices in the requested (or default) currency and texts in the requested locale.',
    problems: { 400: ['currency_not_supported'], 404: ['product_not_found'] },
  },
  'GET /store/categories': {
    operationId: 'getCategoryTree',
    description: 'The platform\'s category tree, names in the requested locale, for storefront navigation.',
  },
  [`GET ${base}/products`]: {
    operationId: 'listProducts',
    description: 'Products in every status (draft, published, archived), newest first, filtered by status or search; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`POST ${base}/products`]: {
    operationId: 'createProduct',
    description: 'Creates a product with its options, variants, prices per currency, categories and translations. Handles and SKUs must be new on the platform.',
    problems: PRODUCT_WRITE,
  },
  [`POST ${base}/products/bulk`]: {
    operationId: 'bulkUpsertProducts',
    description: 'Imports up to 500 products in one transaction: products matched by handle and variants by SKU are updated, the rest created, and categories named are created on the way. All or nothing.',
    problems: { 400: PRODUCT_WRITE[400], 409: [...PRODUCT_WRITE[409], 'duplicate_handle'] },
  },
  [`GET ${base}/products/{productId}`]: {
    operationId: 'getProduct',
    description: 'One product in any status with every variant, price, category and translation.',
    problems: { 404: ['product_not_found'] },
  },
  [`PATCH ${base}/products/{productId}`]: {
    operationId: 'updateProduct',
    description: 'Changes a product\'s fields; fields left out stay, categories and translations given replace the current ones.',
    problems: { ...PRODUCT_WRITE, 404: ['product_not_found'] },
  },
  [`POST ${base}/products/{productId}/archive`]: {
    operationId: 'archiveProduct',
    description: 'Archives a product: it leaves the storefront but stays in orders and the admin.',
    problems: { 404: ['product_not_found'] },
  },
  [`POST ${base}/products/{productId}/variants`]: {
    operationId: 'createVariant',
    description: 'Adds a variant (SKU, option values, prices) to a product.',
    problems: { 400: VARIANT_WRITE, 404: ['product_not_found'], 409: ['duplicate_sku', 'sku_taken'] },
  },
  [`PATCH ${base}/products/{productId}/variants/{variantId}`]: {
    operationId: 'updateVariant',
    description: 'Changes a variant\'s SKU, title, option values, position or prices; prices given replace all its prices.',
    problems: { 400: VARIANT_WRITE, 404: ['product_not_found', 'variant_not_found'], 409: ['sku_taken'] },
  },
  [`DELETE ${base}/products/{productId}/variants/{variantId}`]: {
    operationId: 'deleteVariant',
    description: 'Deletes a variant with its prices.',
    problems: { 404: ['product_not_found', 'variant_not_found'] },
  },
  [`GET ${base}/categories`]: {
    operationId: 'listCategories',
    description: 'Every category of the platform, flat, each with its parentId.',
  },
  [`POST ${base}/categories`]: {
    operationId: 'createCategory',
    description: 'Creates a category, at the top level or under a parent given by id or handle.',
    problems: CATEGORY_WRITE,
  },
  [`GET ${base}/categories/{categoryId}`]: {
    operationId: 'getCategory',
    description: 'One category with its translations.',
    problems: { 404: ['category_not_found'] },
  },
  [`PATCH ${base}/categories/{categoryId}`]: {
    operationId: 'updateCategory',
    description: 'Renames a category, moves it under another parent (never inside itself) or replaces its translations.',
    problems: { ...CATEGORY_WRITE, 404: ['category_not_found'] },
  },
  [`DELETE ${base}/categories/{categoryId}`]: {
    operationId: 'deleteCategory',
    description: 'Deletes a category that has no sub-categories; its products stay, no longer linked to it.',
    problems: { 404: ['category_not_found'], 409: ['category_has_children'] },
  },
  'GET /static/img/{file}': {
    operationId: 'getDemoImage',
    description: 'A placeholder picture (SVG) of a demo product, as referenced by the demo catalogue\'s image URLs.',
  },
};
