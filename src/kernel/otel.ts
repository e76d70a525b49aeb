// OpenTelemetry spans over Souk's own W3C trace context (kernel/trace.ts). Off by default and then
// free: no SDK is loaded, and every helper here falls back to the plain traceparent arithmetic. On with
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): spans go to that collector over
// OTLP/HTTP, configured by the standard OTEL_* variables (headers, timeouts, OTEL_SERVICE_NAME).
//
// The spans: the HTTP request (server), each event emitted (producer, stored as the event's traceparent),
// each handler run (consumer, child of the event's span), and client spans for database statements
// (db/traced.ts), Redis commands (redis-spans.ts) and webhook attempts (modules/webhooks/send.ts). Souk's AsyncLocalStorage already carries
// the trace through the outbox, JetStream and handlers, so a span's parent is always given explicitly
// from a traceparent; no OpenTelemetry context manager is installed.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { childTraceparent, currentTrace, parseTraceparent } from './trace.ts';

let tracer: Tracer | undefined;

/** Turns spans on with this tracer (startOtlpTracing, or a test's in-memory provider), or off with undefined. */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** A span whose parent is the span a traceparent names (a new trace without one). Only while tracing is on. */
export function startSpan(name: string, parent: string | null | undefined, kind: SpanKind, attributes?: Attributes): Span | undefined {
  if (tracer === undefined) return undefined;
  const parsed = parseTraceparent(parent);
  const context = parsed
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parseInt(parsed.flags, 16), isRemote: true })
    : ROOT_CONTEXT;
  return tracer.startSpan(name, { kind, attributes }, context);
}

export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/** The traceparent an emitted event stores: a producer span's when tracing, else a fresh child id. */
export function emitTraceparent(parent: string | null | undefined, type: string): string {
  const span = startSpan(`emit ${type}`, parent, SpanKind.PRODUCER, { 'messaging.operation.type': 'publish', 'messaging.destination.name': type });
  if (span === undefined) return childTraceparent(parent);
  span.end();
  return traceparentOf(span);
}

/** Runs fn as a consumer span, child of the event's; fn gets the traceparent its own emits continue from. */
export async function inConsumerSpan<T>(type: string, consumer: string, parent: string | null, fn: (traceparent: string) => Promise<T>): Promise<T> {
  const span = startSpan(`consume ${type}`, parent, SpanKind.CONSUMER, { 'messaging.operation.type': 'process', 'messaging.destination.name': type, 'messaging.consumer.group.name': consumer });
  return span === undefined ? fn(childTraceparent(parent)) : runInSpan(span, fn);
}

/** Runs fn with the span's traceparent, then ends the span, marked as an error if fn threw. */
async function runInSpan<T>(span: Span, fn: (traceparent: string) => Promise<T>): Promise<T> {
  try {
    return await fn(traceparentOf(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs fn as a child span of `parent` (by default the current trace's span: the request or the handler
 * running). Without a parent, fn runs untraced: a statement or Redis call made by a background loop is
 * no one's trace, and a root span per poll would only bury the traces that matter. fn gets the span's
 * traceparent (undefined when untraced) for the calls it makes below itself.
 */
export async function inChildSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (traceparent: string | undefined) => Promise<T>,
  parent: string | null | undefined = currentTrace()?.traceparent,
): Promise<T> {
  const span = parent == null ? undefined : startSpan(name, parent, kind, attributes);
  return span === undefined ? fn(undefined) : runInSpan(span, fn);
}

/** The ids a log line carries (snake_case, as OpenTelemetry's log data model and most collectors name them). */
export function logIdsOf(traceparent: string | undefined): { trace_id: string; span_id: string } | undefined {
  const parsed = parseTraceparent(traceparent);
  return parsed === undefined ? undefined : { trace_id: parsed.traceId, span_id: parsed.spanId };
}

/** True when the OTEL_* settings name an OTLP collector for traces. */
export function otlpConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_TRACES_EXPORTER !== 'none' && env.OTEL_SDK_DISABLED !== 'true';
}

/**
 * Starts exporting spans over OTLP/HTTP when the environment names a collector; returns how to flush and
 * stop (at shutdown), or undefined with tracing left off. The SDK is imported only then.
 */
export async function startOtlpTracing(env: NodeJS.ProcessEnv): Promise<{ shutdown(): Promise<void> } | undefined> {
  if (!otlpConfigured(env)) return undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'souk' }),
    // The exporter reads the endpoint, headers and timeout from OTEL_EXPORTER_OTLP_* itself.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  useTracer(provider.getTracer('souk'));
  return {
    async shutdown() {
      useTracer(undefined);
      await provider.shutdown();
    },
  };
}
