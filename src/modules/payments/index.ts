// The payments module: a provider seam with the built-in sandbox (hosted pay page, HMAC-signed webhooks),
// payments applied once per provider event with forward-only status, captures that mark the order paid
// in the same transaction, and refunds sent to the provider outside any transaction.
import type { ModuleContext, SoukModule } from '../../kernel/context.ts';
import { EVENT_CANCELLED } from '../orders/service.ts';
import type { PaymentsDeps } from './deps.ts';
import { ordersPort } from './orders-port.ts';
import { paymentProvider, registerPaymentProvider, startProviders } from './provider.ts';
import { reserveOrderRemainder } from './refunds.ts';
import { paymentDocs } from './openapi.ts';
import { adminRoutes } from './routes-admin.ts';
import { storeRoutes } from './routes-store.ts';
import { createSandboxProvider, SANDBOX, type SandboxProvider } from './sandbox/provider.ts';
import { hostedPageRoutes } from './sandbox/routes.ts';
import { loadPaymentsEnv, MODULE_NAME } from './settings.ts';
import { RefundWorker } from './worker.ts';

registerPaymentProvider(SANDBOX, createSandboxProvider);

interface Runtime {
  deps: PaymentsDeps;
  worker: RefundWorker;
}

const runtimes = new WeakMap<ModuleContext, Runtime>();

function runtimeOf(ctx: ModuleContext): Runtime {
  let runtime = runtimes.get(ctx);
  if (!runtime) {
    const worker = new RefundWorker(ctx);
    const deps: PaymentsDeps = {
      ctx,
      orders: ordersPort(ctx),
      provider: (name) => paymentProvider(ctx, name),
      kickRefunds: (platformId, refundIds) => worker.kick(deps, platformId, refundIds),
    };
    runtime = { deps, worker };
    runtimes.set(ctx, runtime);
  }
  return runtime;
}

function subscribe(ctx: ModuleContext): void {
  const { deps, worker } = runtimeOf(ctx);
  // A cancelled order that had been paid gets back whatever its payments still hold. The refunds are
  // reserved in the handler's transaction (the inbox makes a redelivery a no-op, and the payment's
  // refunded_amount makes a second reservation impossible) and sent after it commits.
  ctx.events.subscribe(
    'payments.refund-on-cancel',
    [EVENT_CANCELLED],
    async (event, tx) => {
      const payload = event.payload as { orderId?: unknown; reason?: unknown } | null;
      if (!event.platformId || typeof payload?.orderId !== 'string') return;
      const reason = `order cancelled${typeof payload.reason === 'string' ? `: ${payload.reason}` : ''}`.slice(0, 500);
      const refundIds = await reserveOrderRemainder(tx.platform(event.platformId), payload.orderId, reason);
      if (refundIds.length > 0) deps.kickRefunds(event.platformId, refundIds);
    },
    { accepts: (event) => event.platformId !== null && ctx.platforms.byId(event.platformId)?.modules.includes(MODULE_NAME) === true },
  );
  if (ctx.config.eventsWorker) worker.startSweeping(deps, loadPaymentsEnv().refundSweepMs);
}

export const paymentsModule: SoukModule = {
  name: MODULE_NAME,
  core: false,
  description: 'Payment providers (built-in sandbox with a hosted pay page and signed webhooks), captures and refunds.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['payments', 'payment_events', 'payment_refunds', 'payment_sandbox_intents', 'payment_sandbox_refunds'],
  openapi: paymentDocs,
  async routes(app, ctx) {
    await startProviders(ctx);
    const { deps, worker } = runtimeOf(ctx);
    storeRoutes(app, deps);
    adminRoutes(app, deps);
    const sandbox = paymentProvider(ctx, SANDBOX) as SandboxProvider;
    await app.register(async (scope) => hostedPageRoutes(scope, deps, sandbox, { closed: () => worker.closed, track: (p) => void worker.track(p) }));
    app.addHook('onClose', async () => worker.stop());
  },
  subscribe,
};

export * from './service.ts';
