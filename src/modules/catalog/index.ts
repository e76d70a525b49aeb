// The catalog module: categories, products, variants and prices; storefront reads and admin writes.
import type { SoukModule } from '../../kernel/context.ts';
import { catalogDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { demoImageRoutes } from './demo-images.ts';
import { catalogSettingsSchema, MODULE_NAME } from './settings.ts';
import { createCatalogRuntime, startCatalog, stopCatalog, type CatalogRuntime } from './runtime.ts';

export const catalogModule: SoukModule<CatalogRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Products with options, variants and prices per currency, a category tree, search and bulk import.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: [
    'catalog_categories',
    'catalog_products',
    'catalog_product_categories',
    'catalog_variants',
    'catalog_prices',
    'catalog_product_prices',
    'catalog_search_tokens',
    'catalog_product_titles',
    'catalog_store_cards',
  ],
  settingsSchema: catalogSettingsSchema,
  openapi: catalogDocs,
  createRuntime: createCatalogRuntime,
  start: startCatalog,
  stop: (_ctx, rt) => stopCatalog(rt),
  routes(app, ctx, { cache }) {
    storeRoutes(app, ctx, cache);
    adminRoutes(app, ctx);
    demoImageRoutes(app);
  },
};

export * from './service.ts';
