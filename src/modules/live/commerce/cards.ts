// The pinned product card of a room: the product with its live price (catalog, the platform's default
// currency and locale) and stock (inventory, summed over locations). Pinning writes the room row, then
// sends the card to every node's viewers and keeps it as the room's state for joiners; the commerce
// clock (runtime.ts) re-reads pinned cards every couple of seconds and sends a card whose price or stock
// changed.
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import type { PlatformDb } from '../../../kernel/db/scoped.ts';
import { catalogService } from '../../catalog/service.ts';
import { inventoryService } from '../../inventory/service.ts';
import type { RoomHub } from '../hub/hub.ts';
import { roomNotFound, roomNotInState } from '../problems.ts';
import { productNotFound } from './problems.ts';
import type { ProductCard } from './schemas.ts';

export const CARD = 'card';

/** The card frame: { type: "card", card } (card null: unpinned). */
export const cardFrame = (card: ProductCard | null) => ({ type: 'card', card });

/** The product as a card now, or undefined when it is not (or no longer) published on the platform. */
export async function productCard(ctx: ModuleContext, platform: Platform, productId: string, pinnedAt: string): Promise<ProductCard | undefined> {
  const pdb = ctx.platformDb(platform.id);
  const product = await catalogService(ctx).getStoreProduct(pdb, platform, productId, { locale: platform.defaultLocale, currency: platform.defaultCurrency });
  if (!product) return undefined;
  const stock = await inventoryService(ctx).availableByVariant(pdb, product.variants.map((v) => v.id));
  const variants = product.variants.map((v) => ({ id: v.id, title: v.title, price: v.price, compareAtPrice: v.compareAtPrice, available: Math.max(0, Number(stock.get(v.id) ?? 0)) }));
  const available = variants.reduce((sum, v) => sum + v.available, 0);
  return {
    productId: product.id,
    title: product.title,
    imageUrl: product.images[0] ?? null,
    currency: product.currency,
    price: product.priceRange?.min ?? null,
    variants,
    available,
    inStock: available > 0,
    pinnedAt,
  };
}

/** The room's pinned card as it is now (null when none is pinned or its product went away). */
export async function pinnedCard(ctx: ModuleContext, platform: Platform, roomId: string): Promise<ProductCard | null> {
  const row = await ctx.platformDb(platform.id).maybeOne<{ pinned_product_id: string | null; pinned_at: Date | string | null }>(
    'select pinned_product_id, pinned_at from live_rooms where platform_id = $1 and id = $2',
    [roomId],
  );
  if (!row?.pinned_product_id) return null;
  return (await productCard(ctx, platform, row.pinned_product_id, new Date(row.pinned_at!).toISOString())) ?? null;
}

async function setPinned(pdb: PlatformDb, roomId: string, productId: string | null): Promise<void> {
  const [row] = await pdb.query<{ state: string }>(
    `update live_rooms set pinned_product_id = $3, pinned_at = case when $3::uuid is null then null else now() end, updated_at = now()
     where platform_id = $1 and id = $2 returning state`,
    [roomId, productId],
  );
  if (!row) throw roomNotFound(roomId);
  if (row.state === 'ended' && productId) throw roomNotInState(roomId, row.state, 'scheduled or live');
}

export async function pinCard(ctx: ModuleContext, hub: RoomHub, platform: Platform, roomId: string, productId: string): Promise<ProductCard> {
  const card = await productCard(ctx, platform, productId, new Date().toISOString());
  if (!card) throw productNotFound(productId);
  await setPinned(ctx.platformDb(platform.id), roomId, productId);
  await hub.effect(platform.id, roomId, { kind: 'broadcast', frame: cardFrame(card), lane: 'high', keep: CARD });
  return card;
}

export async function unpinCard(ctx: ModuleContext, hub: RoomHub, platform: Platform, roomId: string): Promise<void> {
  await setPinned(ctx.platformDb(platform.id), roomId, null);
  await hub.effect(platform.id, roomId, { kind: 'broadcast', frame: cardFrame(null), lane: 'high', keep: CARD });
}
