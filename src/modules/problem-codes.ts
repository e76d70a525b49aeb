// Every problem code Souk can answer, by the module (or kernel) that names it, for tests and the API
// document. Each code is listed by exactly one owner; test/problem-codes.test.ts holds that.
import { gatewayProblemCodes } from '../gateway/problems.ts';
import { kernelProblemCodes } from '../kernel/http/problems.ts';
import { accountsProblemCodes } from './accounts/problems.ts';
import { cartProblemCodes } from './cart/problems.ts';
import { catalogProblemCodes } from './catalog/problems.ts';
import { eventsProblemCodes } from './events/problems.ts';
import { flashSalesProblemCodes } from './flash-sales/problems.ts';
import { inventoryProblemCodes } from './inventory/problems.ts';
import { liveProblemCodes } from './live/problems.ts';
import { migrationProblemCodes } from './migration/problems.ts';
import { liveCommerceProblemCodes } from './live/commerce/problems.ts';
import { mediaProblemCodes } from './media/problems.ts';
import { ordersProblemCodes } from './orders/problems.ts';
import { paymentsProblemCodes } from './payments/problems.ts';
import { platformsProblemCodes } from './platforms/problems.ts';
import { promotionsProblemCodes } from './promotions/problems.ts';
import { riskProblemCodes } from './risk/problems.ts';
import { webhooksProblemCodes } from './webhooks/problems.ts';
import { wishlistsProblemCodes } from './wishlists/problems.ts';

export const problemCodesByOwner: Readonly<Record<string, readonly string[]>> = {
  kernel: kernelProblemCodes,
  platforms: platformsProblemCodes,
  accounts: accountsProblemCodes,
  events: eventsProblemCodes,
  catalog: catalogProblemCodes,
  inventory: inventoryProblemCodes,
  promotions: promotionsProblemCodes,
  cart: cartProblemCodes,
  orders: ordersProblemCodes,
  payments: paymentsProblemCodes,
  'flash-sales': flashSalesProblemCodes,
  webhooks: webhooksProblemCodes,
  wishlists: wishlistsProblemCodes,
  live: liveProblemCodes,
  'live-commerce': liveCommerceProblemCodes,
  media: mediaProblemCodes,
  risk: riskProblemCodes,
  migration: migrationProblemCodes,
  gateway: gatewayProblemCodes,
};

export const allProblemCodes: readonly string[] = Object.values(problemCodesByOwner).flat();
