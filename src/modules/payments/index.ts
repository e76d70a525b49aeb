// The payments module: a provider seam with the built-in sandbox (hosted pay page, HMAC-signed webhooks),
// payments applied once per provider event with forward-only status, captures that mark the order paid
// in the same transaction, and refunds sent to the provider outside any transaction.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_CANCELLED } from '../orders/events.ts';
import { registerPaymentProvider } from './provider.ts';
import { reserveOrderRemainder } from './refunds.ts';
import { paymentDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { createPaymentsRuntime, type PaymentsRuntime } from './runtime.ts';
import { createSandboxProvider, SANDBOX, type SandboxProvider } from './sandbox/provider.ts';
import { hostedPageRoutes } from './sandbox/routes.ts';
import { MODULE_NAME } from './settings.ts';

registerPaymentProvider(SANDBOX, createSandboxProvider);

function subscribe(ctx: ModuleContext, { deps }: PaymentsRuntime): void {
  // A cancelled order that had been paid gets back whatever its payments still hold. The refunds are
  // reserved in the handler's transaction (the inbox makes a redelivery a no-op, and the payment's
  // refunded_amount makes a second reservation impossible) and sent after it commits.
  ctx.events.subscribe(
    'payments.refund-on-cancel',
    [EVENT_CANCELLED],
    async (event, tx) => {
      const { orderId, reason } = event.payload;
      const platformId = event.platformId!; // forModule passes only events of a platform
      const refundIds = await reserveOrderRemainder(tx.platform(platformId), orderId, `order cancelled: ${reason}`.slice(0, 500));
      if (refundIds.length > 0) deps.kickRefunds(platformId, refundIds);
    },
    { forModule: MODULE_NAME },
  );
}

export const paymentsModule: SoukModule<PaymentsRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Payment providers (built-in sandbox with a hosted pay page and signed webhooks), captures and refunds.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['payments', 'payment_events', 'payment_refunds', 'payment_sandbox_intents', 'payment_sandbox_refunds'],
  openapi: paymentDocs,
  dependsOn: ['orders'],
  createRuntime: createPaymentsRuntime,
  // The sweep for refunds a crashed process left pending runs where the event worker runs.
  start(ctx, { deps, worker }) {
    if (ctx.config.eventsWorker) worker.startSweeping(deps, ctx.config.payments.refundSweepMs);
  },
  stop: (_ctx, { worker }) => worker.stop(),
  async routes(app, _ctx, { deps, worker, providers }) {
    storeRoutes(app, deps);
    adminRoutes(app, deps);
    const sandbox = providers.get(SANDBOX) as SandboxProvider;
    await app.register(async (scope) => hostedPageRoutes(scope, deps, sandbox, { closed: () => worker.closed, track: (p) => void worker.track(p) }));
  },
  subscribe,
};

export * from './service.ts';
