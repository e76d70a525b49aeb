// Admin routes under /admin/platforms/:platform/orders/:orderId: the order's payments (with refunds and
// the provider events applied) and refunds. The kernel hook has authenticated the principal, kept support
// read-only and checked the platform.
import type { FastifyInstance } from 'fastify';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, platformOf } from '../../kernel/http/tenancy.ts';
import type { PaymentsDeps } from './deps.ts';
import { listOrderPayments } from './records.ts';
import { refundRequestOf } from './refund-lines.ts';
import { refundOrder } from './refunds.ts';
import { AdminOrderParams, AdminPaymentList, Refund, RefundInput } from './schemas.ts';
import { noOrderOnPlatform } from './problems.ts';

const base = '/admin/platforms/:platform/orders/:orderId';

export function adminRoutes(app: FastifyInstance, deps: PaymentsDeps): void {
  const { r, doc, pdbOf } = adminRouteKit(app, deps.ctx, 'payments');

  r.get(
    `${base}/payments`,
    {
      schema: doc("An order's payments, oldest first, with their refunds and provider events", {
        params: AdminOrderParams,
        response: { 200: AdminPaymentList, ...errorResponses(400, 401, 403, 404) },
      }),
    },
    async (request) => {
      const pdb = pdbOf(request);
      const order = await deps.orders.getPayableOrder(pdb, request.params.orderId);
      if (!order) throw noOrderOnPlatform(request.params.orderId);
      return { items: await listOrderPayments(pdb, request.params.orderId) };
    },
  );

  r.post(
    `${base}/refunds`,
    {
      schema: doc('Refund a free amount, or units of order lines (and the shipping) at what the customer paid for them', {
        description:
          'Send `{ amount, reason }` or `{ lines: [{ lineId, quantity }], shipping?, reason? }`, not both (400 refund_amount_or_lines). ' +
          "A line's units return its share of the order total (discount and tax split by largest remainder; k units of Q return " +
          'round_half_up(share × k / Q) minus what earlier units returned), so refunding every unit and the shipping returns the total.',
        params: AdminOrderParams,
        body: RefundInput,
        response: { 201: Refund, ...errorResponses(400, 401, 403, 404, 409, 422, 502) },
      }),
    },
    async (request, reply) => {
      const refund = await refundOrder(deps, platformOf(request).id, request.params.orderId, { ...refundRequestOf(request.body), actor: actorIdOf(request) });
      return reply.code(201).send(refund);
    },
  );
}
