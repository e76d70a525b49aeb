// The flash-sales module: sales carved out of normal stock, a purchase hot path that decides in one atomic
// stock-gate step (in-process, or Redis Lua shared by every node) and writes only a ticket, a drain that
// turns tickets into orders at a steady rate, unpaid orders returning their units to the sale, the end
// timer, and reconciliation of the gate against the tickets.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_CANCELLED as ORDER_CANCELLED, EVENT_PAID as ORDER_PAID } from '../orders/service.ts';
import { DrainWorker } from './drain.ts';
import { endSale, EVENT_END } from './lifecycle.ts';
import { startHeartbeat } from './nodes.ts';
import { onOrderCancelled, onOrderPaid } from './returns.ts';
import { flashSaleDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { runtimeOf, startRuntime } from './runtime.ts';
import { flashSalesSettingsSchema, MODULE_NAME } from './settings.ts';

function subscribe(ctx: ModuleContext): void {
  const rt = runtimeOf(ctx);
  const accepts = (event: { platformId: string | null }) => event.platformId !== null && ctx.platforms.byId(event.platformId)?.modules.includes(MODULE_NAME) === true;

  // The end timer fires once; endSale locks the sale row and does nothing for a sale no longer scheduled.
  ctx.events.subscribe('flash-sales.end', [EVENT_END], async (event, tx) => {
    const saleId = (event.payload as { saleId?: unknown } | null)?.saleId;
    if (!event.platformId || typeof saleId !== 'string') return;
    await endSale(rt, tx, event.platformId, saleId);
  });

  ctx.events.subscribe(
    'flash-sales.returns',
    [ORDER_CANCELLED, ORDER_PAID],
    async (event, tx) => {
      const payload = event.payload as { orderId?: unknown; reason?: unknown } | null;
      if (!event.platformId || typeof payload?.orderId !== 'string') return;
      if (event.type === ORDER_PAID) await onOrderPaid(tx, event.platformId, payload.orderId);
      else await onOrderCancelled(rt, tx, event.platformId, payload.orderId, typeof payload.reason === 'string' ? payload.reason : 'cancelled');
    },
    { accepts },
  );
}

export const flashSalesModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Flash sales: stock carved out, an in-memory or Redis stock gate on the hot path, orders drained behind it, unpaid units returned.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['flash_sales', 'flash_sale_items', 'flash_sale_tickets'],
  settingsSchema: flashSalesSettingsSchema as unknown as Record<string, unknown>,
  openapi: flashSaleDocs,
  async routes(app, ctx) {
    const rt = await startRuntime(ctx);
    storeRoutes(app, ctx);
    adminRoutes(app, ctx);
    // The drain runs where the event worker runs, so `souk start` and the tests start and stop it with the app.
    const worker = ctx.config.eventsWorker ? new DrainWorker(rt) : undefined;
    if (worker) {
      rt.kickDrain = () => worker.kick();
      app.addHook('onReady', async () => worker.start());
    }
    // Every node that takes units beats, and looks after nodes that stopped beating (nodes.ts).
    let heartbeat: ReturnType<typeof startHeartbeat> | undefined;
    app.addHook('onReady', async () => {
      heartbeat = startHeartbeat(rt);
    });
    app.addHook('onClose', async () => {
      await heartbeat?.stop();
      await worker?.stop();
      await rt.close();
    });
  },
  subscribe,
};

export { setFlashSaleRiskHook, type FlashSaleRiskHook, type RiskDecision, type RiskInput } from './risk.ts';
export { reconcileSale } from './reconcile.ts';
export { runtimeOf as flashSalesRuntime } from './runtime.ts';
