// Builds the Fastify application: logging, validation, problem errors, metrics, OpenAPI and the API
// reference, health checks, the tenancy boundary, then each module's routes in its own plugin scope.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { newId } from '../ids.ts';
import { childTraceparent, runWithTrace, traceIdOf } from '../trace.ts';
import type { ModuleContext, SoukModule } from '../context.ts';
import { installErrorHandling } from './errors.ts';
import { installHttpMetrics } from './metrics.ts';
import { installTenancy, type TenancyOptions } from './tenancy.ts';
import { badRequest, problemSchema } from './problem.ts';
import './request.ts';

export interface AppOptions {
  ctx: ModuleContext;
  modules: readonly SoukModule[];
  authenticateAdmin: TenancyOptions['authenticateAdmin'];
  /** Returns true when the database answers and no migration is pending. */
  isReady(): Promise<{ ok: boolean; detail: string }>;
  logger: FastifyBaseLogger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

/** PostgreSQL text cannot hold U+0000; refuse it up front with a clear 400 instead of failing mid-write. */
function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      throw badRequest('invalid_characters', 'Text values may not contain the NUL character (U+0000).');
    }
  });
}

/** The traceparent chosen for a raw request when its logger was made (see childLoggerFactory). */
const requestTraceparent = new WeakMap<object, string>();

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
    // The request's logger carries the request id and the trace id: one child logger per request, made
    // here, instead of a second one in the onRequest hook.
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) => {
      const incoming = rawRequest.headers.traceparent;
      const traceparent = childTraceparent(typeof incoming === 'string' ? incoming : undefined);
      requestTraceparent.set(rawRequest, traceparent);
      return logger.child({ ...bindings, traceId: traceIdOf(traceparent) }, childOptions);
    },
    bodyLimit: 5 * 1024 * 1024,
    ajv: {
      // Unknown properties are an error the client should hear about, not something silently dropped.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // W3C trace context: continue the caller's trace (traceparent header) or start one. Everything the
  // request does, including events it emits, runs inside it; the trace id goes on every log line.
  app.addHook('onRequest', (request, reply, done) => {
    let traceparent = requestTraceparent.get(request.raw);
    if (traceparent === undefined) {
      const incoming = request.headers.traceparent;
      traceparent = childTraceparent(typeof incoming === 'string' ? incoming : undefined);
      request.log = request.log.child({ traceId: traceIdOf(traceparent) });
    }
    reply.header('x-trace-id', traceIdOf(traceparent)!);
    // Calling done() inside run() makes the rest of the request's hook chain and handler see the context.
    runWithTrace({ traceparent, causedBy: null }, done);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installErrorHandling(app);
  rejectNulCharacters(app);
  installHttpMetrics(app, ctx.metrics);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Souk API',
        version: '0.1.0',
        description:
          'Storefront routes (/store) find their platform by the Host header or the x-publishable-key header. ' +
          'Admin routes (/admin) need a bearer token from POST /admin/auth/login or a secret API key. ' +
          'Errors are application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer', description: 'Admin session token or secret API key (sk_…)' },
          customerBearer: { type: 'http', scheme: 'bearer', description: 'Customer session token from POST /store/auth/login' },
          publishableKey: { type: 'apiKey', in: 'header', name: 'x-publishable-key' },
        },
        schemas: { Problem: problemSchema as unknown as Record<string, unknown> },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], summary: 'The database answers and migrations are applied' } }, async (_request, reply) => {
    const readiness = await options.isReady().catch((error: Error) => ({ ok: false, detail: error.message }));
    return reply.code(readiness.ok ? 200 : 503).send({ status: readiness.ok ? 'ready' : 'not_ready', detail: readiness.detail });
  });

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
      await mod.routes(scope, ctx);
    });
  }
  return app;
}
