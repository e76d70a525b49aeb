// settings['flash-sales'] of a platform (hot-path limits a shop tunes), and the process-wide settings read
// from the environment once when the module starts (how fast this node drains, how much it takes on).
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';
import { positiveIntEnv } from '../../kernel/env.ts';

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

export const FLASH_ENV = {
  /** Orders this node creates per second from won tickets (token bucket). */
  drainPerSecond: 'SOUK_FLASH_DRAIN_PER_SECOND',
  /** Purchases this node works on at once; beyond it answers 429 with Retry-After: 1. */
  maxInFlight: 'SOUK_FLASH_MAX_IN_FLIGHT',
  /** A node whose heartbeat is older than this is taken for dead; a survivor returns its in-flight takes. */
  nodeTimeoutMs: 'SOUK_FLASH_NODE_TIMEOUT_MS',
} as const;

export interface FlashEnvSettings {
  drainPerSecond: number;
  maxInFlight: number;
  nodeTimeoutMs: number;
}

export function loadFlashEnv(env: NodeJS.ProcessEnv = process.env): FlashEnvSettings {
  return {
    drainPerSecond: positiveIntEnv(env, FLASH_ENV.drainPerSecond, 200),
    maxInFlight: positiveIntEnv(env, FLASH_ENV.maxInFlight, 10_000),
    nodeTimeoutMs: positiveIntEnv(env, FLASH_ENV.nodeTimeoutMs, 5000),
  };
}

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
