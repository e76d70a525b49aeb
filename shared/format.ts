// Money and dates for the console and the storefront: amounts are integer minor units in the API, shown in the
// platform's currency with the console language's conventions (Intl); times in the browser's time zone.

const digitsCache = new Map<string, number>();

/** How many minor units a currency has (JPY 0, USD 2, KWD 3), as Intl knows it. */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * One formatter per locale and options, made once: building an Intl formatter costs far more than using
 * one, and a table of orders formats two values per row.
 */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let formatter = formatters.get(key) as T | undefined;
  if (!formatter) {
    formatter = make();
    formatters.set(key, formatter);
  }
  return formatter;
}

export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  return cached(`money ${locale} ${currency}`, () => new Intl.NumberFormat(locale, { style: 'currency', currency })).format(minor / 10 ** digits);
}

/** "12.5" typed by an operator in `currency` → minor units (1250), or null when it is not an amount. */
export function parseMoney(text: string, currency: string): number | null {
  const clean = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(clean)) return null;
  const digits = currencyDigits(currency);
  return Math.round(Number(clean) * 10 ** digits);
}

export function toMajor(minor: number, currency: string): string {
  return (minor / 10 ** currencyDigits(currency)).toFixed(currencyDigits(currency));
}

export function formatDateTime(iso: string, locale: string): string {
  return cached(`datetime ${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })).format(new Date(iso));
}

export function formatDay(date: Date, locale: string): string {
  return cached(`day ${locale}`, () => new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' })).format(date);
}

/** Midnight today in the browser's time zone. */
export function startOfToday(): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

/** The local calendar day of an instant, as a sortable key (YYYY-MM-DD). */
export function dayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * A calendar day typed in a date field (YYYY-MM-DD) as the instant it starts in the browser's time zone
 * (ISO, for the API's createdFrom/createdTo); `nextDay` gives the start of the day after, so a "to" day is
 * included whole. Undefined when the text is not a day.
 */
export function dayStartIso(day: string, nextDay = false): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + (nextDay ? 1 : 0));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
