// Which of a list of product and category ids exist on this platform, for modules that store references
// into the catalog (a coupon's scope). Those modules never read catalog tables; they ask here, and refuse
// what comes back as unknown. An archived product still exists: a reference to it is not a mistake.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';

export interface CatalogRefs {
  productIds?: readonly string[];
  categoryIds?: readonly string[];
}

export interface UnknownCatalogRefs {
  /** The product ids, as the caller wrote them, that name no product on this platform. */
  productIds: string[];
  /** The category ids, as the caller wrote them, that name no category on this platform. */
  categoryIds: string[];
}

async function unknownIn(pdb: PlatformDb, table: 'catalog_products' | 'catalog_categories', given: readonly string[]): Promise<string[]> {
  const ids = [...new Set(given.filter(isUuid).map((id) => id.toLowerCase()))];
  const found = new Set<string>();
  if (ids.length > 0) {
    // platform_id = $1 is what makes another platform's id "unknown" here.
    const rows = await pdb.query<{ id: string }>(`select id from ${table} where platform_id = $1 and id = any($2::uuid[])`, [ids]);
    for (const row of rows) found.add(row.id);
  }
  return given.filter((id) => !isUuid(id) || !found.has(id.toLowerCase()));
}

/** The ids in refs that exist nowhere in this platform's catalog (both lists empty when all are known). */
export async function unknownCatalogIds(pdb: PlatformDb, refs: CatalogRefs): Promise<UnknownCatalogRefs> {
  return {
    productIds: await unknownIn(pdb, 'catalog_products', refs.productIds ?? []),
    categoryIds: await unknownIn(pdb, 'catalog_categories', refs.categoryIds ?? []),
  };
}

export interface CatalogHandles {
  /** Handle by product id, for the ids found. */
  products: Map<string, string>;
  /** Handle by category id, for the ids found. */
  categories: Map<string, string>;
}

async function pairs(pdb: PlatformDb, table: 'catalog_products' | 'catalog_categories', column: 'id' | 'handle', given: readonly string[]) {
  const values = [...new Set(column === 'id' ? given.filter(isUuid).map((id) => id.toLowerCase()) : given)];
  if (values.length === 0) return [];
  return pdb.query<{ id: string; handle: string }>(
    `select id, handle from ${table} where platform_id = $1 and ${column} = any($2::${column === 'id' ? 'uuid' : 'text'}[])`,
    [values],
  );
}

/** Handles of the given product and category ids (an export names a coupon's scope by handle, as ids differ between platforms). */
export async function catalogHandlesOf(pdb: PlatformDb, refs: CatalogRefs): Promise<CatalogHandles> {
  const products = await pairs(pdb, 'catalog_products', 'id', refs.productIds ?? []);
  const categories = await pairs(pdb, 'catalog_categories', 'id', refs.categoryIds ?? []);
  return { products: new Map(products.map((r) => [r.id, r.handle])), categories: new Map(categories.map((r) => [r.id, r.handle])) };
}

/** Ids of the given product and category handles on this platform (an import turns a scope by handle back into ids). */
export async function catalogIdsByHandle(pdb: PlatformDb, handles: { products?: readonly string[]; categories?: readonly string[] }): Promise<CatalogHandles> {
  const products = await pairs(pdb, 'catalog_products', 'handle', handles.products ?? []);
  const categories = await pairs(pdb, 'catalog_categories', 'handle', handles.categories ?? []);
  return { products: new Map(products.map((r) => [r.handle, r.id])), categories: new Map(categories.map((r) => [r.handle, r.id])) };
}
