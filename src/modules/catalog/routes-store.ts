// Storefront routes (/store): published products and the category tree, in the shopper's language and
// currency. Responses are serialized once and kept in the catalog cache, so a repeated read is a map
// lookup and a socket write; the response schemas document the shapes for OpenAPI.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { catalogSettings } from './settings.ts';
import { storeRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import type { ResponseCache } from './cache.ts';
import { getCategoryTree } from './categories.ts';
import { resolveCurrency, resolveLocale } from './locale.ts';
import {
  IdOrHandleParams,
  LocaleCurrencyQuery,
  LocaleQueryOnly,
  StoreCategoryTree,
  StoreProduct,
  StoreProductList,
  StoreProductsQuery,
} from './schemas.ts';
import { getStoreProduct, listStoreProducts } from './store.ts';
import { publishedProductNotFound } from './problems.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

function sendJson(reply: FastifyReply, body: string) {
  return reply.type(JSON_TYPE).send(body);
}

/**
 * Answers from the catalog cache: a fresh hit synchronously (no promise, no microtask hop), anything
 * else (a miss, an expired entry refreshed ahead, an invalidated one) through load(), returning its
 * promise. `missing` is thrown when the loader finds nothing.
 */
function sendCached(
  cache: Pick<ResponseCache, 'get' | 'load'>,
  reply: FastifyReply,
  platformId: string,
  key: string,
  ttlMs: number,
  loader: () => Promise<string | undefined>,
  missing?: () => Error,
): void | Promise<void> {
  const hit = cache.get(platformId, key);
  if (hit !== undefined) {
    sendJson(reply, hit);
    return;
  }
  return cache.load(platformId, key, ttlMs, loader).then((body): void => {
    if (body === undefined) throw missing?.() ?? new Error(`the catalog loader for "${key}" returned nothing`);
    sendJson(reply, body);
  });
}

export function storeRoutes(app: FastifyInstance, ctx: ModuleContext, cache: ResponseCache): void {
  const { r, doc } = storeRouteKit(app, ctx, 'catalog', [{ publishableKey: [] }]);
  const ttl = ctx.config.catalogCacheTtlMs;
  // With no TTL and no coalescing every read runs its query (the uncached benchmark measures that).
  const reads: Pick<ResponseCache, 'get' | 'load'> =
    ttl <= 0 && !ctx.config.catalogCoalesce ? { get: () => undefined, load: (_platform, _key, _ttl, loader) => loader() } : cache;

  r.get(
    '/store/products',
    {
      schema: doc('List published products with filters, search, sort and cursor pagination', {
        querystring: StoreProductsQuery,
        response: { 200: StoreProductList, ...errorResponses(400, 404) },
      }),
    },
    (request, reply) => {
      const platform = platformOf(request);
      const q = request.query;
      const currency = resolveCurrency(platform, q.currency);
      const locale = resolveLocale(platform, q.locale, request.headers['accept-language']);
      const limit = q.limit ?? catalogSettings(platform).defaultPageSize;
      const key = ['list', q.category, q.minPrice, q.maxPrice, q.attribute?.join('\u0002'), q.q, q.sort, limit, q.cursor, locale, currency].join('\u0001');
      return sendCached(reads, reply, platform.id, key, ttl, async () =>
        JSON.stringify(await listStoreProducts(ctx.platformDb(platform.id), platform, { ...q, limit, locale, currency })),
      );
    },
  );

  r.get(
    '/store/products/:idOrHandle',
    {
      schema: doc('One published product by id or handle', {
        params: IdOrHandleParams,
        querystring: LocaleCurrencyQuery,
        response: { 200: StoreProduct, ...errorResponses(400, 404) },
      }),
    },
    (request, reply) => {
      const platform = platformOf(request);
      const { idOrHandle } = request.params;
      const currency = resolveCurrency(platform, request.query.currency);
      const locale = resolveLocale(platform, request.query.locale, request.headers['accept-language']);
      const key = `product\u0001${idOrHandle}\u0001${locale}\u0001${currency}`;
      return sendCached(
        reads,
        reply,
        platform.id,
        key,
        ttl,
        async () => {
          const product = await getStoreProduct(ctx.platformDb(platform.id), platform, idOrHandle, { locale, currency });
          return product ? JSON.stringify(product) : undefined;
        },
        () => publishedProductNotFound(idOrHandle),
      );
    },
  );

  r.get(
    '/store/categories',
    {
      schema: doc('The category tree', {
        querystring: LocaleQueryOnly,
        response: { 200: StoreCategoryTree, ...errorResponses(404) },
      }),
    },
    (request, reply) => {
      const platform = platformOf(request);
      const locale = resolveLocale(platform, request.query.locale, request.headers['accept-language']);
      const key = `categories\u0001${locale}`;
      return sendCached(reads, reply, platform.id, key, ttl, async () =>
        JSON.stringify({ items: await getCategoryTree(ctx.platformDb(platform.id), platform, locale) }),
      );
    },
  );
}
