// What a file format's reader hands the importer: one item per product, customer or category it found,
// with the rows it came from (a Shopify product spans several rows), or a refusal with its reason.
// Readers only translate columns; every write goes through the catalogue's, inventory's and accounts'
// services in apply.ts, so an import obeys the same rules as the admin API.
import type { CategoryInput, ProductInput } from '../../catalog/schemas.ts';

/** Rows of the file, as a spreadsheet numbers them: the header is row 1 (JSON lines: line numbers). */
export interface RowSpan {
  first: number;
  last: number;
}

export interface StockEntry {
  sku: string;
  onHand: number;
}

export interface ProductItem {
  kind: 'product';
  rows: RowSpan;
  product: ProductInput;
  /** Categories the product names that the file defines (upserted by handle with it). */
  categories: CategoryInput[];
  /** Quantities on hand at the default location, by SKU (variants without one keep their stock). */
  stock: StockEntry[];
}

export interface ImportedCustomer {
  email: string;
  name: string;
}

export interface CustomerItem {
  kind: 'customer';
  rows: RowSpan;
  customer: ImportedCustomer;
}

export interface CategoryItem {
  kind: 'category';
  rows: RowSpan;
  category: CategoryInput;
}

/** A coupon of a Souk export; its scope named by product and category handles (ids differ between platforms). */
export interface CouponItem {
  kind: 'coupon';
  rows: RowSpan;
  /** The coupon's fields as exported (checked against the promotions module's import schema). */
  coupon: Record<string, unknown>;
  productHandles: string[];
  categoryHandles: string[];
}

/** An order of a Souk export, imported as history (checked against the orders module's import schema). */
export interface OrderItem {
  kind: 'order';
  rows: RowSpan;
  order: Record<string, unknown>;
}

export interface RefusedItem {
  kind: 'refused';
  rows: RowSpan;
  /** The handle, SKU or email the rows were about, when the reader got that far. */
  key: string | null;
  reason: string;
}

/** Records the format carries but this import does not write (the settings line of a Souk export). */
export interface SkippedItem {
  kind: 'skipped';
  rows: RowSpan;
  what: string;
}

export type ImportItem = ProductItem | CustomerItem | CategoryItem | CouponItem | OrderItem | RefusedItem | SkippedItem;

export const refused = (rows: RowSpan, key: string | null, reason: string): RefusedItem => ({ kind: 'refused', rows, key, reason });

/** A row-level refusal a reader raises while it translates; caught and turned into a RefusedItem. */
export class RowRefusal extends Error {
  override name = 'RowRefusal';
}
