// Souk's own JSON lines (what `souk export --format jsonl` writes): one object per line with a "kind".
// Categories, products (with each variant's stock on hand), customers, coupons (their scope by handle)
// and orders (as history) are imported; the platform's settings line is counted as skipped (a platform's
// settings are its own metadata, applied with `souk platform apply`).
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { CategoryInput, ProductInput } from '../../catalog/schemas.ts';
import { decodeUtf8 } from './decode.ts';
import { refused, type ImportItem, type StockEntry } from './items.ts';
import { emptyFile, notJsonl } from '../problems.ts';

export const EXPORT_LINE_KINDS = ['souk-export', 'settings', 'category', 'product', 'customer', 'coupon', 'order'] as const;
const SKIPPED = new Set(['souk-export', 'settings']);

interface Line {
  row: number;
  value: Record<string, unknown>;
}

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

function parseLine(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(EXPORT_LINE_KINDS as readonly string[]).includes(kind)) {
    return { ok: false, reason: `"kind" is ${JSON.stringify(kind)}, not one of ${EXPORT_LINE_KINDS.join(', ')}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Checks the first non-empty line (422 when it is not a Souk line), then returns every line's item. */
export async function openSoukJsonl(input: AsyncIterable<Uint8Array>): Promise<AsyncGenerator<ImportItem>> {
  const lines = createInterface({ input: Readable.from(decodeUtf8(input, notJsonl)), crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  let row = 0;
  let first: Line | undefined;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) throw emptyFile();
      row += 1;
      if (next.value.trim() === '') continue;
      const parsed = parseLine(next.value.replace(/^\uFEFF/, ''));
      if (!parsed.ok) throw notJsonl(`line ${row} is ${parsed.reason}`);
      first = { row, value: parsed.value };
      break;
    }
  } catch (error) {
    lines.close();
    throw error;
  }
  const head = first as Line;
  return (async function* items(): AsyncGenerator<ImportItem> {
    try {
      yield itemOf(head);
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        row += 1;
        if (next.value.trim() === '') continue;
        const parsed = parseLine(next.value);
        yield parsed.ok ? itemOf({ row, value: parsed.value }) : refused({ first: row, last: row }, null, parsed.reason);
      }
    } finally {
      lines.close();
    }
  })();
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function itemOf({ row, value }: Line): ImportItem {
  const rows = { first: row, last: row };
  const { kind, ...rest } = value;
  if (typeof kind === 'string' && SKIPPED.has(kind)) return { kind: 'skipped', rows, what: kind };
  if (kind === 'category') return { kind: 'category', rows, category: rest as unknown as CategoryInput };
  if (kind === 'coupon') {
    if (!isObject(rest.coupon)) return refused(rows, null, 'a coupon line needs a "coupon" object');
    const handles = (value: unknown) => (Array.isArray(value) ? value.filter((h): h is string => typeof h === 'string') : []);
    return { kind: 'coupon', rows, coupon: rest.coupon, productHandles: handles(rest.products), categoryHandles: handles(rest.categories) };
  }
  if (kind === 'order') {
    if (!isObject(rest.order)) return refused(rows, null, 'an order line needs an "order" object');
    return { kind: 'order', rows, order: rest.order };
  }
  if (kind === 'customer') {
    const email = typeof rest.email === 'string' ? rest.email.trim().toLowerCase() : '';
    const name = typeof rest.name === 'string' ? rest.name : '';
    if (!email) return refused(rows, null, 'a customer line needs an "email"');
    return { kind: 'customer', rows, customer: { email, name } };
  }
  // A product: each variant may carry its stock on hand, which is not part of the catalogue's input.
  const stock: StockEntry[] = [];
  const variants = Array.isArray(rest.variants)
    ? rest.variants.map((variant: unknown) => {
        if (typeof variant !== 'object' || variant === null) return variant;
        const { onHand, ...fields } = variant as Record<string, unknown>;
        if (typeof onHand === 'number' && typeof fields.sku === 'string') stock.push({ sku: fields.sku, onHand });
        return fields;
      })
    : rest.variants;
  const product = { ...rest, ...(variants === undefined ? {} : { variants }) } as unknown as ProductInput;
  return { kind: 'product', rows, product, categories: [], stock };
}
