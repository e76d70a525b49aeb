// The wishlists module's service: what routes and other modules call. Bind it once to its dependencies,
// then call it with a PlatformDb (a transaction where it writes):
//
//   const wishlists = wishlistsService(ctx);
//   await pdb.transaction((tx) => wishlists.addItem(tx, platform, customerId, productId));
//
// It reads products only through the catalog's service (a wishlist never looks at catalog tables) and
// throws the HttpProblems of problems.ts, which roll the caller's transaction back.
import type { EventsApi, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { catalogService, type StoreProduct } from '../catalog/service.ts';
import { EVENT_ITEM_ADDED } from './events.ts';
import { productNotWishable, wishlistFull } from './problems.ts';

/** More than this and a wishlist stops being a list a person reads. */
export const WISHLIST_LIMIT = 200;

/** The bus wishlist.item_added goes out on; emitMany too, because the catalog service it reads products
 *  through takes the same bus. A ModuleContext satisfies it. */
export interface WishlistsDeps {
  events: Pick<EventsApi, 'emit' | 'emitMany'>;
}

export interface WishlistItem {
  productId: string;
  addedAt: string;
  /** The product as the storefront shows it; null once it is no longer published. */
  product: StoreProduct | null;
}

export interface MostWished {
  productId: string;
  customers: number;
}

export interface WishlistsService {
  /** The customer's saved products, newest first, with their storefront view in the given locale and currency. */
  listItems(pdb: PlatformDb, platform: Platform, customerId: string, view: { locale: string; currency: string }): Promise<WishlistItem[]>;
  /** Saves a published product; true when it was new, false when it was already there (nothing emitted). */
  addItem(tx: PlatformDb, platform: Platform, customerId: string, productId: string): Promise<boolean>;
  /** Removes a product; false when it was not there. */
  removeItem(tx: PlatformDb, customerId: string, productId: string): Promise<boolean>;
  /** Removes a product from every wishlist of the platform (it was archived). */
  forgetProduct(tx: PlatformDb, productId: string): Promise<number>;
  /** The products most customers saved, for merchandising. */
  mostWished(pdb: PlatformDb, limit: number): Promise<MostWished[]>;
}

interface ItemRow {
  product_id: string;
  added_at: Date | string;
}

export function wishlistsService(deps: WishlistsDeps): WishlistsService {
  const catalog = catalogService(deps);
  return {
    async listItems(pdb, platform, customerId, view) {
      const rows = await pdb.query<ItemRow>(
        'select product_id, added_at from wishlist_items where platform_id = $1 and customer_id = $2 order by added_at desc, product_id',
        [customerId],
      );
      const products = await catalog.getStoreProducts(pdb, platform, rows.map((row) => row.product_id), view);
      return rows.map((row) => ({ productId: row.product_id, addedAt: new Date(row.added_at).toISOString(), product: products.get(row.product_id) ?? null }));
    },

    async addItem(tx, platform, customerId, productId) {
      const view = { locale: platform.defaultLocale, currency: platform.defaultCurrency };
      if (!(await catalog.getStoreProduct(tx, platform, productId, view))) throw productNotWishable(productId);
      // One add per customer at a time (a row lock cannot cover rows not yet inserted), so two concurrent
      // adds cannot both pass the limit check.
      await tx.query(`select pg_advisory_xact_lock(hashtext('wishlist_items:' || $1::text || ':' || $2::text))`, [customerId]);
      const held = await tx.query<{ product_id: string }>('select product_id from wishlist_items where platform_id = $1 and customer_id = $2', [
        customerId,
      ]);
      if (held.some((row) => row.product_id === productId)) return false;
      if (held.length >= WISHLIST_LIMIT) throw wishlistFull(WISHLIST_LIMIT);
      const { rowCount } = await tx.execute(
        'insert into wishlist_items (platform_id, customer_id, product_id) values ($1, $2, $3) on conflict do nothing',
        [customerId, productId],
      );
      if (rowCount === 0) return false;
      await deps.events.emit(tx, EVENT_ITEM_ADDED, { customerId, productId }, { key: customerId });
      return true;
    },

    async removeItem(tx, customerId, productId) {
      const { rowCount } = await tx.execute('delete from wishlist_items where platform_id = $1 and customer_id = $2 and product_id = $3', [
        customerId,
        productId,
      ]);
      return rowCount > 0;
    },

    async forgetProduct(tx, productId) {
      const { rowCount } = await tx.execute('delete from wishlist_items where platform_id = $1 and product_id = $2', [productId]);
      return rowCount;
    },

    async mostWished(pdb, limit) {
      const rows = await pdb.query<{ product_id: string; customers: number }>(
        `select product_id, count(*)::int as customers from wishlist_items where platform_id = $1
         group by product_id order by customers desc, product_id limit $2`,
        [limit],
      );
      return rows.map((row) => ({ productId: row.product_id, customers: row.customers }));
    },
  };
}
