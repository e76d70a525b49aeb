// The flash-sales module: sales carved out of normal stock, a purchase hot path that decides in one atomic
// stock-gate step (in-process, or Redis Lua shared by every node) and writes only a ticket, a drain that
// turns tickets into orders at a steady rate, unpaid orders returning their units to the sale, the end
// timer, and reconciliation of the gate against the tickets.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_CANCELLED as ORDER_CANCELLED, EVENT_PAID as ORDER_PAID } from '../orders/events.ts';
import { DrainWorker } from './drain.ts';
import { EVENT_END } from './events.ts';
import { endSale } from './lifecycle.ts';
import { startHeartbeat } from './nodes.ts';
import { onOrderCancelled, onOrderPaid } from './returns.ts';
import { flashSaleDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { createFlashRuntime, type FlashRuntime } from './runtime.ts';
import { flashSalesSettingsSchema, MODULE_NAME } from './settings.ts';

function subscribe(ctx: ModuleContext, rt: FlashRuntime): void {

  // The end timer fires once; endSale locks the sale row and does nothing for a sale no longer scheduled.
  ctx.events.subscribe('flash-sales.end', [EVENT_END], async (event, tx) => {
    if (!event.platformId) return;
    await endSale(rt, tx, event.platformId, event.payload.saleId);
  });

  ctx.events.subscribe(
    'flash-sales.returns',
    [ORDER_CANCELLED, ORDER_PAID],
    async (event, tx) => {
      const platformId = event.platformId!; // forModule passes only events of a platform
      if (event.type === ORDER_PAID) await onOrderPaid(tx, platformId, event.payload.orderId);
      else await onOrderCancelled(rt, tx, platformId, event.payload.orderId, event.payload.reason);
    },
    { forModule: MODULE_NAME },
  );
}

export const flashSalesModule: SoukModule<FlashRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Flash sales: stock carved out, an in-memory or Redis stock gate on the hot path, orders drained behind it, unpaid units returned.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['flash_sales', 'flash_sale_items', 'flash_sale_tickets'],
  settingsSchema: flashSalesSettingsSchema,
  openapi: flashSaleDocs,
  dependsOn: ['orders', 'inventory', 'catalog'],
  async createRuntime(ctx) {
    const rt = await createFlashRuntime(ctx);
    // The drain runs where the event worker runs.
    if (ctx.config.eventsWorker) {
      const drain = new DrainWorker(rt);
      rt.drain = drain;
      rt.kickDrain = () => drain.kick();
    }
    return rt;
  },
  start(_ctx, rt) {
    rt.drain?.start();
    // Every node that takes units beats, and looks after nodes that stopped beating (nodes.ts).
    rt.heartbeat = startHeartbeat(rt);
  },
  async stop(_ctx, rt) {
    await rt.heartbeat?.stop();
    await rt.drain?.stop();
    await rt.close();
  },
  routes(app, ctx, rt) {
    storeRoutes(app, ctx, rt);
    adminRoutes(app, ctx, rt);
  },
  subscribe,
};

export { gateRiskHook, type FlashSaleRiskHook, type RiskDecision, type RiskInput } from './risk.ts';
export { reconcileSale } from './reconcile.ts';
export type { FlashRuntime } from './runtime.ts';
