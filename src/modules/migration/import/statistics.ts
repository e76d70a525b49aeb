// Planner statistics for tables an import is filling. PostgreSQL plans a statement from the statistics
// it last gathered; for a platform whose tables were empty when the import began, those say "empty", so
// the foreign-key checks and the lookups by SKU or handle keep being planned as scans of a tiny table
// while it grows to hundreds of thousands of rows, and every batch costs more than the one before
// (measured: the 32nd batch of variants took five times the first on PostgreSQL). Autovacuum would
// notice within a minute on PostgreSQL; PGlite has no autovacuum at all. So the importer ANALYZEs the
// tables it writes each time the rows it created have doubled: a handful of times for any file, each
// bounded (ANALYZE reads a sample, not the table), and the plans after it are the right ones.
// ANALYZE touches no row and needs only the name of each table, so no module's data is read here.
import type { Database } from '../../../kernel/db/types.ts';

/** The tables a product or customer import grows (their modules' migrations own them). */
export const IMPORTED_TABLES = {
  products: [
    'catalog_products', 'catalog_variants', 'catalog_prices', 'catalog_product_prices', 'catalog_product_categories',
    'catalog_categories', 'inventory_levels', 'inventory_ledger', 'event_outbox',
  ],
  customers: ['customers'],
  orders: ['orders', 'order_lines', 'order_history'],
  coupons: ['promotions_coupons'],
} as const;
export type ImportedKind = keyof typeof IMPORTED_TABLES;

/** The first refresh after this many created rows of a kind, then each time the count doubles. */
const FIRST_REFRESH = 1_000;

export class StatisticsRefresher {
  private readonly created = new Map<ImportedKind, number>();
  private readonly next = new Map<ImportedKind, number>();
  private failed = false;

  constructor(private readonly db: Pick<Database, 'execute'> | undefined) {}

  /** Counts rows just committed; ANALYZEs the kind's tables when the count has doubled since the last time. */
  async record(kind: ImportedKind, rows: number): Promise<void> {
    if (!this.db || this.failed || rows <= 0) return;
    const total = (this.created.get(kind) ?? 0) + rows;
    this.created.set(kind, total);
    if (total < (this.next.get(kind) ?? FIRST_REFRESH)) return;
    this.next.set(kind, total * 2);
    try {
      await this.db.execute(`analyze ${IMPORTED_TABLES[kind].join(', ')}`);
    } catch {
      // A role that does not own the tables may not ANALYZE them: the import is then only slower.
      this.failed = true;
    }
  }
}
