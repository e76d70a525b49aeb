// The orders module: idempotent checkout of a cart, the order state machine with its history, the
// unpaid-order timeout (a durable timer), and the storefront and admin order routes.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_PAYMENT_TIMEOUT } from './events.ts';
import { cancelOrder, lockOrder } from './lifecycle.ts';
import { orderDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { MODULE_NAME, ordersSettingsSchema } from './settings.ts';

function subscribe(ctx: ModuleContext): void {
  // The timer fires at least once; the status check under the row lock makes a repeat (or a payment
  // that won the race) a no-op, so an order is cancelled at most once.
  ctx.events.subscribe('orders.unpaid-timeout', [EVENT_PAYMENT_TIMEOUT], async (event, tx) => {
    const { orderId } = event.payload;
    if (!event.platformId) return;
    const pdb = tx.platform(event.platformId);
    const row = await lockOrder(pdb, orderId).catch(() => undefined);
    // A held order's timer is its review deadline: nobody approved it in time.
    if (row?.status === 'on_hold') await cancelOrder(ctx, pdb, orderId, { actor: 'system', reason: 'review_timeout' });
    if (row?.status !== 'pending_payment') return;
    await cancelOrder(ctx, pdb, orderId, { actor: 'system', reason: 'payment_timeout' });
  });
}

export const ordersModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Idempotent checkout, the order state machine with history, unpaid-order timeout.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['orders', 'order_lines', 'order_history', 'order_checkouts'],
  // A checkout's guest token, kept sealed for idempotent replays (checkout.ts); never plaintext.
  sealedColumns: [{ table: 'order_checkouts', column: 'access_token_sealed', key: ['platform_id', 'scope', 'idempotency_key'] }],
  settingsSchema: ordersSettingsSchema,
  openapi: orderDocs,
  routes(app, ctx) {
    storeRoutes(app, ctx);
    adminRoutes(app, ctx);
  },
  subscribe,
};
