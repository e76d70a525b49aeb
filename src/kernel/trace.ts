// W3C trace context (traceparent) carried from the HTTP request into every event it emits, and from an
// event into its handler and the events that handler emits, so one trace id spans the whole chain.
// The active context lives in AsyncLocalStorage: code that emits needs no extra arguments.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomHex } from './ids.ts';

export interface TraceContext {
  traceparent: string;
  /** The event being handled, recorded as the cause of events emitted meanwhile. */
  causedBy: string | null;
}

const storage = new AsyncLocalStorage<TraceContext>();
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined | null): { traceId: string; spanId: string; flags: string } | undefined {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

/** A child span of `parent` (same trace id, new span id), or a new trace when there is no valid parent. */
export function childTraceparent(parent?: string | null): string {
  const parsed = parseTraceparent(parent);
  const traceId = parsed?.traceId ?? randomHex(16);
  return `00-${traceId}-${randomHex(8)}-${parsed?.flags ?? '01'}`;
}

/**
 * The trace of an incoming HTTP request: a child span of the caller's `traceparent` header, or a new
 * trace. Same result as childTraceparent() plus its trace id, with the header parsed once (hot path).
 */
export function requestTrace(incoming: string | undefined): { traceparent: string; traceId: string } {
  const parsed = incoming === undefined ? undefined : parseTraceparent(incoming);
  const traceId = parsed === undefined ? randomHex(16) : parsed.traceId;
  return { traceparent: `00-${traceId}-${randomHex(8)}-${parsed?.flags ?? '01'}`, traceId };
}

export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

export function runWithTrace<T>(context: TraceContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Sets the trace for the rest of the current async flow (used by the HTTP onRequest hook). */
export function enterTrace(context: TraceContext): void {
  storage.enterWith(context);
}
