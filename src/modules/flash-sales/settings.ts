// settings['flash-sales'] of a platform (hot-path limits a shop tunes). The process-wide settings (how fast
// this node drains, how much it takes on) come from the kernel config as ctx.config.flashSales.
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';

export const MODULE_NAME = 'flash-sales';

export const flashSalesSettingsSchema = Type.Object(
  {
    purchasesPerIpPerMinute: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Purchase attempts one IP address may make per minute (many buyers may share a carrier NAT)' }),
    ),
    purchasesPerDevicePerMinute: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Purchase attempts one device (x-device-id header) may make per minute' }),
    ),
    doubleClickMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 60_000, description: 'A second purchase by the same customer within this many milliseconds returns the first ticket' }),
    ),
  },
  { additionalProperties: false },
);
export type FlashSalesSettings = Static<typeof flashSalesSettingsSchema>;

export function flashSalesSettings(platform: Platform | undefined): Required<FlashSalesSettings> {
  const own = (platform?.settings[MODULE_NAME] ?? {}) as FlashSalesSettings;
  return {
    purchasesPerIpPerMinute: own.purchasesPerIpPerMinute ?? 600,
    purchasesPerDevicePerMinute: own.purchasesPerDevicePerMinute ?? 60,
    doubleClickMs: own.doubleClickMs ?? 2000,
  };
}

export type { FlashEnvSettings } from '../../kernel/module-settings.ts';

/** How long the node-local caches trust what they hold. */
export const SALE_CACHE_TTL_MS = 1000;
export const SESSION_CACHE_TTL_MS = 30_000;
export const SOLD_OUT_FLAG_MS = 1000;
/** The carve-out is held this long past the sale's end, so only the end handler (not expiry) returns it. */
export const CARVE_OUT_MARGIN_SECONDS = 3600;
/** Orders, items and per-purchase bounds. */
export const MAX_ITEMS = 100;
export const MAX_PURCHASE_QUANTITY = 100;
export const DEFAULT_PAYMENT_TIMEOUT_SECONDS = 15 * 60;
export const MAX_PAYMENT_TIMEOUT_SECONDS = 24 * 3600;
