// Reads a catalogue file for bulk import: JSON (an array of products, or { products: [...] } as the bulk
// API takes it) or CSV with one row per variant. CSV columns: handle, title, description, status, sku,
// price (in major units, e.g. 12.50), currency, and optionally title:<locale> / description:<locale>
// translations and option:<name> values. Rows sharing a handle make one product.
import type { components } from '../../sdk/index.ts';
import { parseMoney } from '../../shared/format.ts';

export type ProductInput = components['schemas']['ProductInput'];

export interface ParsedRow {
  /** 1-based line (CSV) or array index + 1 (JSON) of the product's first row, for the error report. */
  line: number;
  product: ProductInput;
}

/** RFC 4180-style CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export function productsFromCsv(text: string, defaultCurrency: string): { rows: ParsedRow[]; errors: { line: number; message: string }[] } {
  const [header, ...body] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return { rows: [], errors: [{ line: 1, message: 'empty file' }] };
  const col = header.map((h) => h.trim());
  const byHandle = new Map<string, ParsedRow>();
  const errors: { line: number; message: string }[] = [];
  body.forEach((cells, index) => {
    const line = index + 2;
    const get = (name: string) => cells[col.indexOf(name)]?.trim() ?? '';
    const handle = get('handle');
    if (!handle) {
      errors.push({ line, message: 'no handle' });
      return;
    }
    let entry = byHandle.get(handle);
    if (!entry) {
      const translations: NonNullable<ProductInput['translations']> = {};
      for (const name of col) {
        const [field, locale] = name.split(':');
        if ((field === 'title' || field === 'description') && locale && get(name)) translations[locale] = { ...translations[locale], [field]: get(name) };
      }
      const status = get('status');
      entry = {
        line,
        product: {
          handle,
          title: get('title') || handle,
          ...(get('description') ? { description: get('description') } : {}),
          ...(status === 'draft' || status === 'published' || status === 'archived' ? { status } : {}),
          ...(Object.keys(translations).length ? { translations } : {}),
          variants: [],
        },
      };
      byHandle.set(handle, entry);
    }
    const sku = get('sku');
    if (!sku) return;
    const currency = get('currency') || defaultCurrency;
    const amount = get('price') ? parseMoney(get('price'), currency) : null;
    if (get('price') && amount === null) {
      errors.push({ line, message: `price "${get('price')}" is not an amount` });
      return;
    }
    const options: Record<string, string> = {};
    for (const name of col) if (name.startsWith('option:') && get(name)) options[name.slice(7)] = get(name);
    entry.product.variants!.push({ sku, ...(Object.keys(options).length ? { options } : {}), ...(amount !== null ? { prices: [{ currency, amount }] } : {}) });
  });
  // Options of a product are the union of its variants' option values.
  for (const { product } of byHandle.values()) {
    const names = new Map<string, Set<string>>();
    for (const v of product.variants ?? []) for (const [k, value] of Object.entries(v.options ?? {})) names.set(k, (names.get(k) ?? new Set()).add(value));
    if (names.size) product.options = [...names].map(([name, values]) => ({ name, values: [...values] }));
  }
  return { rows: [...byHandle.values()], errors };
}

export function productsFromJson(text: string): ParsedRow[] {
  const value: unknown = JSON.parse(text);
  const list = Array.isArray(value) ? value : (value as { products?: unknown }).products;
  if (!Array.isArray(list)) throw new Error('expected an array of products or { "products": [...] }');
  return list.map((product, i) => ({ line: i + 1, product: product as ProductInput }));
}
