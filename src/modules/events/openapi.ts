// Operation ids, descriptions and problem codes of the event backbone's admin routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

export const eventDocs: OperationDocs = {
  'GET /admin/events': {
    operationId: 'listEvents',
    description: 'Recent events of the log (and the outbox not yet relayed), newest first, filtered by type or platform; page back with `before`. Owners only.',
  },
  'GET /admin/events/{eventId}': {
    operationId: 'getEvent',
    description: 'One event with its causal chain: the events that led to it, the events it caused, and the consumers that handled it. Owners only.',
    problems: { 404: ['event_not_found'] },
  },
  'GET /admin/events/consumers': {
    operationId: 'listEventConsumers',
    description: 'Every subscribed consumer with its position in the log, lag, pending retries and dead letters. Owners only.',
  },
  'POST /admin/events/consumers/{consumer}/replay': {
    operationId: 'replayEventConsumer',
    description: 'Moves a consumer back to a time or a log offset so retained events are delivered to it again; its inbox skips events it already handled. An offset beyond the head + 1 is refused with 422 offset_beyond_head. Owners only.',
    problems: { 400: ['invalid_offset', 'invalid_time'], 404: ['consumer_not_found'], 422: ['offset_beyond_head'] },
  },
  'GET /admin/events/dead-letters': {
    operationId: 'listDeadLetters',
    description: 'Events a consumer gave up on after its attempts, newest first, by consumer and status. Owners only.',
  },
  'GET /admin/events/dead-letters/{deadLetterId}': {
    operationId: 'getDeadLetter',
    description: 'One dead letter with its event and the last error. Owners only.',
    problems: { 404: ['dead_letter_not_found'] },
  },
  'POST /admin/events/dead-letters/{deadLetterId}/requeue': {
    operationId: 'requeueDeadLetter',
    description: 'Delivers a dead letter to its consumer again with a fresh round of attempts. Owners only.',
    problems: { 404: ['dead_letter_not_found'], 409: ['dead_letter_resolved'] },
  },
  'POST /admin/events/dead-letters/{deadLetterId}/discard': {
    operationId: 'discardDeadLetter',
    description: 'Marks a dead letter as dealt with, without delivering it. Owners only.',
    problems: { 404: ['dead_letter_not_found'], 409: ['dead_letter_resolved'] },
  },
};
