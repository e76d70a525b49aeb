// The webhooks module: platforms register endpoints for event types; every matching event becomes a
// signed POST, retried with backoff, logged per attempt and replayable from the admin API.
//
// Events come in through the bus ('webhooks' consumer, all types): the handler only writes delivery
// rows, in the consumer's transaction, so nothing leaves the building before that commit and no HTTP
// call ever runs inside a transaction. The worker (worker.ts) sends them afterwards.
import type { DeliveredEventView, SoukModule } from '../../kernel/context.ts';
import type { TxScope } from '../../kernel/db/scoped.ts';
import { queueEventDeliveries } from './deliveries.ts';
import { webhookDocs } from './openapi.ts';
import { webhookRoutes } from './routes.ts';
import { platformSettingsSchema } from './settings.ts';
import { createWebhooksRuntime, MODULE_NAME, type DeliveryWorker, type WebhooksRuntime } from './worker.ts';

/** After the consumer's transaction commits (a moment after the handler returns), wake the worker. */
const WAKE_AFTER_COMMIT_MS = [20, 300];

function fanOut(worker: DeliveryWorker | undefined) {
  return async (event: DeliveredEventView, tx: TxScope): Promise<void> => {
    const platformId = event.platformId!; // forModule passes only events of a platform
    const queued = await queueEventDeliveries(tx.platform(platformId), {
      id: event.id,
      type: event.type,
      platformId,
      payload: event.payload,
      emittedAt: event.emittedAt,
      traceparent: event.traceparent,
    });
    if (queued > 0 && worker) {
      for (const ms of WAKE_AFTER_COMMIT_MS) setTimeout(() => worker.nudge(platformId), ms).unref();
    }
  };
}

export const webhooksModule: SoukModule<WebhooksRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Outgoing webhooks: endpoints per event type, signed deliveries, retries with backoff, attempt log, replay.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'],
  // Signing secrets are sealed; versions before 0002 stored them in plaintext, sealed at the next start.
  sealedColumns: ['secret', 'previous_secret'].map((column) => ({ table: 'webhook_endpoints', column, key: ['platform_id', 'id'], sealPlaintextAtBoot: true })),
  settingsSchema: platformSettingsSchema,
  openapi: webhookDocs,
  dependsOn: ['events'],
  createRuntime: createWebhooksRuntime,
  start: (_ctx, { worker }) => worker?.start(),
  // Stops claiming and hands back the claims of attempts it aborts (after HTTP stops, before the bus and
  // the database close).
  stop: (_ctx, { worker }) => worker?.stop(),
  routes(app, ctx, runtime) {
    webhookRoutes(app, ctx, runtime);
  },
  subscribe(ctx, { worker }) {
    // Every type, but only for platforms that have the module on: other platforms' events cost nothing.
    ctx.events.subscribe('webhooks', ['*'], fanOut(worker), { forModule: MODULE_NAME });
  },
};

export { verifyWebhookSignature, type VerifyOptions } from './signature.ts';
export type { DeliveryWorker, WebhooksRuntime } from './worker.ts';
