// The shop the page belongs to and how it speaks: the platform's theme (platform.ts), the shopper's
// language (English or Chinese; the platform's locale first, then the shopper's choice, kept), money in
// the shop's currency with that language's conventions, and problem messages in plain words.
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { formatMoney } from '../../shared/format.ts';
import { en, zh, type MessageKey } from './messages.ts';
import { SoukProblemError } from './api.ts';
import type { ShopPlatform, StorefrontTheme } from './platform.ts';

export type Lang = 'en' | 'zh';
const LANG_KEY = 'souk.store.lang';
const tables: Record<Lang, Record<MessageKey, string>> = { en, zh };
const INTL: Record<Lang, string> = { en: 'en-US', zh: 'zh-CN' };

export interface Shop {
  platform: ShopPlatform;
  theme: StorefrontTheme;
  lang: Lang;
  /** Intl locale for numbers and dates. */
  locale: string;
  /** The locale the API is asked for (product titles, category names): one of the platform's. */
  apiLocale: string;
  currency: string;
  setLang(lang: Lang): void;
  t(key: MessageKey, vars?: Record<string, string | number>): string;
  money(minor: number): string;
  /** A failed call in words the shopper can act on. */
  problem(error: unknown): string;
}

const ShopContext = createContext<Shop | null>(null);

function langOf(locale: string): Lang {
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

function initialLang(theme: StorefrontTheme): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  return saved === 'en' || saved === 'zh' ? saved : langOf(theme.locale);
}

export function ShopProvider({ platform, children }: { platform: ShopPlatform; children: ReactNode }) {
  const theme = platform.storefront;
  const [lang, setLangState] = useState<Lang>(() => initialLang(theme));
  const value = useMemo<Shop>(() => {
    const table = tables[lang];
    const locale = INTL[lang];
    const apiLocale = platform.locales.find((l) => langOf(l) === lang) ?? theme.locale;
    const t: Shop['t'] = (key, vars) => {
      const text = table[key] ?? key;
      return vars ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole)) : text;
    };
    document.documentElement.lang = apiLocale;
    return {
      platform,
      theme,
      lang,
      locale,
      apiLocale,
      currency: theme.currency,
      setLang(next) {
        localStorage.setItem(LANG_KEY, next);
        setLangState(next);
      },
      t,
      money: (minor) => formatMoney(minor, theme.currency, locale),
      problem(error) {
        if (error instanceof SoukProblemError) {
          if (error.status === 401) return t('error_unauthorized');
          if (error.code === 'out_of_stock' || error.code === 'insufficient_stock') return t('error_out_of_stock');
          if (error.code?.startsWith('coupon_')) return t('error_coupon', { detail: error.message });
          if (error.code === 'shipping_method_required') return t('error_shipping');
          if (error.code === 'shipping_address_required') return t('error_address');
          if (error.code === 'cart_stale') return t('error_cart_stale');
          return error.message;
        }
        if (error instanceof TypeError) return t('error_network');
        return error instanceof Error ? error.message : String(error);
      },
    };
  }, [lang, platform, theme]);
  return <ShopContext.Provider value={value}>{children}</ShopContext.Provider>;
}

export function useShop(): Shop {
  const value = useContext(ShopContext);
  if (!value) throw new Error('useShop outside ShopProvider');
  return value;
}
