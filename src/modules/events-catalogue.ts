// The event catalogue of this build: every module's event map merged into the kernel's SoukEvents, so
// ctx.events.emit and subscribe check names and payloads. A module with events adds its map here; two
// modules declaring one name with different payloads fail to compile.
import type { CatalogEvents } from './catalog/events.ts';
import type { FlashSalesEvents } from './flash-sales/events.ts';
import type { InventoryEvents } from './inventory/events.ts';
import type { LiveEvents } from './live/events.ts';
import type { MediaEvents } from './media/events.ts';
import type { OrdersEvents } from './orders/events.ts';
import type { PaymentsEvents } from './payments/events.ts';
import type { PlatformsEvents } from './platforms/events.ts';
import type { PromotionsEvents } from './promotions/events.ts';
import type { RiskEvents } from './risk/events.ts';
import type { WishlistsEvents } from './wishlists/events.ts';

declare module '../kernel/context.ts' {
  interface SoukEvents extends PlatformsEvents, CatalogEvents, InventoryEvents, PromotionsEvents, OrdersEvents, PaymentsEvents, FlashSalesEvents, WishlistsEvents, LiveEvents, MediaEvents, RiskEvents {}
}
