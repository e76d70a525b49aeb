// Checks on catalog input that a JSON schema cannot express because they need the platform (its
// currencies) or the product (its option definitions). Each failure is a 4xx naming what to fix.
import type { Platform } from '../../kernel/context.ts';
import { badRequest, conflict } from '../../kernel/http/problem.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { OptionDefinition, PriceInput } from './schemas.ts';

const MAX_ATTRIBUTES_BYTES = 16 * 1024;

export function checkPrices(platform: Platform, prices: readonly PriceInput[], sku: string): void {
  const seen = new Set<string>();
  for (const price of prices) {
    if (!platform.currencies.includes(price.currency)) {
      throw badRequest(
        'currency_not_supported',
        `SKU "${sku}" has a price in ${price.currency}, but platform "${platform.slug}" sells only in ${platform.currencies.join(', ')}.`,
      );
    }
    if (seen.has(price.currency)) {
      throw badRequest('duplicate_currency', `SKU "${sku}" has two prices in ${price.currency}; give one price per currency.`);
    }
    seen.add(price.currency);
  }
}

/** A variant's options must name the product's options and use their listed values. */
export function checkVariantOptions(productOptions: readonly OptionDefinition[], options: Record<string, string>, sku: string): void {
  for (const [name, value] of Object.entries(options)) {
    const definition = productOptions.find((o) => o.name === name);
    if (!definition) {
      const known = productOptions.map((o) => o.name);
      throw badRequest(
        'invalid_variant_options',
        `SKU "${sku}" sets option "${name}", which the product does not define` +
          (known.length ? ` (it has ${known.join(', ')}).` : ' (it has no options; add them to the product first).'),
      );
    }
    if (!definition.values.includes(value)) {
      throw badRequest(
        'invalid_variant_options',
        `SKU "${sku}" sets ${name} = "${value}", which is not one of the product's values (${definition.values.join(', ')}).`,
      );
    }
  }
}

export function checkOptionNames(options: readonly OptionDefinition[], handle: string): void {
  const names = new Set<string>();
  for (const option of options) {
    if (names.has(option.name)) throw badRequest('duplicate_option', `Product "${handle}" defines option "${option.name}" twice.`);
    names.add(option.name);
  }
}

export function checkAttributes(attributes: Record<string, unknown> | undefined, handle: string): void {
  if (attributes && Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) {
    throw badRequest('attributes_too_large', `The attributes of "${handle}" exceed ${MAX_ATTRIBUTES_BYTES / 1024} KiB.`);
  }
}

/** Handles share the URL slot with ids (/products/:idOrHandle), so a handle may not look like an id. */
export function checkHandle(handle: string): void {
  if (isUuid(handle)) throw badRequest('invalid_handle', `The handle "${handle}" looks like an id; choose a readable handle.`);
}

export function duplicateSkuConflict(sku: string): never {
  throw conflict('duplicate_sku', `SKU "${sku}" appears more than once in the request; each SKU must be unique per platform.`);
}
