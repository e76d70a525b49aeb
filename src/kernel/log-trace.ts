// Trace ids on log lines. A request's lines carry its trace_id and span_id as bindings of the request's
// logger (http/request-logger.ts: Fastify writes "incoming request" before any hook could set a context).
// Every other line (event handlers, webhook attempts, anything running inside a trace) gets them from
// the current trace (kernel/trace.ts) through this pino mixin, read only when a line is written.
import { logIdsOf } from './otel.ts';
import { currentTrace } from './trace.ts';

/** Set on a logger whose bindings already hold trace_id and span_id (the mixin leaves its lines alone). */
export const kTraceBound = Symbol('souk.traceBound');

const NONE = {};

export function traceMixin(_merge: object, _level: number, logger: unknown): object {
  if ((logger as { [kTraceBound]?: boolean })[kTraceBound] === true) return {};
  return logIdsOf(currentTrace()?.traceparent) ?? NONE;
}
