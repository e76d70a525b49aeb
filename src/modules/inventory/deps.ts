// What the inventory service needs from the kernel: the event bus (emit/schedule inside the caller's
// transaction; emitMany only because the catalog service it reads variants through takes the same bus)
// and the platform directory (per-platform settings). A ModuleContext satisfies it.
import type { EventsApi, PlatformDirectory } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { EVENT_LOW, EVENT_OUT_OF_STOCK } from './events.ts';
import { inventorySettings } from './settings.ts';

export interface InventoryDeps {
  events: Pick<EventsApi, 'emit' | 'emitMany' | 'schedule' | 'scheduleMany' | 'cancelTimer'>;
  platforms: Pick<PlatformDirectory, 'byId'>;
}

export interface LevelChange {
  variantId: string;
  locationId: string;
  onHand: number;
  reserved: number;
  /** Available (on hand - reserved) before the change. */
  availableBefore: number;
}

/**
 * Emits inventory.low / inventory.out_of_stock in the caller's transaction when a change crosses the
 * threshold (or zero) downwards. Changes to one level are serialised by its row lock, so each crossing
 * is seen by exactly one transaction and the event is emitted once per crossing, not once per sale.
 */
export async function emitLevelEvents(deps: InventoryDeps, tx: PlatformDb, change: LevelChange): Promise<void> {
  const available = change.onHand - change.reserved;
  if (available >= change.availableBefore) return;
  const { lowStockThreshold } = inventorySettings(deps.platforms.byId(tx.platformId));
  const payload = {
    variantId: change.variantId,
    locationId: change.locationId,
    onHand: change.onHand,
    reserved: change.reserved,
    available,
    threshold: lowStockThreshold,
  };
  if (change.availableBefore > lowStockThreshold && available <= lowStockThreshold) {
    await deps.events.emit(tx, EVENT_LOW, payload, { key: change.variantId });
  }
  if (change.availableBefore > 0 && available === 0) {
    await deps.events.emit(tx, EVENT_OUT_OF_STOCK, payload, { key: change.variantId });
  }
}
