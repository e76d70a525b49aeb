// settings.catalog of a platform, checked by the platforms module whenever a platform is saved.
import { Type, type Static } from 'typebox';
import type { Platform } from '../../kernel/context.ts';

export const MODULE_NAME = 'catalog';

/** Storefront page size when neither the request nor the platform gives one. */
export const DEFAULT_STORE_PAGE_SIZE = 20;

export const catalogSettingsSchema = Type.Object(
  {
    defaultPageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Storefront page size when the request gives no limit' })),
  },
  { additionalProperties: false },
);
export type CatalogSettings = Static<typeof catalogSettingsSchema>;

export function catalogSettings(platform: Platform): Required<CatalogSettings> {
  const own = (platform.settings[MODULE_NAME] ?? {}) as CatalogSettings;
  return { defaultPageSize: own.defaultPageSize ?? DEFAULT_STORE_PAGE_SIZE };
}
