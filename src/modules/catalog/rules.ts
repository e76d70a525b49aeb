// Checks on catalog input that a JSON schema cannot express because they need the platform (its
// currencies) or the product (its option definitions). Each failure is a 4xx naming what to fix.
import type { Platform } from '../../kernel/context.ts';
import { isUuid } from '../../kernel/ids.ts';
import type { OptionDefinition, PriceInput } from './schemas.ts';
import { attributesTooLarge, duplicateCurrency, duplicateOption, duplicateSku, handleLooksLikeId, priceCurrencyNotSold, undefinedVariantOption, unlistedOptionValue } from './problems.ts';

const MAX_ATTRIBUTES_BYTES = 16 * 1024;

export function checkPrices(platform: Platform, prices: readonly PriceInput[], sku: string): void {
  const seen = new Set<string>();
  for (const price of prices) {
    if (!platform.currencies.includes(price.currency)) {
      throw priceCurrencyNotSold(sku, price.currency, platform.slug, platform.currencies);
    }
    if (seen.has(price.currency)) {
      throw duplicateCurrency(sku, price.currency);
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
      throw undefinedVariantOption(sku, name, known);
    }
    if (!definition.values.includes(value)) {
      throw unlistedOptionValue(sku, name, value, definition.values);
    }
  }
}

export function checkOptionNames(options: readonly OptionDefinition[], handle: string): void {
  const names = new Set<string>();
  for (const option of options) {
    if (names.has(option.name)) throw duplicateOption(handle, option.name);
    names.add(option.name);
  }
}

export function checkAttributes(attributes: Record<string, unknown> | undefined, handle: string): void {
  if (attributes && Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) {
    throw attributesTooLarge(handle, MAX_ATTRIBUTES_BYTES / 1024);
  }
}

/** Handles share the URL slot with ids (/products/:idOrHandle), so a handle may not look like an id. */
export function checkHandle(handle: string): void {
  if (isUuid(handle)) throw handleLooksLikeId(handle);
}

export function duplicateSkuConflict(sku: string): never {
  throw duplicateSku(sku);
}
