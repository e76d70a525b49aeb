// OpenTelemetry: with a tracer set (here an in-memory exporter; `souk start` sets an OTLP one when
// OTEL_EXPORTER_OTLP_ENDPOINT is set), one checkout's HTTP span, its database statements, the order.created
// it emits, the consumer that handles it, the consumer's own statements and the webhook sent for it form
// one trace, each span the child of the one that caused it. On both database engines; Redis command spans
// when REDIS_URL is set; trace ids on log lines. (A real process exporting to a real OTLP receiver, on
// both event transports: test/otel-otlp.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { otlpConfigured, tracingOn, useTracer } from '../src/kernel/otel.ts';
import { traceMixin } from '../src/kernel/log-trace.ts';
import { operationOf } from '../src/kernel/db/traced.ts';
import { closeRedis, openRedis } from '../src/kernel/redis.ts';
import { childTraceparent, runWithTrace } from '../src/kernel/trace.ts';
import { engines, loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';
import { checkout, COMMERCE_MODULES, createShop, readyCart, stockedVariants } from './commerce.ts';
import { startReceiver } from './receiver.ts';
import { waitFor } from './wait.ts';

// The webhook receiver listens on 127.0.0.1: opt in to private targets (off by default).
process.env.SOUK_WEBHOOK_ALLOW_PRIVATE = '1';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
before(() => useTracer(provider.getTracer('souk-test')));
after(() => useTracer(undefined));

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const isDb = (span: ReadableSpan) => span.attributes['db.system.name'] === 'postgresql';

it('is off unless an OTLP endpoint is configured', () => {
  assert.equal(otlpConfigured({}), false);
  assert.equal(otlpConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(otlpConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(tracingOn(), true);
});

it('names a statement span by its first keyword', () => {
  assert.equal(operationOf('select 1'), 'SELECT');
  assert.equal(operationOf('  -- why\n  with x as (select 1) select * from x'), 'WITH');
  assert.equal(operationOf('/* c */ insert into t values (1)'), 'INSERT');
  assert.equal(operationOf(''), 'SQL');
});

it('puts the current trace and span ids on log lines written inside a trace, and none outside', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
  const log = pino({ mixin: traceMixin }, sink);
  const traceparent = childTraceparent(undefined);
  runWithTrace({ traceparent, causedBy: null }, () => log.info('inside'));
  log.info('outside');
  const [, traceId, spanId] = traceparent.split('-');
  assert.equal(lines[0]!.trace_id, traceId);
  assert.equal(lines[0]!.span_id, spanId);
  assert.equal(lines[1]!.trace_id, undefined);
});

for (const engine of engines()) {
  describe(`one checkout is one trace [${engine}]`, () => {
    let started: StartedSouk;
    before(async () => {
      started = await startTestSouk(engine, { eventsPollMs: 10 });
    });
    after(async () => {
      await started.close();
    });

    it('HTTP → statements → order.created → its consumer → its statements → the webhook', async () => {
      const { souk } = started;
      // With the webhooks module on, its consumer handles every event of the platform, order.created too.
      const env = { engine, souk, app: souk.app, ownerToken: await loginAsNewOwner(souk) };
      const shop = await createShop(env, `otel-shop-${engine}`, undefined, [...COMMERCE_MODULES, 'webhooks']);
      const receiver = await startReceiver();
      try {
        const endpoint = await shop.admin({ method: 'POST', url: `/admin/platforms/${shop.slug}/webhooks/endpoints`, payload: { url: receiver.url, eventTypes: ['order.created'] } });
        assert.equal(endpoint.statusCode, 201, endpoint.body);
        const [variantId] = await stockedVariants(shop, 1, 5);
        const cartId = await readyCart(shop, [{ variantId: variantId!, quantity: 1 }]);
        exporter.reset();

        const res = await checkout(shop, cartId, 'otel-checkout');
        assert.equal(res.statusCode, 201, res.body);
        const traceId = res.headers['x-trace-id'] as string;
        const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
        const named = (name: string) => inTrace().find((s) => s.name === name);
        const consumed = (await waitFor('a consumer span for order.created', () => named('consume order.created')))!;
        const webhook = (await waitFor('the webhook client span', () => inTrace().find((s) => s.attributes['souk.webhook.delivery_id'] !== undefined), 20_000))!;

        const server = named('POST /store/carts/:cartId/checkout');
        const emitted = named('emit order.created');
        assert.ok(server && emitted, `spans in the trace: ${inTrace().map((s) => s.name).join(', ')}`);
        assert.equal(server.kind, SpanKind.SERVER);
        assert.equal(parentOf(server), undefined, 'the request starts the trace');
        assert.equal(server.attributes['http.response.status_code'], 201);
        assert.equal(emitted.kind, SpanKind.PRODUCER);
        assert.equal(consumed.kind, SpanKind.CONSUMER);
        assert.equal(parentOf(consumed), emitted.spanContext().spanId);
        assert.ok(consumed.attributes['messaging.consumer.group.name']);

        // Statements: the checkout's transaction below the request, its statements below the transaction,
        // and the event emitted from inside it.
        const byId = new Map(inTrace().map((s) => [s.spanContext().spanId, s]));
        const below = (span: ReadableSpan, ancestor: ReadableSpan): boolean => {
          for (let at: ReadableSpan | undefined = span; at; at = byId.get(parentOf(at) ?? '')) if (at === ancestor) return true;
          return false;
        };
        const statements = inTrace().filter(isDb);
        const transaction = statements.find((s) => s.name === 'transaction' && parentOf(s) === server.spanContext().spanId);
        assert.ok(transaction, 'the checkout transaction is a child of the request');
        assert.ok(statements.some((s) => s.name === 'INSERT' && parentOf(s) === transaction.spanContext().spanId), 'inserts inside the transaction');
        assert.ok(below(emitted, server));
        for (const s of statements) {
          assert.equal(s.kind, SpanKind.CLIENT);
          assert.equal(s.attributes['souk.db.engine'], engine === 'pglite' ? 'pglite' : 'postgres');
        }
        assert.ok(statements.some((s) => s.name !== 'transaction' && below(s, consumed)), 'the consumer\'s statements are below its span');

        // The webhook: a client span below the event's, and its span is the traceparent the receiver got.
        assert.equal(webhook.kind, SpanKind.CLIENT);
        assert.ok(below(webhook, emitted));
        assert.equal(webhook.attributes['http.response.status_code'], 200);
        const got = receiver.received.find((r) => JSON.parse(r.body).type === 'order.created');
        assert.equal(got?.headers.traceparent, `00-${traceId}-${webhook.spanContext().spanId}-01`);

        // Every span of the trace hangs off another span of it (no parent that was never exported). A span
        // ends before its parent does: the webhook's attempt row is inserted while its transaction is still
        // committing, so wait for the parents to end before calling one missing.
        const orphans = () => {
          const ids = new Set(inTrace().map((s) => s.spanContext().spanId));
          return inTrace().filter((s) => parentOf(s) && !ids.has(parentOf(s)!));
        };
        await waitFor('every parent in the trace ended', () => orphans().length === 0, 5_000).catch(() => undefined);
        for (const span of orphans()) assert.fail(`${span.name} has a parent outside the trace`);
      } finally {
        await receiver.close();
      }
    });

    it('a statement outside any trace (a background loop) makes no span', async () => {
      await started.souk.database.query('select 1 as untraced_probe');
      assert.equal(exporter.getFinishedSpans().filter((s) => isDb(s) && String(s.attributes['db.query.text']).includes('untraced_probe')).length, 0);
    });
  });
}

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('SOUK_REQUIRE_SERVICES=1 but REDIS_URL is not set');

describe('Redis command spans', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  it('wraps commands and scripts with the caller\'s parent, even when auto-pipelined together', async () => {
    const redis = await openRedis({ redisUrl });
    try {
      redis.defineCommand('soukOtelEcho', { numberOfKeys: 0, lua: 'return ARGV[1]' });
      const echo = (redis as unknown as { soukOtelEcho(value: string): Promise<string> }).soukOtelEcho.bind(redis);
      exporter.reset();
      const a = childTraceparent(undefined);
      const b = childTraceparent(undefined);
      // Issued in one tick: ioredis sends them in one pipeline, in whichever context came first.
      const results = await Promise.all([
        runWithTrace({ traceparent: a, causedBy: null }, () => echo('a')),
        runWithTrace({ traceparent: b, causedBy: null }, () => redis.get('souk-otel-test-missing')),
      ]);
      assert.deepEqual(results, ['a', null]);
      await redis.get('souk-otel-test-untraced');
      const spans = exporter.getFinishedSpans().filter((s) => s.attributes['db.system.name'] === 'redis');
      assert.deepEqual(spans.map((s) => s.name).sort(), ['EVALSHA soukOtelEcho', 'GET']);
      const script = spans.find((s) => s.name === 'EVALSHA soukOtelEcho')!;
      const get = spans.find((s) => s.name === 'GET')!;
      assert.equal(script.spanContext().traceId, a.split('-')[1]);
      assert.equal(parentOf(script), a.split('-')[2]);
      assert.equal(get.spanContext().traceId, b.split('-')[1]);
      assert.equal(parentOf(get), b.split('-')[2]);
      assert.equal(get.kind, SpanKind.CLIENT);
    } finally {
      await closeRedis(redis);
    }
  });
});
