// settings.inventory of a platform, checked by the platforms module whenever a platform is saved.
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';

export const MODULE_NAME = 'inventory';

/** Hold used when a caller gives none: long enough to pay, short enough not to sit on stock. */
export const DEFAULT_HOLD_SECONDS = 15 * 60;
export const MAX_HOLD_SECONDS = 7 * 24 * 3600;
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

export const inventorySettingsSchema = Type.Object(
  {
    lowStockThreshold: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'inventory.low is emitted when available stock falls to or below this' }),
    ),
    reservationHoldSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_HOLD_SECONDS, description: 'How long a reservation holds stock unless the caller says otherwise' }),
    ),
  },
  { additionalProperties: false },
);
export type InventorySettings = Static<typeof inventorySettingsSchema>;

export function inventorySettings(platform: Platform | undefined): Required<InventorySettings> {
  const own = (platform?.settings[MODULE_NAME] ?? {}) as InventorySettings;
  return {
    lowStockThreshold: own.lowStockThreshold ?? DEFAULT_LOW_STOCK_THRESHOLD,
    reservationHoldSeconds: own.reservationHoldSeconds ?? DEFAULT_HOLD_SECONDS,
  };
}
