// Small translations every reader needs: decimal prices to minor units, handles, lists in one cell.
import { createHash } from 'node:crypto';
import { exactDecimal, rescaleHalfUp } from '../../../kernel/money.ts';
import { MAX_AMOUNT } from '../../catalog/schemas.ts';
import { RowRefusal } from './items.ts';

const HANDLE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Decimal digits of a currency's minor unit (CNY 2, JPY 0, KWD 3). */
const digitsByCurrency = new Map<string, number>();

/** Minor-unit digits of a currency (2 for CNY, 0 for JPY); asked of Intl once per currency, as that is slow. */
export function currencyDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** "19.90" in CNY → 1990; a thousands separator or currency sign is refused, not guessed at. */
export function parsePrice(text: string, digits: number, column: string): number {
  const decimal = exactDecimal(text.trim());
  if (!decimal) throw new RowRefusal(`${column} "${text}" is not a price (write it as 19.90, no currency sign or thousands separator)`);
  const minor = rescaleHalfUp(decimal, digits);
  if (minor > BigInt(MAX_AMOUNT)) throw new RowRefusal(`${column} ${text} is above the largest price Souk stores`);
  return Number(minor);
}

export function optionalPrice(text: string | undefined, digits: number, column: string): number | undefined {
  return text === undefined || text.trim() === '' ? undefined : parsePrice(text, digits, column);
}

/** A whole number of units; Shopify allows negative stock (oversold), Souk counts from 0. */
export function parseQuantity(text: string, column: string): number {
  const trimmed = text.trim();
  if (!/^-?\d{1,12}$/.test(trimmed)) throw new RowRefusal(`${column} "${text}" is not a whole number of units`);
  return Math.max(0, Number(trimmed));
}

/** Lower-case letters, digits and single dashes from any text; empty when nothing ASCII is left. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '');
}

/** A handle for text that may have no ASCII at all (Chinese names): its slug, else a stable hash. */
export function handleFor(text: string, prefix: string): string {
  const slug = slugify(text);
  if (slug && slug.length >= 2) return slug;
  return `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** A handle as given in the file: accepted when it is URL-safe after lower-casing. */
export function checkedHandle(text: string, column: string): string {
  const handle = text.trim().toLowerCase();
  if (!HANDLE.test(handle) || handle.length > 200) {
    throw new RowRefusal(`${column} "${text.trim()}" is not a URL-safe handle (lower-case letters, digits and single dashes)`);
  }
  return handle;
}

/** "a, b,c" → ["a", "b", "c"]: trimmed, empty and repeated entries dropped. */
export function splitList(text: string | undefined, separator = ','): string[] {
  if (!text) return [];
  return [...new Set(text.split(separator).map((part) => part.trim()).filter((part) => part.length > 0))];
}

export function isTrue(text: string | undefined): boolean {
  return /^(true|yes|1)$/i.test((text ?? '').trim());
}

/** The value of a cell, or undefined when empty. */
export function cell(row: Record<string, string>, column: string): string | undefined {
  const value = row[column];
  return value === undefined || value.trim() === '' ? undefined : value;
}
