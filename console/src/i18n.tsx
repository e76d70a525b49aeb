// English and Chinese strings for every word the console shows. The Chinese table is typed against the
// English one, so a string added in one language and not the other fails the type check.
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { en, zh, type MessageKey } from './messages.ts';

export type Lang = 'en' | 'zh';
const LANG_KEY = 'souk.console.lang';
const tables: Record<Lang, Record<MessageKey, string>> = { en, zh };
/** The Intl locale of each console language (money and dates). */
const INTL: Record<Lang, string> = { en: 'en-US', zh: 'zh-CN' };

export interface I18n {
  lang: Lang;
  locale: string;
  setLang(lang: Lang): void;
  /** The string for `key`, with {name} placeholders filled from `vars`. */
  t(key: MessageKey, vars?: Record<string, string | number>): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const value = useMemo<I18n>(() => {
    const table = tables[lang];
    return {
      lang,
      locale: INTL[lang],
      setLang(next) {
        localStorage.setItem(LANG_KEY, next);
        document.documentElement.lang = INTL[next];
        setLangState(next);
      },
      t(key, vars) {
        const text = table[key] ?? key;
        return vars ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole)) : text;
      },
    };
  }, [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
