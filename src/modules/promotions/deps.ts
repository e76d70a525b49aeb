// What the promotions service needs from the kernel: the event bus its redemptions and new coupons emit
// on, inside the caller's transaction. It reads product categories through the catalog service, which
// takes the same bus, so the catalog's needs are included. A ModuleContext satisfies it.
import type { CatalogDeps } from '../catalog/service.ts';

export type PromotionsDeps = CatalogDeps;
