// settings.storefront of a platform: the origins its own web shops may call /store from (CORS), and the
// theme of the storefront Souk serves on the platform's hosts (name, logo, colours, language, currency,
// which pages are on). Not a module's settings (the storefront is not a module), so the platforms module
// checks them itself when a platform is saved, with the same TypeBox check the modules' settings get.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { Platform } from '../../kernel/context.ts';
import { isOrigin } from '../../kernel/http/cors.ts';
import { invalidSettings } from './problems.ts';

const Colour = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'A colour as #rrggbb' });

const StorefrontPages = Type.Object(
  {
    search: Type.Optional(Type.Boolean()),
    account: Type.Optional(Type.Boolean()),
    flashSales: Type.Optional(Type.Boolean()),
    live: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Pages switched on (true, the default) or off' },
);

export const storefrontSettingsSchema = Type.Object(
  {
    corsOrigins: Type.Optional(Type.Array(Type.String(), { maxItems: 50, description: 'Origins allowed to call /store from a browser' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Shop name shown in the storefront; default: the platform name' })),
    tagline: Type.Optional(Type.String({ maxLength: 160 })),
    logoUrl: Type.Optional(Type.String({ maxLength: 500, pattern: '^(https://|/)[^\\s"<>]*$', description: 'An https URL or a path on this server' })),
    colors: Type.Optional(
      Type.Object(
        { primary: Type.Optional(Colour), accent: Type.Optional(Colour), background: Type.Optional(Colour), text: Type.Optional(Colour) },
        { additionalProperties: false },
      ),
    ),
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35, description: 'One of the platform locales; default: its default locale' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'One of the platform currencies; default: its default currency' })),
    pages: Type.Optional(StorefrontPages),
  },
  { additionalProperties: false },
);
export type StorefrontSettings = Static<typeof storefrontSettingsSchema>;

/** The storefront's theme as the app reads it (/store/platform and the page Souk serves): every field filled. */
export const StorefrontTheme = Type.Object(
  {
    name: Type.String(),
    tagline: Type.String(),
    logoUrl: Type.Union([Type.String(), Type.Null()]),
    colors: Type.Object({ primary: Type.String(), accent: Type.String(), background: Type.String(), text: Type.String() }),
    locale: Type.String(),
    currency: Type.String(),
    pages: Type.Object({ search: Type.Boolean(), account: Type.Boolean(), flashSales: Type.Boolean(), live: Type.Boolean() }),
  },
  { title: 'StorefrontTheme' },
);
export type StorefrontTheme = Static<typeof StorefrontTheme>;

/** Colours with a contrast of at least 4.5:1 between text and background, and white on primary. */
const DEFAULT_COLORS = { primary: '#1f5f8b', accent: '#b3261e', background: '#ffffff', text: '#1c1c1e' };

/** Refuses settings.storefront that is not valid for `platform` (its locales and currencies). */
export function assertStorefrontSettings(value: unknown, platform: { locales: readonly string[]; currencies: readonly string[] }): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidSettings('settings.storefront must be an object.');
  if (!Value.Check(storefrontSettingsSchema, value)) {
    const first = [...Value.Errors(storefrontSettingsSchema, value)][0];
    throw invalidSettings(`settings.storefront${first?.instancePath.replace(/\//g, '.') ?? ''} ${first?.message ?? 'is invalid'}.`);
  }
  const settings = value as StorefrontSettings;
  if (settings.corsOrigins && !settings.corsOrigins.every(isOrigin)) {
    throw invalidSettings('settings.storefront.corsOrigins must be a list of at most 50 origins like https://shop.example.com (no path or trailing slash).');
  }
  if (settings.locale !== undefined && !platform.locales.includes(settings.locale)) {
    throw invalidSettings(`settings.storefront.locale must be one of the platform locales (${platform.locales.join(', ')}).`);
  }
  if (settings.currency !== undefined && !platform.currencies.includes(settings.currency)) {
    throw invalidSettings(`settings.storefront.currency must be one of the platform currencies (${platform.currencies.join(', ')}).`);
  }
}

/** The platform's storefront theme with defaults for what its settings leave out. */
export function storefrontTheme(platform: Platform): StorefrontTheme {
  const own = (platform.settings.storefront ?? {}) as StorefrontSettings;
  return {
    name: own.name ?? platform.name,
    tagline: own.tagline ?? '',
    logoUrl: own.logoUrl ?? null,
    colors: { ...DEFAULT_COLORS, ...own.colors },
    locale: own.locale ?? platform.defaultLocale,
    currency: own.currency ?? platform.defaultCurrency,
    pages: { search: true, account: true, flashSales: true, live: true, ...own.pages },
  };
}
