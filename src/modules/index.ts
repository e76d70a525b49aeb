// The modules of this build, in migration order: a module's tables may reference those before it.
import type { AnySoukModule } from '../kernel/context.ts';
import { platformsModule } from './platforms/index.ts';
import { accountsModule } from './accounts/index.ts';
import { catalogModule } from './catalog/index.ts';
import { inventoryModule } from './inventory/index.ts';
import { eventsModule, type EventBus } from './events/index.ts';
import { webhooksModule } from './webhooks/index.ts';
import { promotionsModule } from './promotions/index.ts';
import { cartModule } from './cart/index.ts';
import { ordersModule } from './orders/index.ts';
import { paymentsModule } from './payments/index.ts';
import { flashSalesModule } from './flash-sales/index.ts';
import { liveModule } from './live/index.ts';
import { mediaModule } from './media/index.ts';
import { wishlistsModule } from './wishlists/index.ts';
import { riskModule } from './risk/index.ts';
import { migrationModule } from './migration/index.ts';

export function allModules(bus: () => EventBus): AnySoukModule[] {
  const modules: AnySoukModule[] = [];
  modules.push(platformsModule(() => modules), accountsModule(), eventsModule(bus), catalogModule, inventoryModule, promotionsModule, cartModule, ordersModule, paymentsModule, flashSalesModule, webhooksModule, wishlistsModule, liveModule, mediaModule, riskModule, migrationModule);
  return modules;
}
