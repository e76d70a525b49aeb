// OpenTelemetry: with a tracer set (here an in-memory exporter; `souk start` sets an OTLP one when
// OTEL_EXPORTER_OTLP_ENDPOINT is set), one checkout's HTTP span, the order.created it emits and the
// consumer that handles it form one trace, each span the parent of the next.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { otlpConfigured, tracingOn, useTracer } from '../src/kernel/otel.ts';
import { loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';
import { checkout, COMMERCE_MODULES, createShop, readyCart, stockedVariants } from './commerce.ts';
import { waitFor } from './wait.ts';

const exporter = new InMemorySpanExporter();
let started: StartedSouk;

before(async () => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  useTracer(provider.getTracer('souk-test'));
  started = await startTestSouk('pglite');
});
after(async () => {
  await started.close();
  useTracer(undefined);
});

it('is off unless an OTLP endpoint is configured', () => {
  assert.equal(otlpConfigured({}), false);
  assert.equal(otlpConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(otlpConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(tracingOn(), true);
});

it('one checkout → order.created → its consumer form one trace of parent and child spans', async () => {
  const { souk } = started;
  // With the webhooks module on, its consumer handles every event of the platform, order.created too.
  const env = { engine: 'pglite' as const, souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
  const shop = await createShop(env, 'otel-shop', undefined, [...COMMERCE_MODULES, 'webhooks']);
  const [variantId] = await stockedVariants(shop, 1, 5);
  const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
  exporter.reset();

  const res = await checkout(shop, cartId, 'otel-checkout');
  assert.equal(res.statusCode, 201, res.body);
  const traceId = res.headers['x-trace-id'] as string;
  const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const named = (name: string) => inTrace().find((s) => s.name === name);
  const consumed = (await waitFor('a consumer span for order.created', () => named('consume order.created')))!;

  const server = named('POST /store/carts/:cartId/checkout');
  const emitted = named('emit order.created');
  assert.ok(server && emitted, `spans in the trace: ${inTrace().map((s) => s.name).join(', ')}`);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  assert.equal(server.kind, SpanKind.SERVER);
  assert.equal(parentOf(server), undefined, 'the request starts the trace');
  assert.equal(server.attributes['http.response.status_code'], 201);
  assert.equal(emitted.kind, SpanKind.PRODUCER);
  assert.equal(parentOf(emitted), server.spanContext().spanId);
  assert.equal(consumed.kind, SpanKind.CONSUMER);
  assert.equal(parentOf(consumed), emitted.spanContext().spanId);
  assert.ok(consumed.attributes['messaging.consumer.group.name']);
  // Every span of the trace hangs off another span of it (no parent that was never exported).
  const ids = new Set(inTrace().map((s) => s.spanContext().spanId));
  for (const span of inTrace()) if (parentOf(span)) assert.ok(ids.has(parentOf(span)!), `${span.name} has a parent outside the trace`);
});
