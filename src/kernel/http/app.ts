// Builds the Fastify application: logging, validation, problem errors, metrics, OpenAPI and the API
// reference, health checks, the tenancy boundary, then each module's routes in its own plugin scope.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { newId } from '../ids.ts';
import { requestTrace, runWithTrace } from '../trace.ts';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { logIdsOf, startSpan, traceparentOf, tracingOn } from '../otel.ts';
import type { AnySoukModule, ModuleContext } from '../context.ts';
import { frameworkProblem, installErrorHandling, sendProblem } from './errors.ts';
import { setSecurityHeaders } from './headers.ts';
import { installCors } from './cors.ts';
import { installHttpMetrics } from './metrics.ts';
import { installTenancy, type TenancyOptions } from './tenancy.ts';
import { headersTooLarge, malformedRequest, requestTimeout } from './problems.ts';
import { openApiOptions } from './openapi-document.ts';
import type { OperationDocs } from './openapi-problems.ts';
import { installInputGuard } from './input-guard.ts';
import { installTestFaults, testFaultsFromEnv } from './test-faults.ts';
import { strictBodySchemaController } from './validation.ts';
import { RequestLogger } from './request-logger.ts';
import './request.ts';
import { registerConsole } from '../../console/serve.ts';
import { storefrontSite } from '../../storefront/serve.ts';

export interface AppOptions {
  ctx: ModuleContext;
  /** In dependency order; each module's routes get its runtime. */
  modules: readonly AnySoukModule[];
  runtimeOf(module: AnySoukModule): unknown;
  authenticateAdmin: TenancyOptions['authenticateAdmin'];
  /** Returns true when the database answers and no migration is pending. */
  isReady(): Promise<{ ok: boolean; detail: string }>;
  logger: FastifyBaseLogger;
  /**
   * 'probes': only /healthz, /readyz and /metrics (the worker role: no API, reference or console);
   * 'all' by default.
   */
  serve?: 'all' | 'probes';
}

/** The kernel's own operations, for the OpenAPI document. */
const HEALTH_DOCS: OperationDocs = {
  'GET /healthz': {
    operationId: 'getLiveness',
    description: 'Answers 200 while the process runs, without touching the database: a liveness probe.',
  },
  'GET /readyz': {
    operationId: 'getReadiness',
    description: 'Answers 200 when the database answers and no migration is pending, 503 otherwise: a readiness probe.',
  },
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

interface RequestTrace {
  traceparent: string;
  traceId: string;
}

/** The trace chosen for a raw request when its logger was made (see childLoggerFactory). */
const kRequestTrace = Symbol('souk.requestTrace');
/** The request's OpenTelemetry span, when tracing is on (kernel/otel.ts). */
const kRequestSpan = Symbol('souk.requestSpan');
type RawWithTrace = { [kRequestTrace]?: RequestTrace; [kRequestSpan]?: Span; headers: Record<string, string | string[] | undefined>; method?: string };

function traceOfRaw(raw: RawWithTrace): RequestTrace {
  let trace = raw[kRequestTrace];
  if (trace === undefined) {
    const incoming = raw.headers.traceparent;
    const parent = typeof incoming === 'string' ? incoming : undefined;
    // With tracing on, the request's traceparent is its server span's, so what it emits hangs below it.
    const span = tracingOn() ? startSpan(`${raw.method ?? 'HTTP'}`, parent, SpanKind.SERVER, { 'http.request.method': raw.method }) : undefined;
    if (span !== undefined) raw[kRequestSpan] = span;
    trace = span === undefined ? requestTrace(parent) : { traceparent: traceparentOf(span), traceId: span.spanContext().traceId };
    raw[kRequestTrace] = trace;
  }
  return trace;
}

/** Ends each request's span with its route and status (added only while tracing is on: no cost otherwise). */
function installRequestSpans(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const span = (request.raw as unknown as RawWithTrace)[kRequestSpan];
    if (span !== undefined) {
      const route = request.routeOptions.url ?? 'unmatched';
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/**
 * A request Node's HTTP parser refuses (raw non-ASCII in the URL, broken headers) never reaches Fastify's
 * routes; answer it as a problem+json like every other error instead of Fastify's bare default.
 */
function answerMalformedRequest(error: Error & { code?: string }, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? headersTooLarge()
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? requestTimeout()
        : malformedRequest('The request line or headers could not be parsed; percent-encode non-ASCII characters in the URL.');
  const status = problem.status;
  const body = JSON.stringify(problem.toBody());
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\n` +
      `Content-Type: application/problem+json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function installProbes(app: FastifyInstance, isReady: AppOptions['isReady']): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], summary: 'The database answers and migrations are applied' } }, async (_request, reply) => {
    const readiness = await isReady().catch((error: Error) => ({ ok: false, detail: error.message }));
    return reply.code(readiness.ok ? 200 : 503).send({ status: readiness.ok ? 'ready' : 'not_ready', detail: readiness.detail });
  });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { ctx } = options;
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: ctx.config.trustProxy,
    // Honour a caller's request id (from a gateway) when it is sane; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    // The request's logger carries the request id and the trace id. The trace is chosen here (once per
    // request) and the pino child is only made when the request writes a line (see request-logger.ts).
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) => {
      const { traceparent } = traceOfRaw(rawRequest as unknown as RawWithTrace);
      return new RequestLogger(logger, bindings, traceparent, childOptions);
    },
    bodyLimit: 5 * 1024 * 1024,
    clientErrorHandler: answerMalformedRequest,
    // Errors the router raises before any hook runs (a path parameter over 100 characters, an undecodable
    // URL) get the same problem+json, ids and headers as every other error.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-trace-id', traceOfRaw(request.raw as unknown as RawWithTrace).traceId);
      setSecurityHeaders(request, reply);
      sendProblem(reply, error.statusCode ?? 400, frameworkProblem(error));
    },
    // Bodies are validated as sent (no type coercion); query strings and path parameters are parsed from
    // text. Unknown properties are an error the client should hear about, not something silently dropped.
    schemaController: strictBodySchemaController,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // W3C trace context: continue the caller's trace (traceparent header) or start one. Everything the
  // request does, including events it emits, runs inside it; the trace id goes on every log line.
  // Both ids go on the response here rather than in an onSend hook: the error and 404 handlers keep
  // headers set earlier, and an async onSend hook cost a promise and a hook-runner pass per response.
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw as unknown as RawWithTrace;
    const known = raw[kRequestTrace] !== undefined;
    const { traceparent, traceId } = traceOfRaw(raw);
    // Only when the logger did not come from childLoggerFactory (never, today).
    if (!known) request.log = request.log.child({ ...logIdsOf(traceparent) });
    reply.header('x-trace-id', traceId);
    reply.header('x-request-id', request.id);
    setSecurityHeaders(request, reply);
    // Calling done() inside run() makes the rest of the request's hook chain and handler see the context.
    runWithTrace({ traceparent, causedBy: null }, done);
  });

  // Draining on close: Fastify closes the keep-alive connections that are idle when close starts. One
  // busy then (a request in flight) turns idle once answered and would hold close() until the
  // keep-alive timeout (72 s), past SOUK_SHUTDOWN_TIMEOUT_MS: reap such connections as they turn idle.
  app.addHook('preClose', (done) => {
    if (app.server.listening) {
      const reap = setInterval(() => app.server.closeIdleConnections(), 50);
      reap.unref();
      app.server.once('close', () => clearInterval(reap));
    }
    done();
  });

  // A WebSocket upgrade answered with anything but 101 (unknown path, no credentials, no such room) is
  // written by @fastify/websocket onto the raw socket, which the HTTP server no longer tracks; the
  // plugin's own clean-up only sees requests that got past every onRequest hook. Close the socket once
  // the answer is written, or it stays open until the client leaves and holds the server's shutdown.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.raw.headers.upgrade !== undefined && reply.statusCode !== 101) request.raw.socket?.destroySoon();
    done();
  });

  if (tracingOn()) installRequestSpans(app);
  // The web storefront on platform hosts: pages from the not-found handler, assets under /assets/.
  const storefront = options.serve === 'probes' ? undefined : storefrontSite(ctx.platforms, { mediaUrl: ctx.config.media.playbackBaseUrl });
  installErrorHandling(app, { notFoundPage: storefront?.page });
  installInputGuard(app);
  installHttpMetrics(app, ctx.metrics, ctx.config.metricsToken);
  if (options.serve === 'probes') {
    installProbes(app, options.isReady);
    return app;
  }

  // Only with NODE_ENV=test or SOUK_TEST_FAULTS=1, never with NODE_ENV=production (test-faults.ts).
  const faults = testFaultsFromEnv();
  if (faults) installTestFaults(app, faults);

  await app.register(swagger, openApiOptions(ctx.config.publicUrl, options.modules, HEALTH_DOCS));
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installProbes(app, options.isReady);

  installCors(app, { platforms: ctx.platforms, adminOrigins: ctx.config.adminCorsOrigins });
  installTenancy(app, {
    platforms: ctx.platforms,
    coreModules: new Set(options.modules.filter((m) => m.core).map((m) => m.name)),
    authenticateAdmin: options.authenticateAdmin,
  });

  for (const mod of options.modules) {
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), module: mod.name };
      });
      await mod.routes(scope, ctx, options.runtimeOf(mod));
    });
  }
  // The admin console's static files, outside /admin and /store: the app itself calls /admin like any client.
  await registerConsole(app);
  // The storefront app's files (its pages come from the not-found handler; it calls /store like any client).
  await storefront?.registerAssets(app);
  return app;
}
