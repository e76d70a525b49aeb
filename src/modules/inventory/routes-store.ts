// Storefront read: how many units of each published variant can be bought now (all locations summed).
import type { FastifyInstance } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { storeRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { isUuid } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import { availableByVariant } from './levels.ts';
import { Availability, AvailabilityQuery, MAX_LINES } from './schemas.ts';
import { invalidVariantIds } from './problems.ts';


export function storeRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = storeRouteKit(app, ctx, 'inventory', [{ publishableKey: [] }]);
  r.get(
    '/store/inventory/availability',
    {
      schema: doc('Units available now per published variant; unknown or unpublished variants are left out', {
        querystring: AvailabilityQuery,
        response: { 200: Availability, ...errorResponses(400, 404) },
      }),
    },
    async (request) => {
      const ids = [...new Set(request.query.variantIds.split(',').map((id) => id.toLowerCase()))];
      if (ids.length > MAX_LINES || !ids.every(isUuid)) {
        throw invalidVariantIds(MAX_LINES);
      }
      const pdb = pdbOf(request);
      const published = (await catalogService(ctx).getVariantRefs(pdb, ids)).filter((v) => v.productStatus === 'published').map((v) => v.variantId);
      const available = await availableByVariant(pdb, published);
      return { items: published.map((variantId) => ({ variantId, available: available.get(variantId) ?? 0, inStock: (available.get(variantId) ?? 0) > 0 })) };
    },
  );
}
