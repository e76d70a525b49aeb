// WooCommerce's product CSV (Products → Export, and its importer's columns): simple and variable
// products, each variation on a row of its own whose Parent is "id:<parent ID>" or the parent's SKU.
// A variable product is held until its last variation has passed (they follow it in an export), so one
// product's rows at most are in memory; a variation that comes later is added to its product by handle.
//
// Mapping: handle from the SKU (else "woo-<ID>", else the name); Name, Description (else Short
// description) → title, description; Published 1 → published, else draft; Regular price → price, with
// Sale price the price and Regular price the compare-at price; Stock → stock on hand; Categories
// ("Clothing > Shirts, Sale") → categories with their parents; Tags → tags; Images → images; a simple
// product's attributes → attributes, a variable product's → options, a variation's → its option values.
// Grouped and external products are refused (Souk has neither).
import type { Platform } from '../../../kernel/context.ts';
import type { CategoryInput, ProductInput, VariantInput } from '../../catalog/schemas.ts';
import type { CsvLayout, CsvRecord } from './csv-source.ts';
import { refused, RowRefusal, type ImportItem, type ProductItem, type StockEntry } from './items.ts';
import { cell, currencyDigits, handleFor, optionalPrice, parseQuantity, slugify, splitList } from './text.ts';

const ATTRIBUTE_SLOTS = [1, 2, 3, 4, 5, 6] as const;

export const WOOCOMMERCE_COLUMNS = [
  'ID', 'Type', 'SKU', 'Name', 'Published', 'Short description', 'Description', 'Stock', 'Sale price', 'Regular price',
  'Categories', 'Tags', 'Images', 'Parent', 'Position',
  ...ATTRIBUTE_SLOTS.flatMap((n) => [`Attribute ${n} name`, `Attribute ${n} value(s)`]),
] as const;

export const woocommerceLayout: CsvLayout = {
  label: 'WooCommerce product CSV',
  required: ['Type', 'SKU', 'Name', 'Regular price', 'Parent'],
  known: WOOCOMMERCE_COLUMNS,
};

interface Context {
  currency: string;
  digits: number;
}

interface Pending {
  item: ProductItem;
  refs: string[];
}

/** Woo escapes a comma inside one value as "\,". */
function splitWoo(text: string | undefined): string[] {
  if (!text) return [];
  const placeholder = '\u{F8FF}';
  return splitList(text.replaceAll('\\,', placeholder), ',').map((part) => part.replaceAll(placeholder, ','));
}

function typesOf(cells: Record<string, string>): string[] {
  return splitList(cells.Type?.toLowerCase());
}

function attributesOf(cells: Record<string, string>): { name: string; values: string[] }[] {
  return ATTRIBUTE_SLOTS.flatMap((n) => {
    const name = cell(cells, `Attribute ${n} name`)?.trim();
    const values = splitWoo(cells[`Attribute ${n} value(s)`]);
    return name && values.length > 0 ? [{ name, values }] : [];
  });
}

/** "Clothing > Shirts, Sale" → category inputs, parents first, and the handles of the leaves. */
export function wooCategories(text: string | undefined): { categories: CategoryInput[]; leaves: string[] } {
  const categories = new Map<string, CategoryInput>();
  const leaves: string[] = [];
  for (const path of splitWoo(text)) {
    const names = path.split('>').map((n) => n.trim()).filter(Boolean);
    let parent: string | null = null;
    names.forEach((name, i) => {
      const handle = handleFor(names.slice(0, i + 1).join(' '), 'category');
      if (!categories.has(handle)) categories.set(handle, { handle, name: name.slice(0, 200), parent });
      parent = handle;
    });
    if (parent) leaves.push(parent);
  }
  return { categories: [...categories.values()], leaves: [...new Set(leaves)] };
}

function pricesOf(cells: Record<string, string>, context: Context): VariantInput['prices'] {
  const regular = optionalPrice(cells['Regular price'], context.digits, 'Regular price');
  const sale = optionalPrice(cells['Sale price'], context.digits, 'Sale price');
  if (regular === undefined && sale === undefined) throw new RowRefusal('Regular price is empty');
  if (sale !== undefined && regular !== undefined && sale < regular) return [{ currency: context.currency, amount: sale, compareAtAmount: regular }];
  return [{ currency: context.currency, amount: (regular ?? sale)!, compareAtAmount: null }];
}

function stockOf(cells: Record<string, string>, sku: string): StockEntry[] {
  const stock = cell(cells, 'Stock');
  return stock === undefined ? [] : [{ sku, onHand: parseQuantity(stock, 'Stock') }];
}

function handleOf(cells: Record<string, string>): string {
  const sku = cell(cells, 'SKU')?.trim();
  if (sku && slugify(sku)) return slugify(sku);
  const id = cell(cells, 'ID')?.trim();
  if (id && /^\d+$/.test(id)) return `woo-${id}`;
  const name = cell(cells, 'Name')?.trim();
  if (name) return handleFor(name, 'product');
  throw new RowRefusal('the row has no SKU, ID or Name to name the product by');
}

function baseProduct(record: CsvRecord, handle: string): ProductItem {
  const { cells, row } = record;
  const title = cell(cells, 'Name')?.trim();
  if (!title) throw new RowRefusal('Name is empty');
  const { categories, leaves } = wooCategories(cells.Categories);
  const product: ProductInput = {
    handle,
    title,
    description: cell(cells, 'Description') ?? cells['Short description'] ?? '',
    status: cells.Published?.trim() === '1' ? 'published' : 'draft',
    images: splitWoo(cells.Images),
    tags: splitWoo(cells.Tags),
    categories: leaves,
    variants: [],
  };
  return { kind: 'product', rows: { first: row, last: row }, product, categories, stock: [] };
}

function simpleProduct(record: CsvRecord, context: Context): ProductItem {
  const handle = handleOf(record.cells);
  const item = baseProduct(record, handle);
  const sku = cell(record.cells, 'SKU')?.trim() ?? handle;
  item.product.attributes = Object.fromEntries(attributesOf(record.cells).map((a) => [a.name, a.values.length === 1 ? a.values[0] : a.values]));
  item.product.variants = [{ sku, title: '', options: {}, prices: pricesOf(record.cells, context), position: 0 }];
  item.stock = stockOf(record.cells, sku);
  return item;
}

function variableProduct(record: CsvRecord): Pending {
  const handle = handleOf(record.cells);
  const item = baseProduct(record, handle);
  item.product.options = attributesOf(record.cells).map((a) => ({ name: a.name, values: a.values }));
  const refs = [cell(record.cells, 'ID') ? `id:${record.cells.ID!.trim()}` : '', cell(record.cells, 'SKU')?.trim() ?? ''].filter(Boolean);
  return { item, refs };
}

function variationOf(record: CsvRecord, parentHandle: string, position: number, context: Context): { variant: VariantInput; stock: StockEntry[] } {
  const values = Object.fromEntries(attributesOf(record.cells).map((a) => [a.name, a.values[0]!]));
  const sku = cell(record.cells, 'SKU')?.trim() ?? [parentHandle, ...Object.values(values).map((v) => slugify(v) || v)].join('-');
  const variant: VariantInput = { sku, title: Object.values(values).join(' / '), options: values, prices: pricesOf(record.cells, context), position };
  return { variant, stock: stockOf(record.cells, sku) };
}

const parentRefOf = (cells: Record<string, string>) => cell(cells, 'Parent')?.trim() ?? '';

export async function* woocommerceProducts(records: AsyncIterable<CsvRecord>, platform: Platform): AsyncGenerator<ImportItem> {
  const context: Context = { currency: platform.defaultCurrency, digits: currencyDigits(platform.defaultCurrency) };
  // Parents already yielded, by "id:<ID>" and SKU: a late variation is added to its product by handle.
  const yielded = new Map<string, { handle: string; title: string }>();
  let pending: Pending | undefined;
  let pendingRefused = false;

  const release = (): ImportItem | undefined => {
    const held = pending;
    pending = undefined;
    if (!held || pendingRefused) return undefined;
    for (const ref of held.refs) yielded.set(ref, { handle: held.item.product.handle, title: held.item.product.title });
    if ((held.item.product.variants ?? []).length === 0) {
      return refused(held.item.rows, held.item.product.handle, 'the variable product has no variation rows');
    }
    return held.item;
  };

  for await (const record of records) {
    const rows = { first: record.row, last: record.row };
    const types = typesOf(record.cells);
    try {
      if (types.includes('variation')) {
        const parent = parentRefOf(record.cells);
        if (pending && pending.refs.includes(parent)) {
          if (pendingRefused) continue;
          const { variant, stock } = variationOf(record, pending.item.product.handle, pending.item.product.variants!.length, context);
          pending.item.product.variants!.push(variant);
          pending.item.stock.push(...stock);
          pending.item.rows.last = record.row;
          continue;
        }
        const known = yielded.get(parent);
        if (!known) {
          yield refused(rows, cell(record.cells, 'SKU')?.trim() ?? null, parent ? `Parent "${parent}" is not a variable product earlier in the file` : 'the variation has no Parent');
          continue;
        }
        const { variant, stock } = variationOf(record, known.handle, 0, context);
        delete variant.position;
        yield { kind: 'product', rows, product: { handle: known.handle, title: known.title, variants: [variant] }, categories: [], stock };
        continue;
      }
      const done = release();
      if (done) yield done;
      pendingRefused = false;
      if (types.includes('variable')) {
        pending = variableProduct(record);
      } else if (types.includes('simple')) {
        yield simpleProduct(record, context);
      } else {
        yield refused(rows, cell(record.cells, 'SKU')?.trim() ?? null, `Type "${record.cells.Type ?? ''}" is not imported (simple, variable and variation are)`);
      }
    } catch (error) {
      if (!(error instanceof RowRefusal)) throw error;
      const key = cell(record.cells, 'SKU')?.trim() ?? cell(record.cells, 'Name')?.trim() ?? null;
      if (types.includes('variation') && pending && pending.refs.includes(parentRefOf(record.cells))) {
        // One bad variation refuses its whole product: a partial set of variants would look complete.
        yield refused({ first: pending.item.rows.first, last: record.row }, pending.item.product.handle, `row ${record.row}: ${error.message}`);
        pendingRefused = true;
        pending.item.rows.last = record.row;
      } else {
        yield refused(rows, key, error.message);
      }
    }
  }
  const done = release();
  if (done) yield done;
}
