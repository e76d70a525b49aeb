// Request and response schemas of the platforms module, shared by the HTTP routes and the
// `souk platform apply` metadata file.
import { Type, type Static } from 'typebox';
import { StorefrontTheme } from './storefront-settings.ts';

const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'URL-safe identifier, e.g. "souk-cn"' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. "CNY"' });
const Locale = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', description: 'BCP 47 tag, e.g. "zh-CN"' });
const Host = Type.String({
  pattern: '^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$',
  description: 'Host name without port, lower case',
});

const Name = Type.String({ minLength: 1, maxLength: 200 });
// Defaults belong on create only: a PATCH that leaves a field out must leave it as it is, so the patch
// schema below reuses these shapes without the `default` keyword.
const Hosts = (extra: { default?: unknown } = {}) => Type.Array(Host, { maxItems: 50, uniqueItems: true, ...extra });
const Modules = (extra: { default?: unknown } = {}) => Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), { maxItems: 50, uniqueItems: true, ...extra });
const Settings = (extra: { default?: unknown } = {}) => Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), Type.Unknown(), extra);

export const PlatformInput = Type.Object(
  {
    slug: Slug,
    name: Name,
    hosts: Hosts({ default: [] }),
    defaultCurrency: Currency,
    currencies: Type.Optional(Type.Array(Currency, { minItems: 1, maxItems: 20, uniqueItems: true })),
    defaultLocale: Locale,
    locales: Type.Optional(Type.Array(Locale, { minItems: 1, maxItems: 20, uniqueItems: true })),
    modules: Modules({ default: [] }),
    settings: Settings({ default: {} }),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false, title: 'PlatformInput' },
);
export type PlatformInput = Static<typeof PlatformInput>;

export const PlatformPatch = Type.Partial(
  Type.Object({
    name: Name,
    hosts: Hosts(),
    defaultCurrency: Currency,
    currencies: Type.Array(Currency, { minItems: 1, maxItems: 20, uniqueItems: true }),
    defaultLocale: Locale,
    locales: Type.Array(Locale, { minItems: 1, maxItems: 20, uniqueItems: true }),
    modules: Modules(),
    settings: Settings(),
  }),
  { additionalProperties: false, minProperties: 1, title: 'PlatformPatch' },
);
export type PlatformPatch = Static<typeof PlatformPatch>;

export const PlatformView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  slug: Type.String(),
  name: Type.String(),
  hosts: Type.Array(Type.String()),
  defaultCurrency: Type.String(),
  currencies: Type.Array(Type.String()),
  defaultLocale: Type.String(),
  locales: Type.Array(Type.String()),
  modules: Type.Array(Type.String()),
  settings: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Platform' });

export const StorefrontPlatformView = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  defaultCurrency: Type.String(),
  currencies: Type.Array(Type.String()),
  defaultLocale: Type.String(),
  locales: Type.Array(Type.String()),
  storefront: StorefrontTheme,
}, { title: 'StorefrontPlatform' });

export const PublishableKeyView = Type.Object({
  id: Type.String(),
  prefix: Type.String(),
  label: Type.String(),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
}, { title: 'PublishableKey' });

export const PlatformRef = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 100 }) });
