// Product → categories, for modules that scope something by category (coupons). A product "is in" a
// category when it is linked to it or to any category below it, so each product's set holds the linked
// categories and all their ancestors: "applies to Clothing" then also covers a product filed under Shirts.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid } from '../../kernel/ids.ts';

/** Each known product's categories and their ancestors; products with no category map to an empty list. */
export async function getProductCategoryIds(pdb: PlatformDb, productIds: readonly string[]): Promise<Map<string, string[]>> {
  const ids = [...new Set(productIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  // union (not union all) ends the walk even if a bad parent chain ever made a loop.
  const rows = await pdb.query<{ product_id: string; category_id: string }>(
    `with recursive up as (
       select pc.product_id, c.id as category_id, c.parent_id
       from catalog_product_categories pc
       join catalog_categories c on c.platform_id = $1 and c.id = pc.category_id
       where pc.platform_id = $1 and pc.product_id = any($2::uuid[])
       union
       select up.product_id, c.id, c.parent_id
       from up join catalog_categories c on c.platform_id = $1 and c.id = up.parent_id
     ) select product_id, category_id from up`,
    [ids],
  );
  for (const row of rows) result.get(row.product_id)?.push(row.category_id);
  return result;
}
