// Admin API of webhooks (/admin/platforms/:platform/webhooks/…). The kernel hook has already checked the
// principal, kept support read-only, resolved the platform and refused it when the module is off.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { getDelivery, listDeliveries, queueTestDelivery, redeliver } from './deliveries.ts';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from './endpoints.ts';
import {
  DeliveriesQuery,
  DeliveryDetail,
  DeliveryList,
  DeliveryParams,
  DeliveryView,
  EndpointInput,
  EndpointList,
  EndpointParams,
  EndpointPatch,
  EndpointView,
  EndpointWithSecret,
  PlatformParams,
  RotatedSecret,
  RotateQuery,
} from './schemas.ts';
import type { WebhooksRuntime } from './worker.ts';

const base = '/admin/platforms/:platform/webhooks';

export function webhookRoutes(app: FastifyInstance, ctx: ModuleContext, { settings, worker }: WebhooksRuntime): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'webhooks');
  /** Work queued by an admin goes out at once when this process runs the worker; otherwise a worker node polls it. */
  const nudge = (request: FastifyRequest) => worker?.nudge(platformOf(request).id);

  r.get(`${base}/endpoints`, {
    schema: doc('Webhook endpoints of the platform (secrets are never listed)', { params: PlatformParams, response: { 200: EndpointList, ...errorResponses(400, 401, 404) } }),
  }, async (request) => ({ items: await listEndpoints(pdbOf(request)) }));

  r.post(`${base}/endpoints`, {
    schema: doc('Register an endpoint for event types; the response carries its signing secret, shown only this once', {
      params: PlatformParams,
      body: EndpointInput,
      response: { 201: EndpointWithSecret, ...errorResponses(400, 401, 403, 404, 409) },
    }),
  }, async (request, reply) => reply.code(201).send(await createEndpoint(pdbOf(request), ctx.secrets, request.body, settings.allowPrivateTargets)));

  r.get(`${base}/endpoints/:endpointId`, {
    schema: doc('One endpoint', { params: EndpointParams, response: { 200: EndpointView, ...errorResponses(400, 401, 404) } }),
  }, async (request) => getEndpoint(pdbOf(request), request.params.endpointId));

  r.patch(`${base}/endpoints/:endpointId`, {
    schema: doc('Change an endpoint’s URL, description, event types or active flag', {
      params: EndpointParams,
      body: EndpointPatch,
      response: { 200: EndpointView, ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request) => updateEndpoint(pdbOf(request), request.params.endpointId, request.body, settings.allowPrivateTargets));

  r.delete(`${base}/endpoints/:endpointId`, {
    schema: doc('Delete an endpoint with its deliveries and their attempt log', {
      params: EndpointParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request, reply) => {
    await deleteEndpoint(pdbOf(request), request.params.endpointId);
    return reply.code(204).send(null);
  });

  r.post(`${base}/endpoints/:endpointId/rotate-secret`, {
    schema: doc('Replace the signing secret (shown only in this response); ?graceSeconds= keeps the old one signing too for a while', {
      params: EndpointParams,
      querystring: RotateQuery,
      response: { 200: RotatedSecret, ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request) => rotateSecret(pdbOf(request), ctx.secrets, request.params.endpointId, request.query.graceSeconds ?? 0));

  r.post(`${base}/endpoints/:endpointId/test`, {
    schema: doc('Queue a webhook.test delivery to this endpoint', {
      params: EndpointParams,
      response: { 202: DeliveryView, ...errorResponses(400, 401, 403, 404, 409) },
    }),
  }, async (request, reply) => {
    const delivery = await queueTestDelivery(pdbOf(request), request.params.endpointId);
    nudge(request);
    return reply.code(202).send(delivery);
  });

  r.get(`${base}/deliveries`, {
    schema: doc('Deliveries, newest first, by endpoint, status, event type or event', {
      params: PlatformParams,
      querystring: DeliveriesQuery,
      response: { 200: DeliveryList, ...errorResponses(400, 401, 404) },
    }),
  }, async (request) => listDeliveries(pdbOf(request), request.query));

  r.get(`${base}/deliveries/:deliveryId`, {
    schema: doc('One delivery with the body sent and its attempt log', { params: DeliveryParams, response: { 200: DeliveryDetail, ...errorResponses(400, 401, 404) } }),
  }, async (request) => getDelivery(pdbOf(request), request.params.deliveryId));

  r.post(`${base}/deliveries/:deliveryId/redeliver`, {
    schema: doc('Send a delivery again now, with a fresh set of retries (earlier attempts stay in its log)', {
      params: DeliveryParams,
      response: { 202: DeliveryView, ...errorResponses(400, 401, 403, 404, 409) },
    }),
  }, async (request, reply) => {
    const delivery = await redeliver(pdbOf(request), request.params.deliveryId);
    nudge(request);
    return reply.code(202).send(delivery);
  });
}
