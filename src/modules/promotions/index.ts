// The promotions module: coupons (fixed or percentage, with a window, a minimum spend, product or
// category scope, a total budget and a per-customer allowance that hold under concurrency) and their
// redemptions, one per order. The cart and checkout use it through service.ts.
import type { SoukModule } from '../../kernel/context.ts';
import { promotionDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';

export const promotionsModule: SoukModule = {
  name: 'promotions',
  core: false,
  description: 'Coupons with fixed or percentage discounts, budgets and per-customer limits that hold under concurrency.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['promotions_coupons', 'promotions_redemptions'],
  openapi: promotionDocs,
  routes(app, ctx) {
    adminRoutes(app, ctx);
  },
};

export * from './service.ts';
