// TypeBox schemas of the webhooks admin API. Shapes and bounds live here; rules that need parsing
// (URL, event type patterns) are checked in endpoints.ts so their errors can say what to do.
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const PlatformRef = Type.String({ minLength: 1, maxLength: 200 });

export const DELIVERY_STATUSES = ['pending', 'failed', 'succeeded', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const MAX_ENDPOINTS_PER_PLATFORM = 100;

export const PlatformParams = Type.Object({ platform: PlatformRef });
export const EndpointParams = Type.Object({ platform: PlatformRef, endpointId: Uuid });
export const DeliveryParams = Type.Object({ platform: PlatformRef, deliveryId: Uuid });

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL the events are POSTed to; no credentials, no #fragment' });
const Description = Type.String({ maxLength: 500 });
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  description: 'Event types to send: exact ("catalog.product_created"), a prefix ("catalog.*"), or "*" for all',
});

export const EndpointInput = Type.Object(
  {
    url: Url,
    description: Type.Optional(Description),
    eventTypes: EventTypes,
    active: Type.Optional(Type.Boolean({ description: 'Inactive endpoints get no new deliveries; queued ones wait' })),
  },
  { title: 'WebhookInput', additionalProperties: false },
);
export type EndpointInput = Static<typeof EndpointInput>;

export const EndpointPatch = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Description),
    eventTypes: Type.Optional(EventTypes),
    active: Type.Optional(Type.Boolean()),
  },
  { title: 'WebhookPatch', additionalProperties: false, minProperties: 1 },
);
export type EndpointPatch = Static<typeof EndpointPatch>;

export const RotateQuery = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7 * 86_400,
        description: 'How long the old secret keeps signing next to the new one (default 0: it stops at once)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DeliveriesQuery = Type.Object(
  {
    endpointId: Type.Optional(Uuid),
    status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    eventId: Type.Optional(Type.String({ format: 'uuid', description: 'The deliveries of one event (one per endpoint it went to)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 20' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;

export const EndpointView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(Type.String()),
  active: Type.Boolean(),
  previousSecretExpiresAt: Nullable(Type.String({ description: 'While set and in the future, the previous secret also signs' })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { title: 'Webhook' });
export type EndpointView = Static<typeof EndpointView>;

export const EndpointWithSecret = Type.Object({
  ...EndpointView.properties,
  secret: Type.String({ description: 'whsec_… signing secret; shown only now' }),
}, { title: 'WebhookWithSecret' });

export const EndpointList = Type.Object({ items: Type.Array(EndpointView) });

export const RotatedSecret = Type.Object({
  secret: Type.String({ description: 'The new whsec_… signing secret; shown only now' }),
  previousSecretExpiresAt: Nullable(Type.String()),
}, { title: 'RotatedWebhookSecret' });

export const DeliveryView = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  status: Type.String({ description: 'pending, failed (a retry is scheduled), succeeded or dead' }),
  attempts: Type.Integer({ description: 'Attempts made so far, replays included' }),
  nextAttemptAt: Nullable(Type.String()),
  lastStatusCode: Nullable(Type.Integer()),
  lastLatencyMs: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  responseExcerpt: Nullable(Type.String({ description: 'The first KB of the last response body' })),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
}, { title: 'WebhookDelivery' });
export type DeliveryView = Static<typeof DeliveryView>;

export const AttemptView = Type.Object({
  attempt: Type.Integer(),
  url: Type.String(),
  outcome: Type.String({ description: 'succeeded or failed' }),
  statusCode: Nullable(Type.Integer()),
  latencyMs: Type.Integer(),
  error: Nullable(Type.String()),
  responseExcerpt: Nullable(Type.String()),
  attemptedAt: Type.String(),
}, { title: 'WebhookAttempt' });
export type AttemptView = Static<typeof AttemptView>;

export const DeliveryDetail = Type.Object({
  ...DeliveryView.properties,
  payload: Type.Unknown({ description: 'The JSON body sent to the endpoint' }),
  attemptLog: Type.Array(AttemptView, { description: 'Every attempt, oldest first (the latest 100)' }),
}, { title: 'WebhookDeliveryDetail' });
export type DeliveryDetail = Static<typeof DeliveryDetail>;

export const DeliveryList = Type.Object({ items: Type.Array(DeliveryView), nextCursor: Nullable(Type.String()) });
