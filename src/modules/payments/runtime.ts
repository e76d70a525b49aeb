// What the payments module keeps per running Souk: this installation's provider instances, the refund
// worker and the dependencies the routes and handlers share. Made once by the kernel (createRuntime);
// the worker's sweep starts with the module and stops with it.
import type { ModuleContext } from '../../kernel/context.ts';
import type { PaymentsDeps } from './deps.ts';
import { ordersService } from '../orders/service.ts';
import { createProviders, type PaymentProvider } from './provider.ts';
import { RefundWorker } from './worker.ts';

export interface PaymentsRuntime {
  deps: PaymentsDeps;
  worker: RefundWorker;
  /** Provider instances of this Souk by name (registerPaymentProvider adds kinds before start). */
  providers: ReadonlyMap<string, PaymentProvider>;
}

export async function createPaymentsRuntime(ctx: ModuleContext): Promise<PaymentsRuntime> {
  const providers = await createProviders(ctx);
  const worker = new RefundWorker(ctx);
  const deps: PaymentsDeps = {
    ctx,
    orders: ordersService(ctx),
    provider: (name) => providers.get(name),
    kickRefunds: (platformId, refundIds) => worker.kick(deps, platformId, refundIds),
  };
  return { deps, worker, providers };
}
