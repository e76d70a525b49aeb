// settings.cart of a platform, checked by the platforms module whenever a platform is saved, and the
// normalised form the cart uses (the tax rate as an exact fraction, the default shipping methods filled in).
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';
import { exactDecimal, rescaleHalfUp } from '../../kernel/money.ts';

export const MODULE_NAME = 'cart';

export const DEFAULT_MAX_LINE_QUANTITY = 100;
/** The cart_lines.quantity CHECK says the same: no platform setting can go above it. */
export const QUANTITY_CEILING = 10_000;
export const MAX_LINES = 100;
/** Decimals a tax rate in percent may have: the engine computes on millionths of the amount (8.875 % = 88,750 / 10^6). */
export const TAX_RATE_DECIMALS = 4;
/** The denominator of ResolvedCartSettings.taxRateMillionths. */
export const TAX_RATE_DENOMINATOR = 1_000_000;

const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
const Amount = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const ShippingMethodSetting = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    delivery: Type.Optional(
      Type.Boolean({ description: 'False for a method nothing is shipped with (pickup in store): checkout then needs no address. Default true' }),
    ),
    prices: Type.Array(
      Type.Object(
        {
          currency: Currency,
          amount: Amount,
          freeOver: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Free when subtotal - discount reaches this' })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

export const cartSettingsSchema = Type.Object(
  {
    // TypeBox's multipleOf is a float remainder (8.875 % 0.0001 ≠ 0), so the decimals are counted on the
    // number's decimal text instead: a rate the engine cannot hold exactly is refused, never rounded.
    taxRatePercent: Type.Optional(
      Type.Refine(
        Type.Number({ minimum: 0, maximum: 100, description: `Tax rate in percent, 0 to 100 with up to ${TAX_RATE_DECIMALS} decimals (8.875), applied exactly` }),
        (value) => (exactDecimal(value)?.scale ?? Infinity) <= TAX_RATE_DECIMALS,
        () => `must have at most ${TAX_RATE_DECIMALS} decimals`,
      ),
    ),
    pricesIncludeTax: Type.Optional(Type.Boolean({ description: 'Catalog prices already include tax (tax is then extracted, not added)' })),
    maxLineQuantity: Type.Optional(Type.Integer({ minimum: 1, maximum: QUANTITY_CEILING, description: 'Largest quantity of one cart line (default 100)' })),
    shippingMethods: Type.Optional(Type.Array(ShippingMethodSetting, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type CartSettings = Static<typeof cartSettingsSchema>;
export type ShippingMethodSetting = Static<typeof ShippingMethodSetting>;

export interface ResolvedCartSettings {
  /** The rate as an exact fraction of TAX_RATE_DENOMINATOR: 8.875 % is 88,750. */
  taxRateMillionths: number;
  pricesIncludeTax: boolean;
  maxLineQuantity: number;
  shippingMethods: ShippingMethodSetting[];
}

function defaultMethods(platform: Platform): ShippingMethodSetting[] {
  return [
    { id: 'standard', name: 'Standard', prices: platform.currencies.map((currency) => ({ currency, amount: 500, freeOver: 5000 })) },
    { id: 'express', name: 'Express', prices: platform.currencies.map((currency) => ({ currency, amount: 1500 })) },
  ];
}

// Platforms are replaced (not mutated) on change, so the resolved settings are cached per object.
const resolved = new WeakMap<Platform, ResolvedCartSettings>();

export function cartSettings(platform: Platform): ResolvedCartSettings {
  let hit = resolved.get(platform);
  if (!hit) {
    const own = (platform.settings[MODULE_NAME] ?? {}) as CartSettings;
    hit = {
      taxRateMillionths: taxRateMillionths(own.taxRatePercent ?? 0),
      pricesIncludeTax: own.pricesIncludeTax ?? false,
      maxLineQuantity: own.maxLineQuantity ?? DEFAULT_MAX_LINE_QUANTITY,
      shippingMethods: own.shippingMethods ?? defaultMethods(platform),
    };
    resolved.set(platform, hit);
  }
  return hit;
}

/**
 * percent / 100 in millionths, computed on the decimal text (no float). Settings are checked on save, so
 * this is exact; a rate stored before that check with more decimals is rounded half up to the nearest
 * millionth rather than refused, so an old platform keeps selling.
 */
export function taxRateMillionths(percent: number): number {
  const decimal = exactDecimal(percent);
  if (!decimal) return 0;
  // percent × 10^4 is the rate in millionths (percent / 100 × 10^6).
  return Number(rescaleHalfUp(decimal, TAX_RATE_DECIMALS));
}
