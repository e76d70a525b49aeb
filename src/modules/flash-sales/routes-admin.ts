// Admin routes (/admin/platforms/:platform/flash-sales/…): schedule, list, show, cancel, live stats and
// reconciliation. The kernel hook has authenticated the principal and set request.platform.
import type { FastifyInstance } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, platformOf } from '../../kernel/http/tenancy.ts';
import { cancelSale, getSale, scheduleSale } from './lifecycle.ts';
import { reconcileSale } from './reconcile.ts';
import type { FlashRuntime } from './runtime.ts';
import { listSales } from './sales.ts';
import { AdminSaleParams, PlatformParams, ReconcileReport, Sale, SaleList, SaleStats, SalesQuery, ScheduleInput } from './schemas.ts';
import { saleStats } from './views.ts';

const base = '/admin/platforms/:platform/flash-sales';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext, rt: FlashRuntime): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'flash-sales');

  r.post(
    base,
    {
      schema: doc('Schedule a flash sale: its quantity is carved out of normal stock now and returned at the end', {
        description: 'Variants must be published; prices are in the platform’s default currency. 409 out_of_stock when normal stock cannot cover the sale quantity.',
        params: PlatformParams,
        body: ScheduleInput,
        response: { 201: Sale, ...errorResponses(400, 401, 403, 404, 409, 422) },
      }),
    },
    async (request, reply) => reply.code(201).send(await scheduleSale(rt, pdbOf(request), platformOf(request), request.body, actorIdOf(request))),
  );

  r.get(
    base,
    { schema: doc('Flash sales, newest first', { params: PlatformParams, querystring: SalesQuery, response: { 200: SaleList, ...errorResponses(400, 401, 404) } }) },
    async (request) => listSales(pdbOf(request), request.query),
  );

  r.get(
    `${base}/:saleId`,
    { schema: doc('One flash sale with its items', { params: AdminSaleParams, response: { 200: Sale, ...errorResponses(400, 401, 404) } }) },
    async (request) => getSale(pdbOf(request), request.params.saleId),
  );

  r.post(
    `${base}/:saleId/cancel`,
    {
      schema: doc('Cancel a sale before or during it: purchases stop and the carve-out returns to normal stock', {
        description: 'Orders already created stay payable; tickets still waiting for their order are cancelled.',
        params: AdminSaleParams,
        response: { 200: Sale, ...errorResponses(400, 401, 403, 404, 409) },
      }),
    },
    async (request) => cancelSale(rt, pdbOf(request), request.params.saleId, actorIdOf(request)),
  );

  r.get(
    `${base}/:saleId/stats`,
    {
      schema: doc('Live numbers: gate counters and remaining, tickets by status, orders created, queue depth, drain rate', {
        params: AdminSaleParams,
        response: { 200: SaleStats, ...errorResponses(400, 401, 404) },
      }),
    },
    async (request) => saleStats(rt, pdbOf(request), request.params.saleId),
  );

  r.post(
    `${base}/:saleId/reconcile`,
    {
      schema: doc('Compare the stock gate with the tickets and rebuild it if they differ or it lost its state', {
        params: AdminSaleParams,
        response: { 200: ReconcileReport, ...errorResponses(400, 401, 403, 404) },
      }),
    },
    async (request) => reconcileSale(rt, pdbOf(request), request.params.saleId),
  );
}
