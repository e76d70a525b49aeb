// The cart module's definition, apart from index.ts so that the service can name the module whose
// runtime it reads (index.ts re-exports the service, which would make a loop).
import type { SoukModule } from '../../kernel/context.ts';
import { cartDocs } from './openapi.ts';
import { storeRoutes } from './routes.ts';
import { createCartRuntime, type CartRuntime } from './runtime.ts';
import { MODULE_NAME, cartSettingsSchema } from './settings.ts';

export const cartModule: SoukModule<CartRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Guest and customer carts, shipping methods and tax per platform, totals computed server-side.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['carts', 'cart_lines'],
  settingsSchema: cartSettingsSchema,
  openapi: cartDocs,
  createRuntime: createCartRuntime,
  routes(app, ctx, runtime) {
    storeRoutes(app, ctx, runtime);
  },
};
