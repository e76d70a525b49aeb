// Storefront routes: start paying an order, read a payment, and the providers' webhook receiver.
// Orders are reached only by whoever may see them (the customer's session or the guest's X-Order-Token),
// checked by the orders module's authorizeOrderAccess.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HttpProblem } from '../../kernel/http/problem.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { storeRouteKit, type Security } from '../../kernel/http/route-kit.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import type { PaymentsDeps } from './deps.ts';
import { startPayment } from './payments.ts';
import { getPayment } from './records.ts';
import { OrderParams, Payment, PaymentParams, StartedPayment, StartPaymentInput, WebhookResult } from './schemas.ts';
import { receiveWebhook } from './webhook.ts';
import { repeatedReadOnce } from './repeated-read.ts';
import { paymentNotVisible } from './problems.ts';

const security: Security = [{ publishableKey: [] }, { customerBearer: [] }];
/** Webhook bodies are small JSON documents; anything bigger is not from a provider. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;

export function storeRoutes(app: FastifyInstance, deps: PaymentsDeps): void {
  // No default security: the providers' webhook receiver is public.
  const { r, doc, pdbOf } = storeRouteKit(app, deps.ctx, 'payments');

  r.post(
    '/store/orders/:orderId/payments',
    {
      schema: doc('Start paying an order awaiting payment: returns the provider page to send the shopper to (an open payment is returned again)', {
        security,
        description: 'Customers send their session; guests send the X-Order-Token header returned at checkout.',
        params: OrderParams,
        body: StartPaymentInput,
        response: { 200: StartedPayment, 201: StartedPayment, ...errorResponses(400, 401, 403, 404, 409, 422, 502) },
      }),
    },
    async (request, reply) => {
      const platform = platformOf(request);
      // The access check reads the order; the payee's read of what is due, right after it, gets the same rows.
      const reads = repeatedReadOnce(pdbOf(request));
      await deps.orders.authorizeOrderAccess(reads, request, request.params.orderId);
      const { payment, created } = await startPayment(deps, platform.id, request.params.orderId, request.body, { client: request, reads });
      return reply.code(created ? 201 : 200).send(payment);
    },
  );

  r.get(
    '/store/payments/:paymentId',
    {
      schema: doc("A payment's status (for the shop's return page); same access as its order", {
        security,
        params: PaymentParams,
        response: { 200: Payment, ...errorResponses(400, 401, 404) },
      }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const { paymentId } = request.params;
      // One answer for "no such payment" and "not yours": it names only the payment id the caller sent.
      // The order check's own 404 would name the payment's order, an id this caller may never have had.
      const missing = paymentNotVisible(paymentId);
      const payment = await getPayment(pdb, paymentId);
      if (!payment) throw missing;
      try {
        await deps.orders.authorizeOrderAccess(pdb, request, payment.orderId);
      } catch (error) {
        throw error instanceof HttpProblem && error.status === 404 ? missing : error;
      }
      return payment;
    },
  );

  // The webhook needs the exact bytes the provider signed, so in this scope (only) every body is kept as
  // a Buffer instead of being parsed; the handler parses it after the signature checks out.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/store/payments/webhooks/:provider',
      {
        schema: doc('Provider webhooks (public): signed events about payments, applied once each', {
          description:
            'The sandbox signs HMAC-SHA256 over "<unix>.<raw body>" and sends "Souk-Sandbox-Signature: t=<unix>,v1=<hex>"; ' +
            'events older than five minutes, with a wrong signature or for another platform are refused. A redelivered event is answered with outcome "duplicate".',
          params: Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_]{0,49}$', description: 'The provider name, e.g. sandbox' }) }),
          response: { 200: WebhookResult, ...errorResponses(400, 401, 404, 409, 413, 415, 422) },
        }),
      },
      async (request) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await receiveWebhook(deps, platformOf(request).id, request.params.provider, raw, request.headers);
        return { received: true, outcome: result.outcome, paymentId: result.paymentId, status: result.status };
      },
    );
  });
}
