// Categories: a tree per platform (parent/child), handles unique per platform. Writes refuse a parent
// that would make a cycle and a delete that would orphan children; product links go with a category.
import type { Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isUuid, newId } from '../../kernel/ids.ts';
import { catalogChanged } from './cache.ts';
import { localized, type Translations } from './locale.ts';
import { checkHandle } from './rules.ts';
import type { AdminCategory, CategoryInput, CategoryPatch, StoreCategoryNode } from './schemas.ts';
import { iso, STORE_CATEGORIES_SQL } from './views.ts';
import { categoryCycle, categoryHandleTaken, categoryHasChildren, categoryNotFound, categoryOwnParent, duplicateCategoryHandle, unknownCategory } from './problems.ts';

const CATEGORY_COLUMNS = `c.id, c.parent_id, c.handle, c.name, c.description, c.position, c.translations,
  ${iso('c.created_at')} as created_at, ${iso('c.updated_at')} as updated_at`;

interface CategoryRow {
  id: string;
  parent_id: string | null;
  handle: string;
  name: string;
  description: string;
  position: number;
  translations: AdminCategory['translations'];
  created_at: string;
  updated_at: string;
}

function toAdminCategory(row: CategoryRow): AdminCategory {
  return {
    id: row.id,
    handle: row.handle,
    name: row.name,
    description: row.description,
    parentId: row.parent_id,
    position: row.position,
    translations: row.translations,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listCategories(pdb: PlatformDb): Promise<AdminCategory[]> {
  const rows = await pdb.query<CategoryRow>(
    `select ${CATEGORY_COLUMNS} from catalog_categories c where c.platform_id = $1 order by c.position, c.handle`,
  );
  return rows.map(toAdminCategory);
}

export async function getCategory(pdb: PlatformDb, categoryId: string): Promise<AdminCategory | undefined> {
  const row = await pdb.maybeOne<CategoryRow>(
    `select ${CATEGORY_COLUMNS} from catalog_categories c where c.platform_id = $1 and c.id = $2`,
    [categoryId],
  );
  return row && toAdminCategory(row);
}

/** The whole tree, localized, children ordered by position then handle. */
export async function getCategoryTree(pdb: PlatformDb, platform: Platform, locale: string): Promise<StoreCategoryNode[]> {
  const rows = await listCategories(pdb);
  const nodes = new Map<string, StoreCategoryNode>();
  for (const row of rows) {
    const translations = row.translations as Translations;
    nodes.set(row.id, {
      id: row.id,
      handle: row.handle,
      name: localized(row.name, translations, 'name', locale, platform.defaultLocale),
      description: localized(row.description, translations, 'description', locale, platform.defaultLocale),
      parentId: row.parentId,
      children: [],
    });
  }
  const roots: StoreCategoryNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/**
 * Ids of categories named by id or handle; throws 400 naming the first unknown one. The map is keyed by
 * the reference as given.
 */
export async function resolveCategoryRefs(pdb: PlatformDb, refs: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(refs)];
  if (unique.length === 0) return new Map();
  const ids = unique.filter(isUuid).map((r) => r.toLowerCase());
  const handles = unique.filter((r) => !isUuid(r));
  const rows = await pdb.query<{ id: string; handle: string }>(
    `select id, handle from catalog_categories where platform_id = $1 and (handle = any($2::text[]) or id = any($3::uuid[]))`,
    [handles, ids],
  );
  const resolved = new Map<string, string>();
  for (const ref of unique) {
    const row = rows.find((r) => (isUuid(ref) ? r.id === ref.toLowerCase() : r.handle === ref));
    if (!row) throw unknownCategory(ref);
    resolved.set(ref, row.id);
  }
  return resolved;
}

/** The category and all categories below it. */
export async function categoryWithDescendants(pdb: PlatformDb, categoryId: string): Promise<string[]> {
  const rows = await pdb.query<{ id: string }>(
    `with recursive down as (
       select id from catalog_categories where platform_id = $1 and id = $2
       union
       select c.id from catalog_categories c join down on c.parent_id = down.id where c.platform_id = $1
     ) select id from down`,
    [categoryId],
  );
  return rows.map((r) => r.id);
}

/** Refuses to hang a category under itself or one of its descendants. */
export async function assertNoCycle(pdb: PlatformDb, categoryId: string, parentId: string): Promise<void> {
  if (categoryId === parentId) throw categoryOwnParent();
  const below = await categoryWithDescendants(pdb, categoryId);
  if (below.includes(parentId)) {
    throw categoryCycle();
  }
}

async function parentIdOf(pdb: PlatformDb, parent: string | null | undefined): Promise<string | null> {
  if (parent === null || parent === undefined) return null;
  const resolved = await resolveCategoryRefs(pdb, [parent]);
  return resolved.get(parent) ?? null;
}

async function assertHandleFree(pdb: PlatformDb, handle: string, exceptId?: string): Promise<void> {
  const taken = await pdb.maybeOne<{ id: string }>(
    'select id from catalog_categories where platform_id = $1 and handle = $2',
    [handle],
  );
  if (taken && taken.id !== exceptId) throw categoryHandleTaken(handle);
}

export async function createCategory(pdb: PlatformDb, input: CategoryInput): Promise<AdminCategory> {
  checkHandle(input.handle);
  const id = newId();
  await pdb.transaction(async (tx) => {
    await assertHandleFree(tx, input.handle);
    const parentId = await parentIdOf(tx, input.parent);
    await tx.execute(
      `insert into catalog_categories (platform_id, id, parent_id, handle, name, description, position, translations)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [id, parentId, input.handle, input.name, input.description ?? '', input.position ?? 0, JSON.stringify(input.translations ?? {})],
    );
  });
  await catalogChanged(pdb);
  return (await getCategory(pdb, id)) as AdminCategory;
}

/** The products linked to any of the categories. */
async function productsInCategories(tx: PlatformDb, categoryIds: readonly string[]): Promise<string[]> {
  if (categoryIds.length === 0) return [];
  const rows = await tx.query<{ product_id: string }>(
    'select distinct product_id from catalog_product_categories where platform_id = $1 and category_id = any($2::uuid[])',
    [categoryIds],
  );
  return rows.map((r) => r.product_id);
}

/** Rewrites the category handles the storefront reads from these products' rows (see views.ts). */
async function refreshStoreCategories(tx: PlatformDb, productIds: readonly string[]): Promise<void> {
  if (productIds.length === 0) return;
  await tx.execute(`update catalog_products p set store_categories = ${STORE_CATEGORIES_SQL} where p.platform_id = $1 and p.id = any($2::uuid[])`, [productIds]);
}

export async function updateCategory(pdb: PlatformDb, categoryId: string, patch: CategoryPatch): Promise<AdminCategory> {
  if (patch.handle !== undefined) checkHandle(patch.handle);
  await pdb.transaction(async (tx) => {
    const current = await tx.maybeOne<{ id: string }>(
      'select id from catalog_categories where platform_id = $1 and id = $2 for update',
      [categoryId],
    );
    if (!current) throw categoryNotFound(categoryId);
    if (patch.handle !== undefined) await assertHandleFree(tx, patch.handle, categoryId);
    const parentId = patch.parent === undefined ? undefined : await parentIdOf(tx, patch.parent);
    if (parentId) await assertNoCycle(tx, categoryId, parentId);
    await tx.execute(
      `update catalog_categories set
         handle = coalesce($3, handle),
         name = coalesce($4, name),
         description = coalesce($5, description),
         position = coalesce($6, position),
         translations = coalesce($7::jsonb, translations),
         parent_id = case when $8 then $9::uuid else parent_id end,
         updated_at = now()
       where platform_id = $1 and id = $2`,
      [
        categoryId,
        patch.handle ?? null,
        patch.name ?? null,
        patch.description ?? null,
        patch.position ?? null,
        patch.translations === undefined ? null : JSON.stringify(patch.translations),
        parentId !== undefined,
        parentId ?? null,
      ],
    );
    // A new handle or place in the order changes how the category shows on its products.
    if (patch.handle !== undefined || patch.position !== undefined) await refreshStoreCategories(tx, await productsInCategories(tx, [categoryId]));
  });
  await catalogChanged(pdb);
  return (await getCategory(pdb, categoryId)) as AdminCategory;
}

export async function deleteCategory(pdb: PlatformDb, categoryId: string): Promise<void> {
  await pdb.transaction(async (tx) => {
    const current = await tx.maybeOne<{ id: string }>(
      'select id from catalog_categories where platform_id = $1 and id = $2 for update',
      [categoryId],
    );
    if (!current) throw categoryNotFound(categoryId);
    const child = await tx.maybeOne<{ handle: string }>(
      'select handle from catalog_categories where platform_id = $1 and parent_id = $2 limit 1',
      [categoryId],
    );
    if (child) {
      throw categoryHasChildren(child.handle);
    }
    const products = await productsInCategories(tx, [categoryId]);
    await tx.execute('delete from catalog_categories where platform_id = $1 and id = $2', [categoryId]);
    await refreshStoreCategories(tx, products);
  });
  await catalogChanged(pdb);
}

/**
 * Upserts categories by handle, in the given order (a parent must come first or exist already); used by
 * bulk imports. Returns counts; unchanged rows are not written.
 */
export async function upsertCategories(
  tx: PlatformDb,
  inputs: readonly CategoryInput[],
): Promise<{ created: number; updated: number; unchanged: number }> {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  if (inputs.length === 0) return counts;
  const reordered: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    checkHandle(input.handle);
    if (seen.has(input.handle)) throw duplicateCategoryHandle(input.handle);
    seen.add(input.handle);
  }
  const existing = new Map(
    (
      await tx.query<{ id: string; handle: string }>(
        'select id, handle from catalog_categories where platform_id = $1 and handle = any($2::text[])',
        [[...seen]],
      )
    ).map((r) => [r.handle, r.id]),
  );
  for (const input of inputs) {
    const parentId = input.parent ? (existing.get(input.parent) ?? (await parentIdOf(tx, input.parent))) : null;
    const id = existing.get(input.handle);
    const translations = input.translations === undefined ? null : JSON.stringify(input.translations);
    if (id === undefined) {
      const newCategoryId = newId();
      await tx.execute(
        `insert into catalog_categories (platform_id, id, parent_id, handle, name, description, position, translations)
         values ($1, $2, $3, $4, $5, $6, $7, coalesce($8::jsonb, '{}'::jsonb))`,
        [newCategoryId, parentId, input.handle, input.name, input.description ?? '', input.position ?? 0, translations],
      );
      existing.set(input.handle, newCategoryId);
      counts.created += 1;
      continue;
    }
    // `parent` left out keeps the current parent; null or a reference sets it.
    const setParent = input.parent !== undefined;
    if (setParent && parentId) await assertNoCycle(tx, id, parentId);
    const { rowCount } = await tx.execute(
      `update catalog_categories c set
         name = $3, description = coalesce($4, c.description), position = coalesce($5, c.position),
         translations = coalesce($6::jsonb, c.translations),
         parent_id = case when $7 then $8::uuid else c.parent_id end, updated_at = now()
       where c.platform_id = $1 and c.id = $2
         and (c.name, c.description, c.position, c.translations, c.parent_id) is distinct from
             ($3, coalesce($4, c.description), coalesce($5, c.position), coalesce($6::jsonb, c.translations),
              case when $7 then $8::uuid else c.parent_id end)`,
      [id, input.name, input.description ?? null, input.position ?? null, translations, setParent, parentId],
    );
    if (rowCount > 0) {
      counts.updated += 1;
      reordered.push(id);
    } else counts.unchanged += 1;
  }
  // Handles are the key here, but a new position reorders the categories shown on their products.
  await refreshStoreCategories(tx, await productsInCategories(tx, reordered));
  return counts;
}
