// The trace test, as a user would see it: a real `souk start` with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a tiny OTLP/HTTP receiver in this test. One checkout's spans arrive as ONE trace: the HTTP
// request, its database statements, the order.created it emits, the consumers that handle it (and their
// statements) and the webhook sent for it, each span's parent a span of the same trace. On both event
// transports: embedded (on PGlite) and NATS JetStream (on PostgreSQL when DATABASE_URL is set). The
// request's log line carries the same trace_id and span_id.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deleteStream } from './nats-stream.ts';
import { createTempPostgres } from './harness.ts';
import { startReceiver } from './receiver.ts';
import { startSoukProcess, type SoukProcess } from './souk-process.ts';
import { waitFor } from './wait.ts';
import { call, demoAdmin, demoCheckout } from './http-shop.ts';
import { DEMO } from '../src/seed/demo.ts';

const natsUrl = process.env.NATS_URL;
if (!natsUrl && process.env.SOUK_REQUIRE_SERVICES === '1') throw new Error('SOUK_REQUIRE_SERVICES=1 but NATS_URL is not set');

/** One span as OTLP/JSON carries it (ids in hex, kind 1 internal … 5 consumer). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

const KIND = { server: 2, client: 3, producer: 4, consumer: 5 };

function attribute(span: OtlpSpan, key: string): string | undefined {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : String(value.stringValue ?? value.intValue);
}

/** A tiny OTLP/HTTP collector: accepts POST /v1/traces in the JSON encoding the HTTP exporter sends. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; contentTypes: Set<string>; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
      for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const transports = ['embedded', ...(natsUrl ? ['jetstream'] : [])] as const;

for (const transport of transports) {
  describe(`a real souk start exports one checkout as one trace over OTLP [${transport}]`, () => {
    const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const stream = `SOUK_T_OTLP_${run.toUpperCase()}`;
    const dir = mkdtempSync(join(tmpdir(), 'souk-otlp-'));
    let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
    let hooks: Awaited<ReturnType<typeof startReceiver>>;
    let souk: SoukProcess | undefined;
    let postgres: Awaited<ReturnType<typeof createTempPostgres>> | undefined;

    before(async () => {
      collector = await startOtlpReceiver();
      hooks = await startReceiver();
      // JetStream on PostgreSQL (as at scale) when there is one; the embedded log on PGlite.
      if (transport === 'jetstream' && process.env.DATABASE_URL) postgres = await createTempPostgres();
      souk = await startSoukProcess(['--allow-private-webhooks'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: 'souk-otlp-test',
        // Export every 100 ms rather than every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
        SOUK_DATA_DIR: join(dir, 'data'),
        DATABASE_URL: postgres?.url ?? '',
        SOUK_EVENTS_TRANSPORT: transport,
        ...(transport === 'jetstream' ? { NATS_URL: natsUrl!, SOUK_NATS_STREAM: stream, SOUK_NATS_SUBJECT_PREFIX: `souk_t.otlp.${run}` } : {}),
        SOUK_EVENTS_POLL_MS: '20',
        LOG_LEVEL: 'info',
      });
    });

    after(async () => {
      await souk?.stop();
      await collector?.close();
      await hooks?.close();
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
      if (transport === 'jetstream') await deleteStream(natsUrl!, stream);
    });

    it('HTTP, database, producer, consumer and webhook spans share one trace, every parent in it', async () => {
      const base = souk!.base;
      const endpoint = await call(base, 'POST', `/admin/platforms/${DEMO.platforms[0].slug}/webhooks/endpoints`, { url: hooks.url, eventTypes: ['order.created'] }, await demoAdmin(base));
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.json));
      const placed = await demoCheckout(base, `otlp-${run}`);
      const traceId = placed.headers.get('x-trace-id')!;

      const inTrace = () => collector.spans.filter((s) => s.traceId === traceId);
      const webhookSpan = () => inTrace().find((s) => attribute(s, 'souk.webhook.delivery_id') !== undefined);
      await waitFor('the webhook span to be exported', () => webhookSpan() !== undefined, 30_000);
      // Then until every parent named in the trace has arrived (spans end, and are exported, child first).
      const byId = () => new Map(inTrace().map((s) => [s.spanId, s]));
      await waitFor('every parent in the trace to be exported', () => inTrace().every((s) => !s.parentSpanId || byId().has(s.parentSpanId)), 15_000).catch(() => undefined);
      const spans = inTrace();
      const ids = byId();
      const names = spans.map((s) => s.name).sort().join(', ');
      for (const span of spans) if (span.parentSpanId) assert.ok(ids.has(span.parentSpanId), `${span.name} names a parent outside the trace; spans: ${names}`);

      const server = spans.find((s) => s.kind === KIND.server && s.name === 'POST /store/carts/:cartId/checkout');
      assert.ok(server, `no server span in ${names}`);
      assert.ok(!server.parentSpanId, 'the request starts the trace');
      const emitted = spans.find((s) => s.kind === KIND.producer && s.name === 'emit order.created');
      const consumers = spans.filter((s) => s.kind === KIND.consumer && s.name === 'consume order.created');
      assert.ok(emitted && consumers.length > 0, `no producer or consumer span in ${names}`);
      for (const consumer of consumers) assert.equal(consumer.parentSpanId, emitted.spanId);
      const ancestors = (span: OtlpSpan) => {
        const chain: OtlpSpan[] = [];
        for (let at = ids.get(span.parentSpanId ?? ''); at; at = ids.get(at.parentSpanId ?? '')) chain.push(at);
        return chain;
      };
      assert.ok(ancestors(emitted).includes(server), 'the event is emitted below the request');
      const statements = spans.filter((s) => attribute(s, 'db.system.name') === 'postgresql' && s.name !== 'transaction');
      assert.ok(statements.some((s) => ancestors(s).includes(server)), 'the request\'s statements are in the trace');
      assert.ok(statements.some((s) => ancestors(s).some((a) => consumers.includes(a))), 'a consumer\'s statements are in the trace');
      for (const s of statements) assert.equal(s.kind, KIND.client);
      const engine = postgres ? 'postgres' : 'pglite';
      assert.ok(statements.every((s) => attribute(s, 'souk.db.engine') === engine));

      const webhook = webhookSpan()!;
      assert.equal(webhook.kind, KIND.client);
      assert.ok(ancestors(webhook).includes(emitted), 'the webhook attempt is below the event');
      const got = hooks.received.find((r) => JSON.parse(r.body).type === 'order.created');
      assert.equal(got?.headers.traceparent, `00-${traceId}-${webhook.spanId}-01`, 'the receiver gets the attempt\'s span as its parent');

      // The request's log line carries the trace and the request's span.
      const lines = souk!.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      const completed = lines.find((l) => l.msg === 'request completed' && l.trace_id === traceId);
      assert.ok(completed, 'a request log line with the trace id');
      assert.equal(completed.span_id, server.spanId);
      assert.deepEqual([...collector.contentTypes], ['application/json']);
    });
  });
}
