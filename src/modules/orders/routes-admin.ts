// Admin routes (/admin/platforms/:platform/orders/…): list and filter, read with history, and the
// transitions an operator drives (ship, deliver, complete, cancel). Each write is one transaction.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { actorIdOf } from '../../kernel/http/tenancy.ts';
import { advanceOrder, cancelOrder, fulfilOrder } from './lifecycle.ts';
import { getOrder, listHeldOrders, listOrders } from './read.ts';
import { approveOrder, rejectOrder } from './review.ts';
import { ApproveBody, CancelBody, FulfilBody, NoteBody, Order, OrderList, OrdersQuery, RejectBody, ReviewQuery } from './schemas.ts';
import { orderNotFound } from './problems.ts';

const base = '/admin/platforms/:platform/orders';
const PlatformParams = Type.Object({ platform: Type.String() });
const OrderParams = Type.Object({ platform: Type.String(), orderId: Type.String({ format: 'uuid' }) });
const writeErrors = errorResponses(400, 401, 403, 404, 409);

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'orders');
  const answer = async (request: FastifyRequest, orderId: string) => {
    const order = await getOrder(pdbOf(request), orderId.toLowerCase(), { history: true });
    if (!order) throw orderNotFound(orderId);
    return order;
  };

  r.get(
    base,
    { schema: doc('Orders, newest first, filtered by status, payment status, customer or email', { params: PlatformParams, querystring: OrdersQuery, response: { 200: OrderList, ...errorResponses(400, 401, 404) } }) },
    async (request) => listOrders(pdbOf(request), request.query),
  );

  r.get(
    `${base}/review-queue`,
    {
      schema: doc('Orders held for review by the risk engine, oldest first, each with the decision that held it and why', {
        params: PlatformParams,
        querystring: ReviewQuery,
        response: { 200: OrderList, ...errorResponses(400, 401, 404) },
      }),
    },
    async (request) => listHeldOrders(pdbOf(request), request.query),
  );

  r.post(
    `${base}/:orderId/approve`,
    { schema: doc('Approve an order held for review: it becomes payable (pending_payment) with a fresh payment window', { params: OrderParams, body: Type.Optional(ApproveBody), response: { 200: Order, ...writeErrors } }) },
    async (request) => {
      const note = request.body?.note;
      await pdbOf(request).transaction((tx) => approveOrder(ctx, tx, request.params.orderId.toLowerCase(), { actor: actorIdOf(request), ...(note ? { note } : {}) }));
      return answer(request, request.params.orderId);
    },
  );

  r.post(
    `${base}/:orderId/reject`,
    { schema: doc('Reject an order held for review: it is cancelled, its stock and coupon use returned', { params: OrderParams, body: RejectBody, response: { 200: Order, ...writeErrors } }) },
    async (request) => {
      await pdbOf(request).transaction((tx) => rejectOrder(ctx, tx, request.params.orderId.toLowerCase(), { actor: actorIdOf(request), reason: request.body.reason }));
      return answer(request, request.params.orderId);
    },
  );

  r.get(
    `${base}/:orderId`,
    { schema: doc('One order with its lines and full history', { params: OrderParams, response: { 200: Order, ...errorResponses(400, 401, 404) } }) },
    async (request) => answer(request, request.params.orderId),
  );

  r.post(
    `${base}/:orderId/cancel`,
    {
      schema: doc('Cancel a pending or paid order: stock and coupon use come back; a paid order is refunded by the payments module', {
        params: OrderParams,
        body: CancelBody,
        response: { 200: Order, ...writeErrors },
      }),
    },
    async (request) => {
      await pdbOf(request).transaction((tx) => cancelOrder(ctx, tx, request.params.orderId.toLowerCase(), { actor: actorIdOf(request), reason: request.body.reason }));
      return answer(request, request.params.orderId);
    },
  );

  r.post(
    `${base}/:orderId/fulfillment`,
    { schema: doc('Ship a paid order with its carrier and tracking number', { params: OrderParams, body: FulfilBody, response: { 200: Order, ...writeErrors } }) },
    async (request) => {
      await pdbOf(request).transaction((tx) => fulfilOrder(ctx, tx, request.params.orderId.toLowerCase(), { actor: actorIdOf(request), ...request.body }));
      return answer(request, request.params.orderId);
    },
  );

  for (const [step, to] of [['deliver', 'delivered'], ['complete', 'completed']] as const) {
    r.post(
      `${base}/:orderId/${step}`,
      {
        schema: doc(`Mark a ${to === 'delivered' ? 'shipped order delivered' : 'delivered order completed'}`, { params: OrderParams, body: Type.Optional(NoteBody), response: { 200: Order, ...writeErrors } }),
      },
      async (request) => {
        const reason = request.body?.reason;
        await pdbOf(request).transaction((tx) => advanceOrder(ctx, tx, request.params.orderId.toLowerCase(), to, { actor: actorIdOf(request), ...(reason ? { reason } : {}) }));
        return answer(request, request.params.orderId);
      },
    );
  }
}
