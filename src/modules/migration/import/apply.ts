// The importer: takes a reader's items one at a time, writes them in batches through the catalogue's bulk
// upsert (products by handle, variants by SKU, categories by handle), the inventory service (stock on
// hand at the default location, only where it differs), the accounts service (customers by email), the
// promotions service (coupons by code) and the orders service (orders by number, as history).
// A batch is one transaction. When the catalogue refuses a batch, its items are retried one by one so a
// bad product is reported with its rows and the good ones around it still import. A dry run does the
// same work and rolls every transaction back, so its counts are what a real run would do.
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import { withoutRide, type PlatformDb } from '../../../kernel/db/scoped.ts';
import { isHttpProblem } from '../../../kernel/http/problem.ts';
import { invalidValue } from '../../../kernel/http/problems.ts';
import { importCustomers } from '../../accounts/index.ts';
import { catalogService, CategoryInputSchema, ProductInputSchema, type CatalogDeps, type CategoryInput } from '../../catalog/service.ts';
import { inventoryService, MAX_ON_HAND, type Actor, type InventoryDeps } from '../../inventory/service.ts';
import type { CategoryItem, CouponItem, CustomerItem, ImportItem, OrderItem, ProductItem, RowSpan, StockEntry } from './items.ts';
import { ordersService, OrderImportSchema, type OrderImport } from '../../orders/service.ts';
import { promotionsService, CouponImportSchema, type CouponImport } from '../../promotions/service.ts';
import { StatisticsRefresher } from './statistics.ts';
import type { Database } from '../../../kernel/db/types.ts';

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportCounts {
  products: Counts;
  variants: Counts;
  categories: Counts;
  customers: Counts;
  /** Coupons of a Souk export, by code. */
  coupons: Counts;
  /** Orders of a Souk export, as history, by number (never updated: an order already there is unchanged). */
  orders: Counts;
  /** Variants whose stock on hand was set, and those already at the file's quantity. */
  stock: { set: number; unchanged: number };
  /** Products, customers, categories, coupons or orders refused, each reported with its rows. */
  refused: number;
  /** Records of kinds this import does not write (the settings line of a Souk export). */
  skipped: number;
}

export interface ImportError {
  firstRow: number;
  lastRow: number;
  key: string | null;
  reason: string;
}

export interface ImportTarget {
  /** The services' dependencies, and the database the planner statistics are refreshed on (statistics.ts). */
  deps: CatalogDeps & InventoryDeps & Pick<ModuleContext, 'events' | 'platforms' | 'runtimeOf'> & { db?: Pick<Database, 'execute'> };
  platform: Platform;
  pdb: PlatformDb;
  dryRun: boolean;
  /** Who the stock ledger names (the admin behind the job, or the CLI). */
  actor: Actor;
  /** The ledger's reference for stock set by this import. */
  reference: string;
}

export const emptyCounts = (): ImportCounts => ({
  products: { created: 0, updated: 0, unchanged: 0 },
  variants: { created: 0, updated: 0, unchanged: 0 },
  categories: { created: 0, updated: 0, unchanged: 0 },
  customers: { created: 0, updated: 0, unchanged: 0 },
  coupons: { created: 0, updated: 0, unchanged: 0 },
  orders: { created: 0, updated: 0, unchanged: 0 },
  stock: { set: 0, unchanged: 0 },
  refused: 0,
  skipped: 0,
});

const MAX_BATCH_PRODUCTS = 200;
const MAX_BATCH_VARIANTS = 2_000;
const MAX_BATCH_CUSTOMERS = 500;
const MAX_BATCH_CATEGORIES = 200;
const MAX_BATCH_COUPONS = 200;
const MAX_BATCH_ORDERS = 200;

/** Thrown inside a dry run's transaction to roll it back once its counts are taken. */
class DryRunRollback extends Error {}

const add = (into: Counts, from: Counts) => {
  into.created += from.created;
  into.updated += from.updated;
  into.unchanged += from.unchanged;
};

// Compiled once: every product of a file is checked, and the interpreted check was a twentieth of an
// import's CPU.
const checkers = new Map<TSchema, Validator>();

function schemaError(schema: TSchema, value: unknown, what: string): string | undefined {
  let checker = checkers.get(schema);
  if (!checker) checkers.set(schema, (checker = Compile(schema)));
  if (checker.Check(value)) return undefined;
  const first = checker.Errors(value)[0];
  const path = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : what;
  return `${path} ${first?.message ?? 'is invalid'}`;
}

function stockError(stock: readonly StockEntry[]): string | undefined {
  const bad = stock.find((s) => !Number.isSafeInteger(s.onHand) || s.onHand < 0 || s.onHand > MAX_ON_HAND);
  return bad ? `the stock of ${bad.sku} (${bad.onHand}) is not a whole number from 0 to ${MAX_ON_HAND}` : undefined;
}

/** The fields of an exported coupon an import carries (its id, dates and ids of the old platform stay behind). */
function couponFields(coupon: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, createdAt: _created, updatedAt: _updated, productIds: _products, categoryIds: _categories, ...fields } = coupon;
  // The export writes null for "not set"; the coupon input leaves such a field out.
  return Object.fromEntries(Object.entries(fields).filter(([name, value]) => value !== null || name === 'usageLimit' || name === 'perCustomerLimit' || name === 'startsAt' || name === 'endsAt'));
}

export class Importer {
  readonly counts = emptyCounts();
  /** The last row of the file handed over so far (progress). */
  rowsDone = 0;
  private products: ProductItem[] = [];
  private productVariants = 0;
  private customers: CustomerItem[] = [];
  private categories: CategoryItem[] = [];
  private coupons: CouponItem[] = [];
  private orders: OrderItem[] = [];
  /** A dry run's categories: rolled back after their batch, so written again before each product batch. */
  private readonly dryRunCategories = new Map<string, CategoryInput>();
  private readonly catalog;
  private readonly inventory;
  private readonly statistics;
  private readonly promotions;
  private readonly orderHistory;

  constructor(
    private readonly target: ImportTarget,
    private readonly onError: (error: ImportError) => Promise<void> | void,
  ) {
    this.catalog = catalogService(target.deps);
    this.inventory = target.platform.modules.includes('inventory') ? inventoryService(target.deps) : undefined;
    // A dry run's rows are rolled back: the tables do not grow, so their statistics stay right.
    this.statistics = new StatisticsRefresher(target.dryRun ? undefined : target.deps.db);
    this.promotions = target.platform.modules.includes('promotions') ? promotionsService(target.deps) : undefined;
    this.orderHistory = target.platform.modules.includes('orders') ? ordersService(target.deps) : undefined;
  }

  async add(item: ImportItem): Promise<void> {
    this.rowsDone = Math.max(this.rowsDone, item.rows.last);
    switch (item.kind) {
      case 'refused':
        return this.refuse(item.rows, item.key, item.reason);
      case 'skipped':
        this.counts.skipped += 1;
        return;
      case 'category': {
        const problem = schemaError(CategoryInputSchema, item.category, 'category');
        if (problem) return this.refuse(item.rows, String((item.category as { handle?: unknown }).handle ?? '') || null, problem);
        await this.flushExcept('category');
        this.categories.push(item);
        if (this.categories.length >= MAX_BATCH_CATEGORIES) await this.flushCategories();
        return;
      }
      case 'customer':
        await this.flushExcept('customer');
        this.customers.push(item);
        if (this.customers.length >= MAX_BATCH_CUSTOMERS) await this.flushCustomers();
        return;
      case 'coupon': {
        const key = typeof item.coupon.code === 'string' ? item.coupon.code : null;
        if (!this.promotions) return this.refuse(item.rows, key, 'this platform does not have the promotions module, so it has no coupons');
        const problem = schemaError(CouponImportSchema, couponFields(item.coupon), 'coupon');
        if (problem) return this.refuse(item.rows, key, problem);
        await this.flushExcept('coupon');
        this.coupons.push(item);
        if (this.coupons.length >= MAX_BATCH_COUPONS) await this.flushCoupons();
        return;
      }
      case 'order': {
        const key = typeof item.order.number === 'string' ? item.order.number : null;
        if (!this.orderHistory) return this.refuse(item.rows, key, 'this platform does not have the orders module, so it has no orders');
        const problem = schemaError(OrderImportSchema, item.order, 'order');
        if (problem) return this.refuse(item.rows, key, problem);
        await this.flushExcept('order');
        this.orders.push(item);
        if (this.orders.length >= MAX_BATCH_ORDERS) await this.flushOrders();
        return;
      }
      case 'product': {
        const key = typeof item.product.handle === 'string' ? item.product.handle : null;
        const problem = schemaError(ProductInputSchema, item.product, 'product') ?? stockError(item.stock);
        const badCategory = item.categories.map((c) => schemaError(CategoryInputSchema, c, 'category')).find(Boolean);
        if (problem || badCategory) return this.refuse(item.rows, key, (problem ?? badCategory)!);
        await this.flushExcept('product');
        const variants = item.product.variants?.length ?? 0;
        // One handle per batch: a later item for the same product (a late variation) waits for the next.
        if (this.products.some((p) => p.product.handle === item.product.handle) || this.productVariants + variants > MAX_BATCH_VARIANTS) {
          await this.flushProducts();
        }
        this.products.push(item);
        this.productVariants += variants;
        if (this.products.length >= MAX_BATCH_PRODUCTS) await this.flushProducts();
        return;
      }
    }
  }

  /** Writes what is still pending. */
  async finish(): Promise<void> {
    await this.flushExcept('none');
  }

  /** Writes the other kinds' pending batches first, so each record finds what came before it in the file
   *  (a coupon its products, an order its variants and its customer). */
  private async flushExcept(kind: 'product' | 'customer' | 'category' | 'coupon' | 'order' | 'none'): Promise<void> {
    if (kind !== 'category') await this.flushCategories();
    if (kind !== 'product') await this.flushProducts();
    if (kind !== 'customer') await this.flushCustomers();
    if (kind !== 'coupon') await this.flushCoupons();
    if (kind !== 'order') await this.flushOrders();
  }

  async refuse(rows: RowSpan, key: string | null, reason: string): Promise<void> {
    this.counts.refused += 1;
    await this.onError({ firstRow: rows.first, lastRow: rows.last, key, reason });
  }

  /** Runs fn in a transaction: committed, or for a dry run rolled back after it returned. */
  private async inTransaction<T>(fn: (tx: PlatformDb) => Promise<T>): Promise<T> {
    if (!this.target.dryRun) return this.target.pdb.transaction(fn);
    let result: T | undefined;
    try {
      // Without queryThenCommit: a last statement riding with a commit would commit the dry run.
      await this.target.pdb.transaction(async (tx) => {
        result = await fn(withoutRide(tx));
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
    return result as T;
  }

  /** Writes a batch; when it is refused, each item alone, refusing those that fail by themselves. */
  private async inBatchOrAlone<I extends { rows: RowSpan }>(items: I[], write: (batch: I[]) => Promise<void>, keyOf: (item: I) => string | null): Promise<void> {
    if (items.length === 0) return;
    try {
      await write(items);
      return;
    } catch (error) {
      if (!isHttpProblem(error)) throw error;
      if (items.length === 1) return this.refuse(items[0]!.rows, keyOf(items[0]!), error.detail);
    }
    for (const item of items) {
      try {
        await write([item]);
      } catch (error) {
        if (!isHttpProblem(error)) throw error;
        await this.refuse(item.rows, keyOf(item), error.detail);
      }
    }
  }

  private async flushProducts(): Promise<void> {
    const items = this.products;
    this.products = [];
    this.productVariants = 0;
    await this.inBatchOrAlone(items, (batch) => this.writeProducts(batch), (item) => item.product.handle);
  }

  private async writeProducts(batch: ProductItem[]): Promise<void> {
    const categories = new Map<string, CategoryInput>();
    for (const item of batch) for (const category of item.categories) if (!categories.has(category.handle)) categories.set(category.handle, category);
    const outcome = await this.inTransaction(async (tx) => {
      if (this.dryRunCategories.size > 0) {
        await this.catalog.bulkUpsertProducts(tx, this.target.platform, { categories: [...this.dryRunCategories.values()], products: [] });
      }
      const result = await this.catalog.bulkUpsertProducts(tx, this.target.platform, { categories: [...categories.values()], products: batch.map((i) => i.product) });
      const stock = await this.writeStock(tx, batch.flatMap((i) => i.stock));
      return { result, stock };
    });
    add(this.counts.products, outcome.result.products);
    add(this.counts.variants, outcome.result.variants);
    add(this.counts.categories, outcome.result.categories);
    this.counts.stock.set += outcome.stock.set;
    this.counts.stock.unchanged += outcome.stock.unchanged;
    await this.statistics.record('products', outcome.result.products.created + outcome.result.variants.created + outcome.stock.set);
  }

  /** Sets stock on hand where the file's quantity differs from what is available now. */
  private async writeStock(tx: PlatformDb, entries: StockEntry[]): Promise<{ set: number; unchanged: number }> {
    if (!this.inventory || entries.length === 0) return { set: 0, unchanged: 0 };
    const ids = await this.catalog.getVariantIdsBySku(tx, entries.map((e) => e.sku));
    const available = await this.inventory.availableByVariant(tx, [...ids.values()].map((v) => v.variantId));
    const counts = entries.flatMap((e) => {
      const variantId = ids.get(e.sku)?.variantId;
      return variantId && available.get(variantId) !== e.onHand ? [{ variantId, onHand: e.onHand }] : [];
    });
    const set = await this.inventory.setStockMany(tx, counts, { reason: 'import', reference: this.target.reference, actor: this.target.actor });
    return { set, unchanged: entries.length - set };
  }

  private async flushCustomers(): Promise<void> {
    const items = this.customers;
    this.customers = [];
    await this.inBatchOrAlone(
      items,
      async (batch) => {
        const counts = await this.inTransaction((tx) => importCustomers(tx, batch.map((i) => i.customer)));
        add(this.counts.customers, counts);
        await this.statistics.record('customers', counts.created);
      },
      (item) => item.customer.email,
    );
  }

  private async flushCoupons(): Promise<void> {
    const items = this.coupons;
    this.coupons = [];
    if (!this.promotions) return;
    const promotions = this.promotions;
    await this.inBatchOrAlone(
      items,
      async (batch) => {
        const counts = await this.inTransaction(async (tx) => {
          // The scope by handle, as this platform's ids; a handle it does not have refuses the coupon
          // (a coupon for "these products" must not silently become one for the whole cart).
          const ids = await this.catalog.catalogIdsByHandle(tx, { products: batch.flatMap((i) => i.productHandles), categories: batch.flatMap((i) => i.categoryHandles) });
          const coupons = batch.map((item): CouponImport => {
            const missing = [...item.productHandles.filter((h) => !ids.products.has(h)), ...item.categoryHandles.filter((h) => !ids.categories.has(h))];
            if (missing.length > 0) throw invalidValue(`coupon ${String(item.coupon.code)} applies to ${missing.join(', ')}, which this platform's catalogue does not have (import the products first)`);
            return {
              ...(couponFields(item.coupon) as CouponImport),
              productIds: item.productHandles.map((h) => ids.products.get(h)!),
              categoryIds: item.categoryHandles.map((h) => ids.categories.get(h)!),
            };
          });
          return promotions.importCoupons(tx, this.target.platform, coupons);
        });
        add(this.counts.coupons, counts);
        await this.statistics.record('coupons', counts.created);
      },
      (item) => (typeof item.coupon.code === 'string' ? item.coupon.code : null),
    );
  }

  private async flushOrders(): Promise<void> {
    const items = this.orders;
    this.orders = [];
    if (!this.orderHistory) return;
    const orders = this.orderHistory;
    await this.inBatchOrAlone(
      items,
      async (batch) => {
        const counts = await this.inTransaction((tx) => orders.importOrders(tx, batch.map((i) => i.order as unknown as OrderImport)));
        add(this.counts.orders, { ...counts, updated: 0 });
        await this.statistics.record('orders', counts.created);
      },
      (item) => (typeof item.order.number === 'string' ? item.order.number : null),
    );
  }

  private async flushCategories(): Promise<void> {
    // A handle given twice: the later line wins (a batch may name each handle once).
    const items = [...new Map(this.categories.map((c) => [c.category.handle, c])).values()];
    this.categories = [];
    await this.inBatchOrAlone(
      items,
      async (batch) => {
        const result = await this.inTransaction((tx) => this.catalog.bulkUpsertProducts(tx, this.target.platform, { categories: batch.map((i) => i.category), products: [] }));
        add(this.counts.categories, result.categories);
        if (this.target.dryRun) for (const item of batch) this.dryRunCategories.set(item.category.handle, item.category);
      },
      (item) => item.category.handle,
    );
  }
}
