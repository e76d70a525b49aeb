// Storefront read: how many units of each published variant can be bought now (all locations summed).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { problemSchema, type ProblemBody } from '../../kernel/http/problem.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { isUuid } from '../../kernel/ids.ts';
import { catalogService } from '../catalog/service.ts';
import { availableByVariant } from './levels.ts';
import { Availability, AvailabilityQuery, MAX_LINES } from './schemas.ts';
import { invalidVariantIds } from './problems.ts';

const Problem = Type.Unsafe<ProblemBody>(problemSchema);

export function storeRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/store/inventory/availability',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Units available now per published variant; unknown or unpublished variants are left out',
        security: [{ publishableKey: [] }],
        querystring: AvailabilityQuery,
        response: { 200: Availability, 400: Problem, 404: Problem },
      },
    },
    async (request) => {
      const ids = [...new Set(request.query.variantIds.split(',').map((id) => id.toLowerCase()))];
      if (ids.length > MAX_LINES || !ids.every(isUuid)) {
        throw invalidVariantIds(MAX_LINES);
      }
      const pdb = ctx.platformDb(platformOf(request).id);
      const published = (await catalogService(ctx).getVariantRefs(pdb, ids)).filter((v) => v.productStatus === 'published').map((v) => v.variantId);
      const available = await availableByVariant(pdb, published);
      return { items: published.map((variantId) => ({ variantId, available: available.get(variantId) ?? 0, inStock: (available.get(variantId) ?? 0) > 0 })) };
    },
  );
}
