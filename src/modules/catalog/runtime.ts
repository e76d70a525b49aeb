// What the catalog module keeps per running Souk: the storefront response cache and, on PostgreSQL, the
// listener for other nodes' catalogue writes. Both live between the module's start and stop, so a
// closed Souk neither holds cached bodies nor keeps a LISTEN connection.
import type { ModuleContext } from '../../kernel/context.ts';
import { attachCache, CATALOG_CHANNEL, ResponseCache } from './cache.ts';

export interface CatalogRuntime {
  cache: ResponseCache;
  /** Undoes start: detaches the cache from local writes and stops listening for other nodes'. */
  detach: (() => Promise<void>) | undefined;
}

export function createCatalogRuntime(): CatalogRuntime {
  return { cache: new ResponseCache(), detach: undefined };
}

export async function startCatalog(ctx: ModuleContext, rt: CatalogRuntime): Promise<void> {
  const detachLocal = attachCache(rt.cache);
  // On PostgreSQL several nodes cache storefront reads: each listens for the others' catalogue writes,
  // so the TTL is only the fallback for a lost notification.
  const listen = ctx.db.listen;
  let unlisten: (() => Promise<void>) | undefined;
  try {
    unlisten = listen ? await listen.call(ctx.db, CATALOG_CHANNEL, (platformId) => rt.cache.invalidate(platformId), () => rt.cache.invalidateAll()) : undefined;
  } catch (error) {
    detachLocal();
    throw error;
  }
  rt.detach = async () => {
    detachLocal();
    await unlisten?.();
  };
}

export async function stopCatalog(rt: CatalogRuntime): Promise<void> {
  const detach = rt.detach;
  rt.detach = undefined;
  await detach?.();
  rt.cache.invalidateAll();
}
