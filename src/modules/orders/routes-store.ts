// Storefront: checkout a cart, and a customer's (or a guest's, by token) view of their orders.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { CUSTOMER_SECURITY, storeRouteKit } from '../../kernel/http/route-kit.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { requireCustomer } from '../accounts/customer-service.ts';
import { authorizeOrderAccess, ORDER_TOKEN_HEADER, optionalCustomer } from './access.ts';
import { checkout } from './checkout.ts';
import { cancelByCustomer } from './lifecycle.ts';
import { getOrder, listOrders } from './read.ts';
import { CheckoutBody, CheckoutResult, Order, OrderList } from './schemas.ts';

const CartParams = Type.Object({ cartId: Type.String({ format: 'uuid' }) });
const OrderParams = Type.Object({ orderId: Type.String({ format: 'uuid' }) });
const StoreOrdersQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 200, description: 'Any unique string per checkout attempt; a retry with the same key returns the same order' }),
});

export function storeRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = storeRouteKit(app, ctx, 'orders');

  r.post(
    '/store/carts/:cartId/checkout',
    {
      schema: doc('Place the order: reserves stock, takes the coupon use and opens the payment window, all or nothing', {
        description:
          'Send an Idempotency-Key header. The same key with the same request returns the same order (200, Idempotent-Replayed: true); with a different request it is a 409. Guests get an accessToken to read and pay the order.',
        params: CartParams,
        headers: CheckoutHeaders,
        body: Type.Optional(CheckoutBody),
        response: { 200: CheckoutResult, 201: CheckoutResult, ...errorResponses(400, 401, 403, 404, 409, 422) },
      }),
    },
    async (request, reply) => {
      const platform = platformOf(request);
      const pdb = ctx.platformDb(platform.id);
      const customer = await optionalCustomer(pdb, request);
      const { order, replayed } = await checkout(ctx, pdb, platform, {
        cartId: request.params.cartId.toLowerCase(),
        idempotencyKey: request.headers['idempotency-key'],
        body: request.body ?? {},
        customer: customer ? { id: customer.id, email: customer.email, createdAt: customer.createdAt } : null,
        client: request,
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(replayed ? 200 : 201).send(order);
    },
  );

  r.get(
    '/store/orders',
    {
      schema: doc('The logged-in customer’s orders, newest first', { security: CUSTOMER_SECURITY, querystring: StoreOrdersQuery, response: { 200: OrderList, ...errorResponses(400, 401, 404) } }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const customer = await requireCustomer(pdb, request);
      return listOrders(pdb, { ...request.query, customerId: customer.id });
    },
  );

  r.get(
    '/store/orders/:orderId',
    {
      schema: doc(`One order, for its customer (session) or a guest holding its ${ORDER_TOKEN_HEADER}`, {
        params: OrderParams,
        response: { 200: Order, ...errorResponses(400, 401, 404) },
      }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const row = await authorizeOrderAccess(pdb, request, request.params.orderId);
      return (await getOrder(pdb, row.id))!;
    },
  );

  r.post(
    '/store/orders/:orderId/cancel',
    {
      schema: doc('Cancel an order that is not paid yet; its stock and coupon use are given back', {
        params: OrderParams,
        response: { 200: Order, ...errorResponses(400, 401, 404, 409) },
      }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const row = await authorizeOrderAccess(pdb, request, request.params.orderId);
      await pdb.transaction((tx) => cancelByCustomer(ctx, tx, row.id));
      return (await getOrder(pdb, row.id))!;
    },
  );
}
