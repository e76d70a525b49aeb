// How Souk events look on JetStream: stream and subject names, the durable name of a consumer, and the
// message itself (the whole envelope as JSON in the body, a few headers for people reading the stream
// with the nats CLI).
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import type { DeliveredEvent, EventRow } from './types.ts';

export const DEFAULT_STREAM = 'SOUK_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 'souk.events';

/** Stream names become file names and API subject tokens on the server. */
export function assertStreamName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) throw new Error(`JetStream stream name "${name}" may only hold letters, digits, "_" and "-".`);
}

/** A prefix is one or more literal subject tokens: no wildcards, no empty tokens. */
export function assertSubjectPrefix(prefix: string): void {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new Error(`JetStream subject prefix "${prefix}" must be dot-separated tokens of letters, digits, "_" or "-".`);
  }
}

/** Event types are dotted lower-case words (outbox.ts checks), so they are valid subject tokens as they are. */
export function subjectFor(prefix: string, type: string): string {
  return `${prefix}.${type}`;
}

/**
 * The consumer's filter subject. nats-server 2.9 takes one filter per consumer, so a subscription with a
 * single pattern gets a precise filter and anything else reads the whole stream (the runner acks and skips
 * what the patterns do not match).
 */
export function filterFor(prefix: string, types: readonly string[]): string {
  const [only] = types;
  if (types.length !== 1 || only === undefined || only === '*') return `${prefix}.>`;
  if (only.endsWith('.*')) return `${prefix}.${only.slice(0, -2)}.>`;
  return `${prefix}.${only}`;
}

/**
 * Durable names cannot contain dots; consumer names ([a-z][a-z0-9_.-]*) often do. Dots become "_", which is
 * readable in `nats consumer ls`. Two consumers that differ only by "." versus "_" would share a durable:
 * the consumer's description records its Souk name and the runner refuses a durable that belongs to another.
 */
export function durableName(consumer: string): string {
  return consumer.replace(/\./g, '_');
}

export function durableDescription(consumer: string): string {
  return `souk consumer ${consumer}`;
}

/** The body of a message: a DeliveredEvent without the per-delivery fields. */
type WireEvent = Omit<DeliveredEvent, 'attempt' | 'offset'>;

function isoTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function encodeEvent(row: EventRow): { body: string; headers: MsgHdrs } {
  const wire: WireEvent = {
    id: row.id,
    type: row.type,
    platformId: row.platform_id,
    key: row.key,
    payload: row.payload,
    emittedAt: isoTime(row.emitted_at),
    traceparent: row.traceparent,
    causedBy: row.caused_by,
  };
  const h = headers();
  h.set('Souk-Event-Type', row.type);
  if (row.platform_id) h.set('Souk-Platform', row.platform_id);
  if (row.traceparent) h.set('traceparent', row.traceparent);
  return { body: JSON.stringify(wire), headers: h };
}

export class UndecodableMessage extends Error {}

/** The event carried by a message, with the delivery count as attempt and the stream sequence as offset. */
export function decodeEvent(msg: JsMsg): DeliveredEvent {
  let wire: Partial<WireEvent>;
  try {
    wire = msg.json<Partial<WireEvent>>();
  } catch (error) {
    throw new UndecodableMessage(`stream message ${msg.info.streamSequence} on ${msg.subject} is not JSON`, { cause: error });
  }
  if (typeof wire?.id !== 'string' || typeof wire.type !== 'string' || typeof wire.emittedAt !== 'string') {
    throw new UndecodableMessage(`stream message ${msg.info.streamSequence} on ${msg.subject} is not a Souk event`);
  }
  return {
    id: wire.id,
    type: wire.type,
    platformId: wire.platformId ?? null,
    key: wire.key ?? null,
    payload: wire.payload ?? null,
    emittedAt: wire.emittedAt,
    traceparent: wire.traceparent ?? null,
    causedBy: wire.causedBy ?? null,
    attempt: msg.info.deliveryCount,
    offset: msg.info.streamSequence,
  };
}
