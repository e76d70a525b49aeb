// Shopify's product CSV (the admin's "Export products" and the template of its importer): one row per
// variant, the product's own fields on its first row, extra images on rows of their own, all rows of a
// product next to each other under one Handle. Rows are grouped by Handle as they stream past, so only
// one product's rows are ever held.
//
// Mapping: Handle → handle; Title, Body (HTML) → title, description; Status (or Published) → status;
// Tags → tags; Option1-3 Name/Value → options and each variant's options; Variant SKU → SKU (when empty:
// the handle and option values, so a re-run finds the same variant); Variant Price / Compare At Price →
// the price in the platform's default currency; Variant Inventory Qty → stock on hand at the default
// location; Image Src by Image Position → images; Vendor, Type, Product Category, SEO Title and SEO
// Description → attributes (vendor, productType, productCategory, seoTitle, seoDescription).
// Not kept: barcodes, weights, tax codes, cost per item, variant images, metafields.
import type { Platform } from '../../../kernel/context.ts';
import type { ProductInput, VariantInput } from '../../catalog/schemas.ts';
import type { CsvLayout, CsvRecord } from './csv-source.ts';
import { refused, RowRefusal, type ImportItem, type StockEntry } from './items.ts';
import { cell, checkedHandle, currencyDigits, isTrue, optionalPrice, parsePrice, parseQuantity, slugify, splitList } from './text.ts';

export const SHOPIFY_PRODUCT_COLUMNS = [
  'Handle', 'Title', 'Body (HTML)', 'Vendor', 'Product Category', 'Type', 'Tags', 'Published',
  'Option1 Name', 'Option1 Value', 'Option2 Name', 'Option2 Value', 'Option3 Name', 'Option3 Value',
  'Variant SKU', 'Variant Grams', 'Variant Inventory Tracker', 'Variant Inventory Qty', 'Variant Inventory Policy',
  'Variant Fulfillment Service', 'Variant Price', 'Variant Compare At Price', 'Variant Requires Shipping',
  'Variant Taxable', 'Variant Barcode', 'Image Src', 'Image Position', 'Image Alt Text', 'Gift Card',
  'SEO Title', 'SEO Description', 'Variant Image', 'Variant Weight Unit', 'Variant Tax Code', 'Cost per item', 'Status',
] as const;

export const shopifyProductsLayout: CsvLayout = {
  label: 'Shopify product CSV',
  required: ['Handle', 'Title', 'Option1 Name', 'Option1 Value', 'Variant SKU', 'Variant Price'],
  known: SHOPIFY_PRODUCT_COLUMNS,
};

const OPTION_SLOTS = [1, 2, 3] as const;

function isVariantRow(cells: Record<string, string>): boolean {
  return ['Option1 Value', 'Variant SKU', 'Variant Price'].some((column) => cell(cells, column) !== undefined);
}

function statusOf(first: Record<string, string>): ProductInput['status'] {
  const status = cell(first, 'Status')?.trim().toLowerCase();
  if (status === 'active') return 'published';
  if (status === 'draft' || status === 'archived') return status;
  if (status !== undefined) throw new RowRefusal(`Status "${status}" is not active, draft or archived`);
  return isTrue(first.Published) ? 'published' : 'draft';
}

/** One product from its rows (all with the same handle), in the platform's default currency. */
export function productFromShopifyRows(rows: readonly CsvRecord[], platform: Platform): ImportItem {
  const span = { first: rows[0]!.row, last: rows.at(-1)!.row };
  const rawHandle = rows[0]!.cells.Handle ?? '';
  try {
    const handle = checkedHandle(rawHandle, 'Handle');
    const first = rows[0]!.cells;
    const title = cell(first, 'Title')?.trim();
    if (!title) throw new RowRefusal('Title is empty on the product\'s first row');
    const currency = platform.defaultCurrency;
    const digits = currencyDigits(currency);

    const optionNames = OPTION_SLOTS.map((n) => cell(first, `Option${n} Name`)?.trim());
    const defaultOnly = optionNames[0] === 'Title' && (cell(first, 'Option1 Value')?.trim() ?? 'Default Title') === 'Default Title' && !optionNames[1];
    const options: { name: string; values: string[] }[] = defaultOnly
      ? []
      : optionNames.flatMap((name) => (name ? [{ name, values: [] as string[] }] : []));

    const variants: VariantInput[] = [];
    const stock: StockEntry[] = [];
    const images: { src: string; position: number; order: number }[] = [];
    for (const [order, { cells }] of rows.entries()) {
      const src = cell(cells, 'Image Src')?.trim();
      if (src) {
        const position = Number(cell(cells, 'Image Position') ?? '');
        images.push({ src, position: Number.isFinite(position) && position > 0 ? position : Number.MAX_SAFE_INTEGER, order });
      }
      if (!isVariantRow(cells)) continue;
      const values: Record<string, string> = {};
      if (!defaultOnly) {
        OPTION_SLOTS.forEach((n, i) => {
          const name = optionNames[i];
          const value = cell(cells, `Option${n} Value`)?.trim();
          if (!name) return;
          if (!value) throw new RowRefusal(`Option${n} Value is empty for option "${name}"`);
          values[name] = value;
          const option = options.find((o) => o.name === name)!;
          if (!option.values.includes(value)) option.values.push(value);
        });
      }
      const given = cell(cells, 'Variant SKU')?.trim();
      const sku = given ?? [handle, ...Object.values(values).map((v) => slugify(v) || v)].join('-');
      const price = parsePrice(cells['Variant Price'] ?? '', digits, 'Variant Price');
      const compareAt = optionalPrice(cells['Variant Compare At Price'], digits, 'Variant Compare At Price');
      variants.push({
        sku,
        title: Object.values(values).join(' / '),
        options: values,
        prices: [{ currency, amount: price, compareAtAmount: compareAt ?? null }],
        position: variants.length,
      });
      const quantity = cell(cells, 'Variant Inventory Qty');
      if (quantity !== undefined) stock.push({ sku, onHand: parseQuantity(quantity, 'Variant Inventory Qty') });
    }
    if (variants.length === 0) throw new RowRefusal('the product has no variant row (a row with Variant Price)');

    const attributes: Record<string, string> = {};
    const keep = (key: string, column: string) => {
      const value = cell(first, column)?.trim();
      if (value) attributes[key] = value;
    };
    keep('vendor', 'Vendor');
    keep('productType', 'Type');
    keep('productCategory', 'Product Category');
    keep('seoTitle', 'SEO Title');
    keep('seoDescription', 'SEO Description');

    images.sort((a, b) => a.position - b.position || a.order - b.order);
    const product: ProductInput = {
      handle,
      title,
      description: first['Body (HTML)'] ?? '',
      status: statusOf(first),
      options,
      images: [...new Set(images.map((i) => i.src))],
      tags: splitList(first.Tags),
      attributes,
      variants,
    };
    return { kind: 'product', rows: span, product, categories: [], stock };
  } catch (error) {
    if (error instanceof RowRefusal) return refused(span, rawHandle.trim() || null, error.message);
    throw error;
  }
}

/** Most rows one product may span (100 variants and 50 images fit easily); a longer run is refused unread. */
const MAX_ROWS_PER_PRODUCT = 1_000;

/** Groups consecutive rows by Handle and yields one item per product. */
export async function* shopifyProducts(records: AsyncIterable<CsvRecord>, platform: Platform): AsyncGenerator<ImportItem> {
  let group: CsvRecord[] = [];
  let overflow: { handle: string; first: number; last: number } | undefined;
  const flush = (): ImportItem | undefined => {
    const item = overflow
      ? refused({ first: overflow.first, last: overflow.last }, overflow.handle, `the product spans more than ${MAX_ROWS_PER_PRODUCT} rows`)
      : group.length > 0 ? productFromShopifyRows(group, platform) : undefined;
    group = [];
    overflow = undefined;
    return item;
  };
  let current = '';
  for await (const record of records) {
    const handle = (record.cells.Handle ?? '').trim().toLowerCase();
    if (!handle) {
      yield refused({ first: record.row, last: record.row }, null, 'Handle is empty');
      continue;
    }
    if (handle !== current) {
      const item = flush();
      if (item) yield item;
      current = handle;
    }
    if (overflow) overflow.last = record.row;
    else if (group.length >= MAX_ROWS_PER_PRODUCT) overflow = { handle, first: group[0]!.row, last: record.row };
    else group.push(record);
  }
  const item = flush();
  if (item) yield item;
}
