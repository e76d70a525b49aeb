// The catalog module: categories, products, variants and prices; storefront reads and admin writes.
import type { SoukModule } from '../../kernel/context.ts';
import { catalogDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { CATALOG_CHANNEL, catalogCache } from './cache.ts';
import { demoImageRoutes } from './demo-images.ts';

export const catalogModule: SoukModule = {
  name: 'catalog',
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
  ],
  settingsSchema: {
    type: 'object',
    properties: {
      defaultPageSize: { type: 'integer', minimum: 1, maximum: 100, description: 'Storefront page size when the request gives no limit' },
    },
    additionalProperties: false,
  },
  openapi: catalogDocs,
  routes(app, ctx) {
    storeRoutes(app, ctx);
    adminRoutes(app, ctx);
    demoImageRoutes(app);
    // On PostgreSQL several nodes cache storefront reads: each listens for the others' catalogue writes,
    // so the TTL is only the fallback for a lost notification.
    const listen = ctx.db.listen;
    if (listen) {
      let stop: (() => Promise<void>) | undefined;
      app.addHook('onReady', async () => {
        stop = await listen.call(ctx.db, CATALOG_CHANNEL, (platformId) => catalogCache.invalidate(platformId), () => catalogCache.invalidateAll());
      });
      app.addHook('onClose', async () => stop?.());
    }
  },
};

export * from './service.ts';
