// A platform as JSON lines, read a page at a time through each module's service, so an export of any
// size streams: a first line naming the export, the platform's settings, categories (parents first),
// products with their variants, prices and stock on hand, customers, coupons (their scope also by handle)
// and orders. Every line but the settings is what `souk import --format jsonl` reads back.
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { customersPage, type ExportedCustomer } from '../../accounts/index.ts';
import { catalogService, type AdminCategory, type AdminProduct } from '../../catalog/service.ts';
import { inventoryService } from '../../inventory/service.ts';
import { ordersService, type Order } from '../../orders/service.ts';
import { promotionsService, type Coupon } from '../../promotions/service.ts';

export const EXPORT_KINDS = ['settings', 'products', 'customers', 'coupons', 'orders'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const isExportKind = (value: string): value is ExportKind => (EXPORT_KINDS as readonly string[]).includes(value);

/** What the services read through need of the kernel; a ModuleContext satisfies it. */
export type ExportDeps = Pick<ModuleContext, 'events' | 'platforms' | 'runtimeOf'>;

export interface ExportSource {
  deps: ExportDeps;
  platform: Platform;
  pdb: PlatformDb;
}

const PAGE = 200;

/** The module each kind is read through (settings and customers are always there). */
export function kindAvailable(platform: Platform, kind: ExportKind): boolean {
  const needs: Partial<Record<ExportKind, string>> = { products: 'catalog', coupons: 'promotions', orders: 'orders' };
  const module = needs[kind];
  return module === undefined || platform.modules.includes(module);
}

export interface ExportedVariant {
  sku: string;
  title: string;
  options: Record<string, string>;
  position: number;
  prices: { currency: string; amount: number; compareAtAmount: number | null }[];
  onHand?: number;
}

/** A product as the import's ProductInput has it (handles for categories), plus stock on hand. */
export interface ExportedProduct {
  handle: string;
  title: string;
  description: string;
  status: AdminProduct['status'];
  translations: AdminProduct['translations'];
  options: AdminProduct['options'];
  images: string[];
  tags: string[];
  attributes: Record<string, unknown>;
  categories: string[];
  variants: ExportedVariant[];
}

export interface ExportedCategory {
  handle: string;
  name: string;
  description: string;
  parent: string | null;
  position: number;
  translations: AdminCategory['translations'];
}

/** Categories with every parent before its children. */
export function categoriesParentsFirst(categories: readonly AdminCategory[]): ExportedCategory[] {
  const byId = new Map(categories.map((c) => [c.id, c]));
  const out: ExportedCategory[] = [];
  const done = new Set<string>();
  const visit = (category: AdminCategory, depth: number) => {
    if (done.has(category.id) || depth > categories.length) return;
    const parent = category.parentId ? byId.get(category.parentId) : undefined;
    if (parent) visit(parent, depth + 1);
    done.add(category.id);
    out.push({
      handle: category.handle,
      name: category.name,
      description: category.description,
      parent: parent?.handle ?? null,
      position: category.position,
      translations: category.translations,
    });
  };
  for (const category of categories) visit(category, 0);
  return out;
}

/** Every product with its stock, a page at a time. */
export async function* exportedProducts(source: ExportSource): AsyncGenerator<ExportedProduct> {
  const catalog = catalogService(source.deps);
  const inventory = source.platform.modules.includes('inventory') ? inventoryService(source.deps) : undefined;
  let after: string | null = null;
  for (;;) {
    const page: AdminProduct[] = await catalog.productsPage(source.pdb, after, PAGE);
    const onHand = inventory ? await inventory.onHandByVariant(source.pdb, page.flatMap((p) => p.variants.map((v) => v.id))) : new Map<string, number>();
    for (const product of page) {
      yield {
        handle: product.handle,
        title: product.title,
        description: product.description,
        status: product.status,
        translations: product.translations,
        options: product.options,
        images: product.images,
        tags: product.tags,
        attributes: product.attributes,
        categories: product.categories.map((c) => c.handle),
        variants: product.variants.map((v) => ({
          sku: v.sku,
          title: v.title,
          options: v.options,
          position: v.position,
          prices: v.prices.map((p) => ({ currency: p.currency, amount: p.amount, compareAtAmount: p.compareAtAmount ?? null })),
          ...(onHand.has(v.id) ? { onHand: onHand.get(v.id)! } : {}),
        })),
      };
    }
    if (page.length < PAGE) return;
    after = page.at(-1)!.id;
  }
}

export async function* exportedCustomers(source: ExportSource): AsyncGenerator<ExportedCustomer> {
  let after: string | null = null;
  for (;;) {
    const page: ExportedCustomer[] = await customersPage(source.pdb, after, 500);
    yield* page;
    if (page.length < 500) return;
    after = page.at(-1)!.id;
  }
}

export async function* exportedCoupons(source: ExportSource): AsyncGenerator<Coupon> {
  const promotions = promotionsService(source.deps);
  let cursor: string | undefined;
  do {
    const page = await promotions.listCoupons(source.pdb, { limit: 100, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export async function* exportedOrders(source: ExportSource): AsyncGenerator<Order> {
  const orders = ordersService(source.deps);
  let cursor: string | undefined;
  do {
    const page = await orders.listOrders(source.pdb, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export function settingsOf(platform: Platform) {
  return {
    slug: platform.slug,
    name: platform.name,
    defaultCurrency: platform.defaultCurrency,
    currencies: platform.currencies,
    defaultLocale: platform.defaultLocale,
    locales: platform.locales,
    modules: platform.modules,
    settings: platform.settings,
  };
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/** The JSON lines of the kinds asked for, in dependency order. */
export async function* exportJsonLines(source: ExportSource, kinds: readonly ExportKind[]): AsyncGenerator<string> {
  const wanted = EXPORT_KINDS.filter((k) => kinds.includes(k) && kindAvailable(source.platform, k));
  yield line({ kind: 'souk-export', version: 1, platform: source.platform.slug, exportedAt: new Date().toISOString(), kinds: wanted });
  if (wanted.includes('settings')) yield line({ kind: 'settings', platform: settingsOf(source.platform) });
  if (wanted.includes('products')) {
    for (const category of categoriesParentsFirst(await catalogService(source.deps).listCategories(source.pdb))) yield line({ kind: 'category', ...category });
    for await (const product of exportedProducts(source)) yield line({ kind: 'product', ...product });
  }
  if (wanted.includes('customers')) for await (const c of exportedCustomers(source)) yield line({ kind: 'customer', email: c.email, name: c.name, createdAt: c.createdAt });
  if (wanted.includes('coupons')) {
    const catalog = source.platform.modules.includes('catalog') ? catalogService(source.deps) : undefined;
    for await (const coupon of exportedCoupons(source)) {
      // The scope also by handle: ids are the old platform's, handles are what an import finds again.
      const handles = catalog && (coupon.productIds.length > 0 || coupon.categoryIds.length > 0) ? await catalog.catalogHandlesOf(source.pdb, coupon) : undefined;
      const products = coupon.productIds.flatMap((id) => handles?.products.get(id) ?? []);
      const categories = coupon.categoryIds.flatMap((id) => handles?.categories.get(id) ?? []);
      yield line({ kind: 'coupon', coupon, products, categories });
    }
  }
  if (wanted.includes('orders')) for await (const order of exportedOrders(source)) yield line({ kind: 'order', order });
}
