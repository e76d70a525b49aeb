// Which language and currency a storefront response is in, and the localized text of a row.
// Locale: the `locale` query parameter, else the first usable Accept-Language tag, else the platform
// default; a tag matches a platform locale exactly or by its language ("zh" → "zh-CN", "en-US" → "en").
// Currency: the `currency` parameter must be one of the platform's; an unknown one is a 400, because
// silently answering in another currency would show a wrong price.
import type { Platform } from '../../kernel/context.ts';
import { currencyNotSold } from './problems.ts';

function matchLocale(platform: Platform, tag: string): string | undefined {
  const wanted = tag.trim().toLowerCase();
  if (!wanted || wanted === '*') return undefined;
  const candidates = platform.locales.includes(platform.defaultLocale) ? platform.locales : [platform.defaultLocale, ...platform.locales];
  for (const locale of candidates) if (locale.toLowerCase() === wanted) return locale;
  const language = wanted.split('-')[0];
  for (const locale of candidates) if (locale.toLowerCase().split('-')[0] === language) return locale;
  return undefined;
}

export function resolveLocale(platform: Platform, requested: string | undefined, acceptLanguage: string | undefined): string {
  if (requested) return matchLocale(platform, requested) ?? platform.defaultLocale;
  if (acceptLanguage) {
    // "zh-CN,zh;q=0.9,en;q=0.8": clients list tags best first, so the order is enough; q=0 means "not this".
    for (const part of acceptLanguage.split(',', 8)) {
      const [tag = '', ...params] = part.split(';');
      if (params.some((p) => /^\s*q\s*=\s*0(?:\.0*)?\s*$/.test(p))) continue;
      const found = matchLocale(platform, tag);
      if (found) return found;
    }
  }
  return platform.defaultLocale;
}

export function resolveCurrency(platform: Platform, requested: string | undefined): string {
  if (!requested) return platform.defaultCurrency;
  const currency = requested.toUpperCase();
  if (!platform.currencies.includes(currency)) {
    throw currencyNotSold(platform.slug, requested, platform.currencies);
  }
  return currency;
}

export type Translations = Record<string, Record<string, string | undefined> | undefined>;

/**
 * A text field in the wanted locale. The main columns hold the platform's default language; a
 * translation is used for any other locale when it has that field, else the default text shows.
 */
export function localized(main: string, translations: Translations | null, field: string, locale: string, defaultLocale: string): string {
  if (locale === defaultLocale || !translations) return main;
  const text = translations[locale]?.[field];
  return text ? text : main;
}

/** The locale to pass to SQL that sorts by localized title: null means "the main column". */
export function sqlLocale(locale: string, defaultLocale: string): string | null {
  return locale === defaultLocale ? null : locale;
}
