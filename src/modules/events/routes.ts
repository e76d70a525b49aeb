// Admin API of the event backbone (owners only: it spans platforms): inspect an event with its causal
// chain and trace, consumers and their lag, replay, and the dead-letter store.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses, IdParam } from '../../kernel/http/schemas.ts';
import type { EventBus } from './bus.ts';
import { discardDeadLetter, getDeadLetter, getEventWithChain, listDeadLetters, listEvents, requeueDeadLetter, consumerStatus } from './admin-service.ts';
import { consumerNotFound, eventNotFound, invalidOffset, invalidSince } from './problems.ts';

const owner = { config: { ownerOnly: true } };
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const EventView = Type.Object({
  id: Type.String(),
  seq: Type.Union([Type.Integer(), Type.Null()]),
  type: Type.String(),
  platformId: Nullable(Type.String()),
  key: Nullable(Type.String()),
  payload: Type.Unknown(),
  emittedAt: Type.String(),
  traceparent: Nullable(Type.String()),
  traceId: Nullable(Type.String()),
  causedBy: Nullable(Type.String()),
  status: Type.String({ description: 'outbox (committed, not yet relayed) or logged' }),
}, { title: 'Event' });

const DeadLetterView = Type.Object({
  id: Type.String(),
  consumer: Type.String(),
  eventId: Type.String(),
  platformId: Nullable(Type.String()),
  event: Type.Unknown(),
  attempts: Type.Integer(),
  lastError: Type.String(),
  failedAt: Type.String(),
  status: Type.String(),
  resolvedAt: Nullable(Type.String()),
}, { title: 'DeadLetter' });

const ConsumerParam = Type.Object({ consumer: Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$' }) });

export function eventRoutes(app: FastifyInstance, ctx: ModuleContext, bus: EventBus): void {
  const db = ctx.db;
  const { doc } = adminRouteKit(app, ctx, 'events');

  app.get('/admin/events', {
    ...owner,
    schema: doc('Recent events in the log, newest first (owners only)', {
      querystring: Type.Object(
        {
          type: Type.Optional(Type.String({ maxLength: 200 })),
          platformId: Type.Optional(IdParam),
          before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only events with seq below this (paging)' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(EventView) }), ...errorResponses(400, 401, 403) },
    }),
  }, async (request) => ({ items: await listEvents(db, request.query as Parameters<typeof listEvents>[1]) }));

  app.get('/admin/events/:eventId', {
    ...owner,
    schema: doc("One event with its trace, the events that caused it, the events it caused, and each consumer's delivery of it: handled, retrying or dead-lettered (owners only)", {
      params: Type.Object({ eventId: IdParam }),
      response: {
        200: Type.Object({
          event: EventView,
          causes: Type.Array(EventView, { description: 'The chain of events that led to it, the root first' }),
          effects: Type.Array(Type.Object({ depth: Type.Integer(), event: EventView }), { description: 'Events emitted because of it, breadth first' }),
          handledBy: Type.Array(Type.Object({ consumer: Type.String(), handledAt: Type.String() })),
          retrying: Type.Array(Type.Object({ consumer: Type.String(), attempts: Type.Integer(), nextAt: Type.String(), lastError: Type.String() })),
          deadLetters: Type.Array(DeadLetterView),
        }, { title: 'EventChain' }),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
  }, async (request) => {
    const found = await getEventWithChain(db, (request.params as { eventId: string }).eventId);
    if (!found) throw eventNotFound();
    return found;
  });

  app.get('/admin/events/consumers', {
    ...owner,
    schema: doc('Consumers with their position, lag, pending retries and dead letters (owners only)', {
      response: {
        200: Type.Object({ transport: Type.String(), items: Type.Array(Type.Object({ consumer: Type.String(), lag: Type.Integer({ description: 'Events not reached yet; negative when the consumer stands beyond the head (replay it)' }), retrying: Type.Integer(), dead: Type.Integer(), ordered: Type.Boolean() })) }),
        ...errorResponses(401, 403),
      },
    }),
  }, async () => ({ transport: bus.transportKind ?? 'none', items: await consumerStatus(db, bus) }));

  app.post('/admin/events/consumers/:consumer/replay', {
    ...owner,
    schema: doc('Re-deliver retained events to a consumer from a time or a log offset (at most the head + 1; 422 beyond it); its inbox skips what it already handled (owners only)', {
      params: ConsumerParam,
      body: Type.Object(
        { since: Type.Optional(Type.String({ format: 'date-time' })), offset: Type.Optional(Type.Integer({ minimum: 1 })) },
        { additionalProperties: false, minProperties: 1, maxProperties: 1 },
      ),
      response: { 202: Type.Object({ consumer: Type.String(), fromOffset: Type.Integer() }), ...errorResponses(400, 401, 403, 404, 422) },
    }),
  }, async (request, reply) => {
    const { consumer } = request.params as { consumer: string };
    const sub = bus.subscription(consumer);
    if (!sub) throw consumerNotFound(consumer);
    const body = request.body as { since?: string; offset?: number };
    // JSON numbers past 2^53 arrive rounded: replaying from a neighbour of the offset asked for is wrong.
    if (body.offset !== undefined && !Number.isSafeInteger(body.offset)) {
      throw invalidOffset();
    }
    const since = body.since ? new Date(body.since) : undefined;
    if (since && Number.isNaN(since.getTime())) throw invalidSince();
    const { fromOffset } = await bus.replay(sub, { since, offset: body.offset });
    return reply.code(202).send({ consumer, fromOffset });
  });

  app.get('/admin/events/dead-letters', {
    ...owner,
    schema: doc('Dead letters, newest first (owners only)', {
      querystring: Type.Object(
        {
          consumer: Type.Optional(ConsumerParam.properties.consumer),
          status: Type.Union([Type.Literal('dead'), Type.Literal('requeued'), Type.Literal('discarded')], { default: 'dead' }),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(DeadLetterView) }), ...errorResponses(400, 401, 403) },
    }),
  }, async (request) => ({ items: await listDeadLetters(db, request.query as Parameters<typeof listDeadLetters>[1]) }));

  const DeadLetterParam = Type.Object({ deadLetterId: IdParam });

  app.get('/admin/events/dead-letters/:deadLetterId', {
    ...owner,
    schema: doc('One dead letter with its event and last error (owners only)', { params: DeadLetterParam, response: { 200: DeadLetterView, ...errorResponses(400, 401, 403, 404) } }),
  }, async (request) => getDeadLetter(db, (request.params as { deadLetterId: string }).deadLetterId));

  app.post('/admin/events/dead-letters/:deadLetterId/requeue', {
    ...owner,
    schema: doc('Deliver a dead letter to its consumer again, starting a fresh round of attempts (owners only)', { params: DeadLetterParam, response: { 200: DeadLetterView, ...errorResponses(400, 401, 403, 404, 409) } }),
  }, async (request) => {
    const view = await requeueDeadLetter(db, (request.params as { deadLetterId: string }).deadLetterId);
    // This node's retry loop looks at once; other nodes' within their idle poll.
    bus.retryRequeued();
    return view;
  });

  app.post('/admin/events/dead-letters/:deadLetterId/discard', {
    ...owner,
    schema: doc('Mark a dead letter as dealt with (owners only)', { params: DeadLetterParam, response: { 200: DeadLetterView, ...errorResponses(400, 401, 403, 404, 409) } }),
  }, async (request) => discardDeadLetter(db, (request.params as { deadLetterId: string }).deadLetterId));
}
