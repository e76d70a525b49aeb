// What the payments service needs: the module context (databases, events, platforms, log), the orders
// module's exported service, the providers, and a way to have pending refunds sent after a commit.
import type { ModuleContext } from '../../kernel/context.ts';
import type { OrdersService } from '../orders/service.ts';
import type { PaymentProvider } from './provider.ts';

export interface PaymentsDeps {
  ctx: ModuleContext;
  orders: OrdersService;
  provider(name: string): PaymentProvider | undefined;
  /** Sends these pending refunds to their provider soon, outside any transaction (after the caller commits). */
  kickRefunds(platformId: string, refundIds: readonly string[]): void;
}
