// The webhooks module: platforms register endpoints for event types; every matching event becomes a
// signed POST, retried with backoff, logged per attempt and replayable from the admin API.
//
// Events come in through the bus ('webhooks' consumer, all types): the handler only writes delivery
// rows, in the consumer's transaction, so nothing leaves the building before that commit and no HTTP
// call ever runs inside a transaction. The worker (worker.ts) sends them afterwards.
import type { DeliveredEventView, ModuleContext, SoukModule } from '../../kernel/context.ts';
import type { TxScope } from '../../kernel/db/scoped.ts';
import { queueEventDeliveries } from './deliveries.ts';
import { webhookDocs } from './openapi.ts';
import { webhookRoutes } from './routes.ts';
import { loadWebhookEnv, platformSettingsSchema } from './settings.ts';
import { MODULE_NAME, startWebhookWorker, stopWebhookWorker, webhookWorker } from './worker.ts';

/** After the consumer's transaction commits (a moment after the handler returns), wake the worker. */
const WAKE_AFTER_COMMIT_MS = [20, 300];

/** Only events of platforms with the module on reach the handler (the subscription's accepts filter). */
function platformUsesWebhooks(ctx: ModuleContext, event: DeliveredEventView): boolean {
  return event.platformId !== null && ctx.platforms.byId(event.platformId)?.modules.includes(MODULE_NAME) === true;
}

function fanOut(ctx: ModuleContext) {
  return async (event: DeliveredEventView, tx: TxScope): Promise<void> => {
    const platformId = event.platformId!;
    const queued = await queueEventDeliveries(tx.platform(platformId), {
      id: event.id,
      type: event.type,
      platformId,
      payload: event.payload,
      emittedAt: event.emittedAt,
      traceparent: event.traceparent,
    });
    const worker = webhookWorker(ctx);
    if (queued > 0 && worker) {
      for (const ms of WAKE_AFTER_COMMIT_MS) setTimeout(() => worker.nudge(platformId), ms).unref();
    }
  };
}

export const webhooksModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Outgoing webhooks: endpoints per event type, signed deliveries, retries with backoff, attempt log, replay.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'],
  settingsSchema: platformSettingsSchema as unknown as Record<string, unknown>,
  openapi: webhookDocs,
  routes(app, ctx) {
    webhookRoutes(app, ctx, loadWebhookEnv());
    // SoukModule has no stop hook: the app closing (first step of Souk.close, before the bus and the
    // database) stops this Souk's worker and hands back the claims of attempts it aborts.
    app.addHook('onClose', async () => stopWebhookWorker(ctx));
  },
  subscribe(ctx) {
    // Every type, but only for platforms that have the module on: other platforms' events cost nothing.
    ctx.events.subscribe('webhooks', ['*'], fanOut(ctx), { accepts: (event) => platformUsesWebhooks(ctx, event) });
    if (ctx.config.eventsWorker) startWebhookWorker(ctx, loadWebhookEnv());
  },
};

export { verifyWebhookSignature, type VerifyOptions } from './signature.ts';
export { webhookWorker, stopWebhookWorker } from './worker.ts';
export { WEBHOOK_ENV } from './settings.ts';
