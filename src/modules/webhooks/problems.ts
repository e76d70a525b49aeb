// Every problem the webhooks module answers, named once.
import { problemMaker } from '../../kernel/http/problem.ts';

export const webhooksProblemCodes = [
  'webhook_endpoint_not_found',
  'webhook_endpoint_inactive',
  'webhook_delivery_not_found',
  'webhook_delivery_in_flight',
  'too_many_endpoints',
  'invalid_event_type',
  'invalid_url',
  'private_target',
] as const;

const problem = problemMaker(webhooksProblemCodes);

export const endpointNotFound = (id: string) =>
  problem(404, 'webhook_endpoint_not_found', `There is no webhook endpoint ${id} on this platform.`);
export const deliveryNotFound = (id: string) =>
  problem(404, 'webhook_delivery_not_found', `There is no webhook delivery ${id} on this platform.`);
export const tooManyEndpoints = (max: number) =>
  problem(409, 'too_many_endpoints', `A platform may have at most ${max} webhook endpoints; delete one first.`);
export const inactiveForTest = () =>
  problem(409, 'webhook_endpoint_inactive', 'This endpoint is inactive; activate it (PATCH active: true) before sending a test.');
export const inactiveForReplay = () =>
  problem(409, 'webhook_endpoint_inactive', 'The endpoint of this delivery is inactive; activate it before replaying.');
export const deliveryInFlight = () =>
  problem(409, 'webhook_delivery_in_flight', 'This delivery is being sent right now; look again in a few seconds.');
export const invalidEventType = (pattern: string) =>
  problem(
    400,
    'invalid_event_type',
    `"${pattern.slice(0, 200)}" is not an event type pattern: give an exact type such as "catalog.product_created", ` +
      'a prefix such as "catalog.*", or "*" for every event.',
  );

// Target URLs.
export const notAbsoluteUrl = (raw: string) =>
  problem(400, 'invalid_url', `"${raw.slice(0, 200)}" is not an absolute URL; give one such as https://example.com/hooks/souk.`);
export const notHttpUrl = (protocol: string) => problem(400, 'invalid_url', `Webhook URLs must use http or https, not "${protocol}".`);
export const urlWithCredentials = () =>
  problem(400, 'invalid_url', 'Webhook URLs may not carry a user name or password; check the x-souk-signature header instead.');
export const urlWithFragment = () => problem(400, 'invalid_url', 'Webhook URLs may not have a #fragment (it is never sent to the receiver).');
export const urlWithoutHost = () => problem(400, 'invalid_url', 'The webhook URL has no host name.');
export const privateTarget = (host: string, reason: string, metadata: boolean) =>
  problem(
    422,
    'private_target',
    metadata
      ? `Webhooks may not be sent to ${host}: ${reason}, which is never allowed.`
      : `Webhooks may not be sent to ${host}: ${reason}; loopback and private networks are blocked on this server (SOUK_WEBHOOK_ALLOW_PRIVATE).`,
  );
