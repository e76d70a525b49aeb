// Wishlist routes: a logged-in customer's saved products on the storefront, and the most-wished list
// for the platform's admins. Handlers parse and authorise; the service does the work.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit, storeRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { requireCustomer } from '../accounts/index.ts';
import { LocaleCurrencyQuery, resolveCurrency, resolveLocale } from '../catalog/index.ts';
import { MostWishedList, MostWishedQuery, ProductParams, Wishlist } from './schemas.ts';
import type { WishlistsService } from './service.ts';

export function wishlistRoutes(app: FastifyInstance, ctx: ModuleContext, wishlists: WishlistsService): void {
  const { r, doc } = storeRouteKit(app, ctx, 'wishlists', [{ publishableKey: [], customerBearer: [] }]);
  const admin = adminRouteKit(app, ctx, 'wishlists');
  const customerOf = async (request: FastifyRequest) => {
    const platform = platformOf(request);
    const pdb = ctx.platformDb(platform.id);
    return { platform, pdb, customer: await requireCustomer(pdb, request) };
  };

  r.get('/store/wishlist', {
    schema: doc('The logged-in customer’s saved products, newest first', { querystring: LocaleCurrencyQuery, response: { 200: Wishlist, ...errorResponses(400, 401, 404) } }),
  }, async (request) => {
    const { platform, pdb, customer } = await customerOf(request);
    const view = { currency: resolveCurrency(platform, request.query.currency), locale: resolveLocale(platform, request.query.locale, request.headers['accept-language']) };
    return { items: await wishlists.listItems(pdb, platform, customer.id, view) };
  });

  r.put('/store/wishlist/items/:productId', {
    schema: doc('Save a published product (idempotent)', { params: ProductParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 409) } }),
  }, async (request, reply) => {
    const { platform, pdb, customer } = await customerOf(request);
    await pdb.transaction((tx) => wishlists.addItem(tx, platform, customer.id, request.params.productId.toLowerCase()));
    return reply.code(204).send(null);
  });

  r.delete('/store/wishlist/items/:productId', {
    schema: doc('Remove a saved product (204 whether or not it was saved)', { params: ProductParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 404) } }),
  }, async (request, reply) => {
    const { pdb, customer } = await customerOf(request);
    await pdb.transaction((tx) => wishlists.removeItem(tx, customer.id, request.params.productId.toLowerCase()));
    return reply.code(204).send(null);
  });

  r.get('/admin/platforms/:platform/wishlists/most-wished', {
    schema: admin.doc('The products most customers saved', { params: Type.Object({ platform: Type.String() }), querystring: MostWishedQuery, response: { 200: MostWishedList, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request) => ({ items: await wishlists.mostWished(admin.pdbOf(request), request.query.limit ?? 20) }));
}
