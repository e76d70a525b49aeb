// The wishlists module: customers save products for later; admins see which products are most wished.
// It is the smallest complete module and the walk-through in docs/ARCHITECTURE.md ("Writing a module")
// follows it: its table, one service, routes, an event it emits, one it handles, its problems and tests.
import type { SoukModule } from '../../kernel/context.ts';
import { EVENT_PRODUCT_ARCHIVED } from '../catalog/index.ts';
import { wishlistDocs } from './openapi.ts';
import { wishlistRoutes } from './routes.ts';
import { wishlistsService, type WishlistsService } from './service.ts';

/** What the module keeps per running Souk: its service, bound once to the context. */
export interface WishlistsRuntime {
  wishlists: WishlistsService;
}

export const wishlistsModule: SoukModule<WishlistsRuntime> = {
  name: 'wishlists',
  core: false,
  dependsOn: ['accounts', 'catalog', 'events'],
  description: 'Customers save products for later; admins see the most-wished products.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['wishlist_items'],
  openapi: wishlistDocs,
  createRuntime: (ctx) => ({ wishlists: wishlistsService(ctx) }),
  routes: (app, ctx, { wishlists }) => wishlistRoutes(app, ctx, wishlists),
  subscribe(ctx, { wishlists }) {
    // An archived product can no longer be bought: it leaves every wishlist of its platform.
    ctx.events.subscribe(
      'wishlists.forget-archived',
      [EVENT_PRODUCT_ARCHIVED],
      async (event, tx) => {
        if (event.platformId) await wishlists.forgetProduct(tx.platform(event.platformId), event.payload.productId);
      },
      { forModule: 'wishlists' },
    );
  },
};

export * from './service.ts';
export * from './events.ts';
