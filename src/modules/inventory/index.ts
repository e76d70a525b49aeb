// The inventory module: stock per variant and location, reservations taken atomically at checkout
// (expiring by durable timer), admin adjustments with a ledger, and inventory.low / out_of_stock events.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_RESERVATION_EXPIRE } from './events.ts';
import { expireReservation } from './reservations.ts';
import { inventoryDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { MODULE_NAME, inventorySettingsSchema } from './settings.ts';

function subscribe(ctx: ModuleContext): void {
  // The timer fires once; the inbox makes a redelivered event a no-op, and the conditional status update
  // makes expiry lose cleanly to a commit or release that came first.
  ctx.events.subscribe('inventory.expiry', [EVENT_RESERVATION_EXPIRE], async (event, tx) => {
    if (!event.platformId) return;
    await expireReservation(tx.platform(event.platformId), event.payload.reservationId);
  });
}

export const inventoryModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Stock per variant and location, reservations with expiry, adjustments with a ledger, low-stock events.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['inventory_locations', 'inventory_levels', 'inventory_reservations', 'inventory_reservation_lines', 'inventory_ledger'],
  settingsSchema: inventorySettingsSchema,
  openapi: inventoryDocs,
  routes(app, ctx) {
    storeRoutes(app, ctx);
    adminRoutes(app, ctx);
  },
  subscribe,
};

export * from './service.ts';
