// Storefront routes: upcoming and live sales with the server's clock, one sale, the purchase hot path
// (202 with a ticket; the order follows), and the customer's ticket to poll for that order.
import type { FastifyInstance } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { CUSTOMER_SECURITY, storeRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { cachedCustomer, purchase } from './purchase.ts';
import type { FlashRuntime } from './runtime.ts';
import { PurchaseInput, PurchaseResult, SaleParams, StoreSaleList, StoreSaleOne, Ticket, TicketParams } from './schemas.ts';
import { customerTicket, storeSale, storeSales } from './views.ts';

export function storeRoutes(app: FastifyInstance, ctx: ModuleContext, rt: FlashRuntime): void {
  const { r, doc, pdbOf } = storeRouteKit(app, ctx, 'flash-sales');

  r.get(
    '/store/flash-sales',
    { schema: doc('Upcoming and live flash sales, with the server’s time to count down against', { response: { 200: StoreSaleList, ...errorResponses(404) } }) },
    async (request) => storeSales(rt, pdbOf(request)),
  );

  r.get(
    '/store/flash-sales/:saleId',
    { schema: doc('One flash sale with remaining units (approximate, never above the truth)', { params: SaleParams, response: { 200: StoreSaleOne, ...errorResponses(400, 404) } }) },
    async (request) => storeSale(rt, pdbOf(request), request.params.saleId.toLowerCase()),
  );

  r.post(
    '/store/flash-sales/:saleId/purchase',
    {
      schema: doc('Buy in a live flash sale: 202 with a ticket when a unit is yours; the order follows shortly', {
        security: CUSTOMER_SECURITY,
        description:
          'Poll GET /store/flash-sales/tickets/{ticketId} for the order. 409 sold_out (with Retry-After while unpaid orders may release units) or limit_reached; a repeat within the double-click window returns the first ticket. Send x-device-id for per-device limits.',
        params: SaleParams,
        body: PurchaseInput,
        response: { 202: PurchaseResult, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
      }),
    },
    async (request, reply) => {
      const platform = platformOf(request);
      const result = await purchase(rt, ctx.platformDb(platform.id), platform, request, request.params.saleId, request.body);
      return reply.code(202).send(result);
    },
  );

  r.get(
    '/store/flash-sales/tickets/:ticketId',
    {
      schema: doc('Your flash-sale ticket: pending until its order exists, then ordered with the order id', {
        security: CUSTOMER_SECURITY,
        params: TicketParams,
        response: { 200: Ticket, ...errorResponses(400, 401, 404) },
      }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const customer = await cachedCustomer(rt, pdb, request);
      return customerTicket(pdb, customer.id, request.params.ticketId);
    },
  );
}
