// The cart module: guest and customer carts with lines priced from the catalog, coupons previewed
// through promotions, shipping methods and tax from settings.cart (or a platform's own strategies), and
// totals computed on the server. Checkout (orders) uses the service's loadCartForCheckout / computeTotals
// / completeCart inside its transaction.
import type { SoukModule } from '../../kernel/context.ts';
import { cartDocs } from './openapi.ts';
import { storeRoutes } from './routes.ts';
import { MODULE_NAME, cartSettingsSchema } from './settings.ts';

export const cartModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Guest and customer carts, shipping methods and tax per platform, totals computed server-side.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['carts', 'cart_lines'],
  settingsSchema: cartSettingsSchema as unknown as Record<string, unknown>,
  openapi: cartDocs,
  routes(app, ctx) {
    storeRoutes(app, ctx);
  },
};

export * from './service.ts';
