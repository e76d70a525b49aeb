// A platform as CSV, one kind per file. Products and customers are written in Shopify's layouts, so the
// file opens in any spreadsheet and imports back (`--format shopify-products` / `shopify-customers`);
// that layout has one price per variant (the platform's default currency) and no categories or
// translations, so JSON lines is the export that keeps everything. Orders are one row per order line,
// coupons one row per coupon, settings one row per setting. UTF-8 with a byte-order mark, which is what
// makes Excel read Chinese text correctly (the import accepts it with or without).
import { stringify } from 'csv-stringify/sync';
import { SHOPIFY_CUSTOMER_COLUMNS } from '../import/shopify-customers.ts';
import { SHOPIFY_PRODUCT_COLUMNS } from '../import/shopify-products.ts';
import { currencyDigits } from '../import/text.ts';
import { exportedCoupons, exportedCustomers, exportedOrders, exportedProducts, settingsOf, type ExportedProduct, type ExportKind, type ExportSource } from './lines.ts';

const BOM = '\uFEFF';
const row = (cells: readonly unknown[]) => stringify([cells.map((c) => (c === null || c === undefined ? '' : typeof c === 'object' ? JSON.stringify(c) : String(c)))]);

/** Minor units back to the decimal text a CSV price column holds (1990 → "19.90"). */
export function decimalPrice(amount: number, digits: number): string {
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const STATUS_OUT: Record<ExportedProduct['status'], string> = { published: 'active', draft: 'draft', archived: 'archived' };

/** A product's rows in Shopify's layout: a row per variant, then rows for images beyond them. */
export function shopifyRows(product: ExportedProduct, currency: string): Record<string, string>[] {
  const digits = currencyDigits(currency);
  const attr = (key: string) => (typeof product.attributes[key] === 'string' ? (product.attributes[key] as string) : '');
  const names = product.options.map((o) => o.name);
  const rows: Record<string, string>[] = [];
  const count = Math.max(product.variants.length, product.images.length);
  for (let i = 0; i < count; i++) {
    const r: Record<string, string> = { Handle: product.handle };
    if (i === 0) {
      Object.assign(r, {
        Title: product.title,
        'Body (HTML)': product.description,
        Vendor: attr('vendor'),
        'Product Category': attr('productCategory'),
        Type: attr('productType'),
        Tags: product.tags.join(', '),
        Published: product.status === 'published' ? 'TRUE' : 'FALSE',
        'SEO Title': attr('seoTitle'),
        'SEO Description': attr('seoDescription'),
        Status: STATUS_OUT[product.status],
      });
      if (names.length === 0) Object.assign(r, { 'Option1 Name': 'Title' });
      names.forEach((name, n) => (r[`Option${n + 1} Name`] = name));
    }
    const variant = product.variants[i];
    if (variant) {
      if (names.length === 0) r['Option1 Value'] = 'Default Title';
      names.forEach((name, n) => (r[`Option${n + 1} Value`] = variant.options[name] ?? ''));
      const price = variant.prices.find((p) => p.currency === currency);
      r['Variant SKU'] = variant.sku;
      r['Variant Price'] = price ? decimalPrice(price.amount, digits) : '';
      r['Variant Compare At Price'] = price?.compareAtAmount != null ? decimalPrice(price.compareAtAmount, digits) : '';
      if (variant.onHand !== undefined) {
        r['Variant Inventory Tracker'] = 'shopify';
        r['Variant Inventory Qty'] = String(variant.onHand);
      }
    }
    if (product.images[i]) {
      r['Image Src'] = product.images[i]!;
      r['Image Position'] = String(i + 1);
    }
    rows.push(r);
  }
  return rows;
}

const ORDER_COLUMNS = [
  'Order ID', 'Number', 'Created At', 'Status', 'Payment Status', 'Customer ID', 'Email', 'Currency', 'Subtotal', 'Discount',
  'Shipping', 'Tax', 'Total', 'Paid', 'Refunded', 'Coupon', 'Line SKU', 'Line Title', 'Line Quantity', 'Line Unit Price', 'Line Total',
];

const COUPON_COLUMNS = ['Code', 'Kind', 'Amount', 'Currency', 'Percent', 'Min Subtotal', 'Starts At', 'Ends At', 'Usage Limit', 'Times Used', 'Per Customer Limit', 'Status', 'Description', 'Product IDs', 'Category IDs'];

/** The CSV text of one kind, a row at a time. */
export async function* exportCsv(source: ExportSource, kind: ExportKind): AsyncGenerator<string> {
  yield BOM;
  switch (kind) {
    case 'products': {
      yield row(SHOPIFY_PRODUCT_COLUMNS);
      for await (const product of exportedProducts(source)) {
        for (const r of shopifyRows(product, source.platform.defaultCurrency)) yield row(SHOPIFY_PRODUCT_COLUMNS.map((c) => r[c] ?? ''));
      }
      return;
    }
    case 'customers': {
      yield row(SHOPIFY_CUSTOMER_COLUMNS);
      // The whole name goes in First Name: split names cannot be told apart reliably (Chinese names).
      for await (const c of exportedCustomers(source)) yield row(SHOPIFY_CUSTOMER_COLUMNS.map((col) => (col === 'Email' ? c.email : col === 'First Name' ? c.name : '')));
      return;
    }
    case 'orders': {
      yield row(ORDER_COLUMNS);
      for await (const o of exportedOrders(source)) {
        const digits = currencyDigits(o.currency);
        const money = (n: number) => decimalPrice(n, digits);
        const head = [o.id, o.number, o.createdAt, o.status, o.paymentStatus, o.customerId, o.email, o.currency, money(o.totals.subtotal), money(o.totals.discount), money(o.totals.shipping), money(o.totals.tax), money(o.totals.total), money(o.paidAmount), money(o.refundedAmount), o.couponCode];
        for (const l of o.lines) yield row([...head, l.sku, [l.productTitle, l.title].filter(Boolean).join(' / '), l.quantity, money(l.unitPrice), money(l.lineTotal)]);
      }
      return;
    }
    case 'coupons': {
      yield row(COUPON_COLUMNS);
      for await (const c of exportedCoupons(source)) {
        yield row([c.code, c.kind, c.amount, c.currency, c.percent, c.minSubtotal, c.startsAt, c.endsAt, c.usageLimit, c.timesUsed, c.perCustomerLimit, c.status, c.description, c.productIds.join(' '), c.categoryIds.join(' ')]);
      }
      return;
    }
    case 'settings': {
      yield row(['Setting', 'Value']);
      for (const [key, value] of Object.entries(settingsOf(source.platform))) yield row([key, value]);
      return;
    }
  }
}
