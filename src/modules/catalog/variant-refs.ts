// Variants by id in any product status, for modules that keep per-variant data of their own (inventory
// sets stock on draft products too). Storefront-facing callers want getSellableVariants instead.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';

export interface VariantRef {
  variantId: string;
  productId: string;
  sku: string;
  title: string;
  productTitle: string;
  productStatus: 'draft' | 'published' | 'archived';
}

/** The variants among variantIds that exist on this platform; unknown or malformed ids are simply absent. */
export async function getVariantRefs(pdb: PlatformDb, variantIds: readonly string[]): Promise<VariantRef[]> {
  const ids = [...new Set(variantIds.filter(isUuid))];
  if (ids.length === 0) return [];
  const rows = await pdb.query<{ id: string; product_id: string; sku: string; title: string; product_title: string; status: VariantRef['productStatus'] }>(
    `select v.id, v.product_id, v.sku, v.title, p.title as product_title, p.status
     from catalog_variants v
     join catalog_products p on p.platform_id = $1 and p.id = v.product_id
     where v.platform_id = $1 and v.id = any($2::uuid[])`,
    [ids],
  );
  return rows.map((r) => ({ variantId: r.id, productId: r.product_id, sku: r.sku, title: r.title, productTitle: r.product_title, productStatus: r.status }));
}

/** Variant and product ids by SKU for the SKUs that exist on this platform (imports: stock, order lines). */
export async function getVariantIdsBySku(pdb: PlatformDb, skus: readonly string[]): Promise<Map<string, { variantId: string; productId: string }>> {
  if (skus.length === 0) return new Map();
  const rows = await pdb.query<{ id: string; sku: string; product_id: string }>(
    'select id, sku, product_id from catalog_variants where platform_id = $1 and sku = any($2::text[])',
    [[...new Set(skus)]],
  );
  return new Map(rows.map((r) => [r.sku, { variantId: r.id, productId: r.product_id }]));
}
