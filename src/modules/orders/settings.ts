// settings.orders of a platform, checked by the platforms module whenever a platform is saved.
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';

export const MODULE_NAME = 'orders';

/** How long an order may stay unpaid before the durable timer cancels it. */
export const DEFAULT_UNPAID_TIMEOUT_SECONDS = 30 * 60;
export const MAX_UNPAID_TIMEOUT_SECONDS = 7 * 24 * 3600;
/**
 * The stock hold outlives the order's payment window by this much, so the order timeout (which
 * releases stock and coupon together) always fires first; the reservation's own expiry is only the
 * safety net for an order whose timer was lost.
 */
export const HOLD_MARGIN_SECONDS = 10 * 60;
/** How long an order held for review waits for a person before it is cancelled like an unpaid one. */
export const DEFAULT_REVIEW_TIMEOUT_SECONDS = 3 * 24 * 3600;
export const MAX_REVIEW_TIMEOUT_SECONDS = 30 * 24 * 3600;

export const ordersSettingsSchema = Type.Object(
  {
    unpaidTimeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_UNPAID_TIMEOUT_SECONDS, description: 'An order still unpaid after this many seconds is cancelled, its stock and coupon use returned' }),
    ),
    reviewTimeoutSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: MAX_REVIEW_TIMEOUT_SECONDS,
        description: 'An order held for review (on_hold) and neither approved nor rejected after this many seconds is cancelled, its stock and coupon use returned',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OrdersSettings = Static<typeof ordersSettingsSchema>;

export function ordersSettings(platform: Platform | undefined): Required<OrdersSettings> {
  const own = (platform?.settings[MODULE_NAME] ?? {}) as OrdersSettings;
  return {
    unpaidTimeoutSeconds: own.unpaidTimeoutSeconds ?? DEFAULT_UNPAID_TIMEOUT_SECONDS,
    reviewTimeoutSeconds: own.reviewTimeoutSeconds ?? DEFAULT_REVIEW_TIMEOUT_SECONDS,
  };
}
