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

/** One event as it travels: a DeliveredEvent without the per-delivery fields. */
type WireEvent = Omit<DeliveredEvent, 'attempt' | 'offset'>;

/**
 * Format 2: a message carries several events of one type, `{"v":2,"events":[...]}`, so the relay's batch
 * costs a few stream messages (each with its publish, PubAck, delivery and ack) instead of one per event.
 * Format 1, a single event object as the body, is what a message of one event still is: older nodes read
 * only that, so packing is off unless SOUK_NATS_EVENTS_PER_MESSAGE allows more than one (config.ts).
 */
export const WIRE_VERSION = 2;

function isoTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** One event as JSON, to be joined into a message body by encodeEvents. */
export function eventJson(row: EventRow): string {
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
  return JSON.stringify(wire);
}

/**
 * A message carrying `rows` (all of one type: the subject is the type), from their JSON (eventJson). The
 * headers are for people reading the stream with the nats CLI; platform and traceparent only when the
 * message has one event or they are the same for all.
 */
export function encodeEvents(rows: readonly EventRow[], json: readonly string[]): { body: string; headers: MsgHdrs } {
  const [first] = rows;
  if (!first) throw new Error('a stream message carries at least one event');
  const h = headers();
  h.set('Souk-Event-Type', first.type);
  h.set('Souk-Events', String(rows.length));
  if (first.platform_id && rows.every((r) => r.platform_id === first.platform_id)) h.set('Souk-Platform', first.platform_id);
  if (rows.length === 1 && first.traceparent) h.set('traceparent', first.traceparent);
  // One event goes as format 1 (the event itself), which every node reads, packed or not.
  return { body: rows.length === 1 ? json[0]! : `{"v":${WIRE_VERSION},"events":[${json.join(',')}]}`, headers: h };
}

export class UndecodableMessage extends Error {}

function fromWire(msg: JsMsg, wire: Partial<WireEvent> | undefined): DeliveredEvent {
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

/**
 * The events a message carries, in order, each with the delivery count as attempt (the consumer refines
 * it for events past the first, see jetstream-handling.ts) and the stream sequence as offset: the events
 * of one message share it, so a replay from that offset brings all of them again.
 */
export function decodeEvents(msg: JsMsg): DeliveredEvent[] {
  let wire: (Partial<WireEvent> & { v?: unknown; events?: unknown }) | null;
  try {
    wire = msg.json();
  } catch (error) {
    throw new UndecodableMessage(`stream message ${msg.info.streamSequence} on ${msg.subject} is not JSON`, { cause: error });
  }
  if (wire && typeof wire === 'object' && 'v' in wire) {
    if (wire.v !== WIRE_VERSION || !Array.isArray(wire.events) || wire.events.length === 0) {
      throw new UndecodableMessage(`stream message ${msg.info.streamSequence} on ${msg.subject} has an unknown format (v ${String(wire.v)})`);
    }
    return (wire.events as (Partial<WireEvent> | undefined)[]).map((event) => fromWire(msg, event));
  }
  // Format 1: the body is the event.
  return [fromWire(msg, wire ?? undefined)];
}

/** A stream message to be: consecutive events of one type. */
export interface Packed<T extends EventRow> {
  rows: T[];
  json: string[];
}

export interface PackLimits {
  maxEvents: number;
  /** Body bytes a message may reach (an event larger than this travels alone). */
  maxBytes: number;
}

/**
 * Packs a relay batch into messages: runs of consecutive events of one type (the subject is the type, and
 * keeping runs consecutive keeps the stream in the batch's order for a consumer reading several types),
 * cut at `limits`. `again` is the previous packing, by first event id: a batch sent again after a lost
 * relay commit is packed the same way where it holds the same events, so the copies carry the same
 * Nats-Msg-Id and the stream drops them.
 */
export function packEvents<T extends EventRow>(events: readonly T[], limits: PackLimits, again?: ReadonlyMap<string, readonly string[]>): Packed<T>[] {
  const packed: Packed<T>[] = [];
  let current: Packed<T> | undefined;
  let bytes = 0;
  for (let i = 0; i < events.length; ) {
    const same = again?.get(events[i]!.id);
    if (same && same.every((id, k) => events[i + k]?.id === id)) {
      const rows = events.slice(i, i + same.length);
      packed.push({ rows, json: rows.map(eventJson) });
      current = undefined;
      i += same.length;
      continue;
    }
    const event = events[i]!;
    const json = eventJson(event);
    const size = Buffer.byteLength(json) + 1;
    if (!current || current.rows[0]!.type !== event.type || current.rows.length >= limits.maxEvents || bytes + size > limits.maxBytes) {
      current = { rows: [], json: [] };
      packed.push(current);
      bytes = 32;
    }
    current.rows.push(event);
    current.json.push(json);
    bytes += size;
    i += 1;
  }
  return packed;
}
