// What the cart module keeps per running Souk: each platform's shipping and tax strategies (a platform
// may be given its own, see strategies.ts), and the services of the modules a cart reads — the catalog
// for prices and names, promotions for coupon previews — bound once to the module context.
import type { ModuleContext } from '../../kernel/context.ts';
import { catalogService, type CatalogService } from '../catalog/service.ts';
import { promotionsService, type PromotionsService } from '../promotions/service.ts';
import { CartStrategies } from './strategies.ts';

export interface CartRuntime {
  strategies: CartStrategies;
  catalog: CatalogService;
  promotions: PromotionsService;
}

export function createCartRuntime(ctx: ModuleContext): CartRuntime {
  return { strategies: new CartStrategies(), catalog: catalogService(ctx), promotions: promotionsService(ctx) };
}
