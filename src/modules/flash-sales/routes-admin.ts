// Admin routes (/admin/platforms/:platform/flash-sales/…): schedule, list, show, cancel, live stats and
// reconciliation. The kernel hook has authenticated the principal and set request.platform.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, platformOf } from '../../kernel/http/tenancy.ts';
import { cancelSale, getSale, scheduleSale } from './lifecycle.ts';
import { reconcileSale } from './reconcile.ts';
import type { FlashRuntime } from './runtime.ts';
import { listSales } from './sales.ts';
import { AdminSaleParams, PlatformParams, ReconcileReport, Sale, SaleList, SaleStats, SalesQuery, ScheduleInput } from './schemas.ts';
import { saleStats } from './views.ts';

const tags = ['flash-sales'];
const security = [{ adminBearer: [] }];
const base = '/admin/platforms/:platform/flash-sales';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext, rt: FlashRuntime): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const db = (request: FastifyRequest) => ctx.platformDb(platformOf(request).id);

  r.post(
    base,
    {
      schema: {
        tags,
        security,
        summary: 'Schedule a flash sale: its quantity is carved out of normal stock now and returned at the end',
        description: 'Variants must be published; prices are in the platform’s default currency. 409 out_of_stock when normal stock cannot cover the sale quantity.',
        params: PlatformParams,
        body: ScheduleInput,
        response: { 201: Sale, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await scheduleSale(rt, db(request), platformOf(request), request.body, actorIdOf(request))),
  );

  r.get(
    base,
    { schema: { tags, security, summary: 'Flash sales, newest first', params: PlatformParams, querystring: SalesQuery, response: { 200: SaleList, ...errorResponses(400, 401, 404) } } },
    async (request) => listSales(db(request), request.query),
  );

  r.get(
    `${base}/:saleId`,
    { schema: { tags, security, summary: 'One flash sale with its items', params: AdminSaleParams, response: { 200: Sale, ...errorResponses(400, 401, 404) } } },
    async (request) => getSale(db(request), request.params.saleId),
  );

  r.post(
    `${base}/:saleId/cancel`,
    {
      schema: {
        tags,
        security,
        summary: 'Cancel a sale before or during it: purchases stop and the carve-out returns to normal stock',
        description: 'Orders already created stay payable; tickets still waiting for their order are cancelled.',
        params: AdminSaleParams,
        response: { 200: Sale, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cancelSale(rt, db(request), request.params.saleId, actorIdOf(request)),
  );

  r.get(
    `${base}/:saleId/stats`,
    {
      schema: {
        tags,
        security,
        summary: 'Live numbers: gate counters and remaining, tickets by status, orders created, queue depth, drain rate',
        params: AdminSaleParams,
        response: { 200: SaleStats, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => saleStats(rt, db(request), request.params.saleId),
  );

  r.post(
    `${base}/:saleId/reconcile`,
    {
      schema: {
        tags,
        security,
        summary: 'Compare the stock gate with the tickets and rebuild it if they differ or it lost its state',
        params: AdminSaleParams,
        response: { 200: ReconcileReport, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => reconcileSale(rt, db(request), request.params.saleId),
  );
}
