// settings.cart of a platform, checked by the platforms module whenever a platform is saved, and the
// normalised form the cart uses (tax in basis points, the default shipping methods filled in).
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';

export const MODULE_NAME = 'cart';

export const DEFAULT_MAX_LINE_QUANTITY = 100;
/** The cart_lines.quantity CHECK says the same: no platform setting can go above it. */
export const QUANTITY_CEILING = 10_000;
export const MAX_LINES = 100;

const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
const Amount = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const ShippingMethodSetting = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
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
    // TypeBox's multipleOf is a float remainder (19.99 % 0.01 ≠ 0), so two decimals are enforced by
    // rounding to basis points rather than by the schema.
    taxRatePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'Tax rate in percent, up to 2 decimals (rounded to basis points)' })),
    pricesIncludeTax: Type.Optional(Type.Boolean({ description: 'Catalog prices already include tax (tax is then extracted, not added)' })),
    maxLineQuantity: Type.Optional(Type.Integer({ minimum: 1, maximum: QUANTITY_CEILING, description: 'Largest quantity of one cart line (default 100)' })),
    shippingMethods: Type.Optional(Type.Array(ShippingMethodSetting, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type CartSettings = Static<typeof cartSettingsSchema>;
export type ShippingMethodSetting = Static<typeof ShippingMethodSetting>;

export interface ResolvedCartSettings {
  taxBasisPoints: number;
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
      taxBasisPoints: Math.round((own.taxRatePercent ?? 0) * 100),
      pricesIncludeTax: own.pricesIncludeTax ?? false,
      maxLineQuantity: own.maxLineQuantity ?? DEFAULT_MAX_LINE_QUANTITY,
      shippingMethods: own.shippingMethods ?? defaultMethods(platform),
    };
    resolved.set(platform, hit);
  }
  return hit;
}
