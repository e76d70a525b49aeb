// Operation ids, descriptions and problem codes of the webhooks routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/webhooks';
const ENDPOINT_URL_PROBLEMS = { 400: ['invalid_event_type', 'invalid_url'], 422: ['private_target'] } as const;

export const webhookDocs: OperationDocs = {
  [`GET ${base}/endpoints`]: {
    operationId: 'listWebhookEndpoints',
    description: 'The platform\'s webhook endpoints with their event types and active flag. Signing secrets are never listed.',
  },
  [`POST ${base}/endpoints`]: {
    operationId: 'createWebhookEndpoint',
    description: 'Registers a URL to receive the platform\'s events of the given types (exact, a prefix such as `orders.*`, or `*`), signed with a secret returned in this answer only. Loopback and private addresses are refused unless the server allows them.',
    problems: { ...ENDPOINT_URL_PROBLEMS, 409: ['too_many_endpoints'] },
  },
  [`GET ${base}/endpoints/{endpointId}`]: {
    operationId: 'getWebhookEndpoint',
    description: 'One webhook endpoint, without its secret.',
    problems: { 404: ['webhook_endpoint_not_found'] },
  },
  [`PATCH ${base}/endpoints/{endpointId}`]: {
    operationId: 'updateWebhookEndpoint',
    description: 'Changes an endpoint\'s URL, description, event types or active flag; an inactive endpoint gets no new deliveries.',
    problems: { ...ENDPOINT_URL_PROBLEMS, 404: ['webhook_endpoint_not_found'] },
  },
  [`DELETE ${base}/endpoints/{endpointId}`]: {
    operationId: 'deleteWebhookEndpoint',
    description: 'Deletes an endpoint together with its deliveries and their attempt log.',
    problems: { 404: ['webhook_endpoint_not_found'] },
  },
  [`POST ${base}/endpoints/{endpointId}/rotate-secret`]: {
    operationId: 'rotateWebhookSecret',
    description: 'Replaces the endpoint\'s signing secret; the new one is in this answer only. With `graceSeconds` the old secret keeps signing too (two signatures) so the receiver can switch without losing events.',
    problems: { 404: ['webhook_endpoint_not_found'] },
  },
  [`POST ${base}/endpoints/{endpointId}/test`]: {
    operationId: 'testWebhookEndpoint',
    description: 'Queues a signed `webhook.test` delivery to the endpoint, to check the receiver end to end; follow it in the deliveries list.',
    problems: { 404: ['webhook_endpoint_not_found'], 409: ['webhook_endpoint_inactive'] },
  },
  [`GET ${base}/deliveries`]: {
    operationId: 'listWebhookDeliveries',
    description: 'Deliveries, newest first, filtered by endpoint, status or event type; cursor paginated.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/deliveries/{deliveryId}`]: {
    operationId: 'getWebhookDelivery',
    description: 'One delivery with the exact body sent and every attempt: status code, response excerpt, error and timing.',
    problems: { 404: ['webhook_delivery_not_found'] },
  },
  [`POST ${base}/deliveries/{deliveryId}/redeliver`]: {
    operationId: 'redeliverWebhook',
    description: 'Sends a delivery again now with a fresh set of retries, e.g. after the receiver was fixed; earlier attempts stay in its log.',
    problems: { 404: ['webhook_delivery_not_found'], 409: ['webhook_delivery_in_flight', 'webhook_endpoint_inactive'] },
  },
};
