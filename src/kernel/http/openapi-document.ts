// Assembles the OpenAPI document served at /openapi.json (and rendered at /docs): the API's description,
// servers, security schemes and tags, then per operation the id, description and problem codes from the
// modules' docs tables (and a request body a module describes itself, such as a multipart upload), every
// 4xx/5xx answer as a Problem, and the shared schemas named as components.
// test/openapi-document.test.ts validates the result; the fuzz suite checks the problem codes.
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { AnySoukModule } from '../context.ts';
import { nameSharedSchemas } from './openapi-components.ts';
import { problemCodesOf, type OperationDocs, type RouteFacts } from './openapi-problems.ts';
import { problemSchema } from './problem.ts';

const API_DESCRIPTION = [
  'Souk is a self-hostable, multi-platform commerce server: one deployment serves many storefronts',
  '(platforms), each with its own catalogue, stock, carts, orders, payments, flash sales and webhooks.',
  '',
  '**Storefront routes** (`/store/…`) act on the platform named by the `x-publishable-key` header, or',
  'else by the Host header. Customer routes also take a customer session token as a bearer token.',
  '',
  '**Admin routes** (`/admin/…`) need `Authorization: Bearer <token>`: a session token from',
  '`POST /admin/auth/login` or a secret API key (`sk_…`). Owners see every platform; platform admins and',
  'support users see only theirs, and support users cannot change anything.',
  '',
  '**Errors** are `application/problem+json` (RFC 9457) with a stable machine-readable `code`. Each',
  'operation lists the codes it can answer per status in `x-problem-codes` and in the response',
  'description; `requestId` and `traceId` find the request in the server logs.',
  '',
  'Money is in integer minor units (cents, fen) with an ISO 4217 currency. Lists are newest first with',
  'cursor pagination: pass `nextCursor` back unchanged.',
].join('\n');

/** Tags that are not a module's name. */
const EXTRA_TAGS = [
  { name: 'storefront', description: 'The platform a storefront resolves to, customer accounts and sessions, demo images.' },
  { name: 'health', description: 'Liveness and readiness probes for orchestrators and load balancers.' },
];

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is malformed or invalid.',
  401: 'Authentication is missing or not valid.',
  403: 'Authenticated, but not allowed to do this.',
  404: 'Not found, or not visible to the caller.',
  409: 'Conflicts with the current state of the resource.',
  413: 'The body is too large.',
  415: 'The body is not JSON.',
  422: 'Well-formed, but not acceptable in the current state of things.',
  429: 'Too many requests; retry after the Retry-After header.',
  502: 'The payment provider failed to answer.',
  503: 'Temporarily unable to answer; nothing was changed, send the request again.',
};

/** The problem+json body, as documented (the route schemas use the smaller problemSchema). */
const PROBLEM_COMPONENT = {
  ...problemSchema,
  title: 'Problem',
  description: 'An RFC 9457 problem. `code` is stable and machine-readable; `detail` is for people.',
  properties: {
    type: { type: 'string', description: 'urn:souk:problem:<code>' },
    title: { type: 'string', description: 'The HTTP status text' },
    status: { type: 'integer', description: 'The HTTP status code' },
    code: { type: 'string', description: 'Stable, machine-readable code, e.g. out_of_stock' },
    detail: { type: 'string', description: 'What went wrong, in words a person can act on' },
    requestId: { type: 'string', description: 'The request id (also the x-request-id header)' },
    traceId: { type: 'string', description: 'The W3C trace id (also the x-trace-id header)' },
    errors: {
      type: 'array',
      description: 'validation_failed: every field that failed',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] },
    },
    retryAfter: { type: 'integer', description: 'Seconds to wait before retrying (429, 503)' },
  },
};

type Operation = { operationId?: string; responses?: Record<string, Record<string, unknown>>; [key: string]: unknown };
type Document = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

type JsonSchema = { properties?: Record<string, JsonSchema>; required?: string[]; default?: unknown; [key: string]: unknown };

/**
 * A request schema as a client sees it: a property with a default is filled in by the server when left out
 * (Ajv's useDefaults), so it is not required of the caller, whatever the validation schema says. Copies;
 * nested objects and arrays are followed.
 */
function optionalDefaults<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(optionalDefaults) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: JsonSchema = { ...(schema as JsonSchema) };
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf', 'not', 'additionalProperties'] as const) {
    if (copy[key] !== undefined) copy[key] = optionalDefaults(copy[key]);
  }
  if (copy.properties) {
    const properties = Object.fromEntries(Object.entries(copy.properties).map(([name, property]) => [name, optionalDefaults(property)]));
    copy.properties = properties;
    if (copy.required) copy.required = copy.required.filter((name) => properties[name]?.default === undefined);
  }
  return copy as T;
}

/** Puts each operation's problem codes on its 4xx/5xx responses, all pointing at the Problem component. */
function documentProblems(document: Document, facts: Map<string, RouteFacts>, docs: OperationDocs): void {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const key = `${method.toUpperCase()} ${path}`;
      const route = facts.get(key);
      if (!route) continue;
      const responses = (operation.responses ??= {});
      const codes = problemCodesOf(route, docs[key]);
      operation['x-problem-codes'] = Object.fromEntries(codes.map(([status, names]) => [status, names]));
      for (const [status, names] of codes) {
        responses[status] = {
          description: `${STATUS_TEXT[status] ?? 'Error.'} Problem codes: ${names.map((n) => `\`${n}\``).join(', ')}.`,
          'x-problem-codes': names,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
      // A status a route schema declares but no code is known for keeps the Problem shape too.
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && !codes.some(([s]) => s === Number(status))) {
          response.content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
        }
      }
    }
  }
}

/** Request bodies the modules describe themselves (OperationDoc.requestBody): routes without a body schema. */
function documentRequestBodies(document: Document, docs: OperationDocs): void {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const requestBody = docs[`${method.toUpperCase()} ${path}`]?.requestBody;
      if (requestBody && operation.requestBody === undefined) operation.requestBody = structuredClone(requestBody);
    }
  }
}

/** Options for @fastify/swagger: the document's frame and the hooks that fill in each operation. */
export function openApiOptions(publicUrl: string, modules: readonly AnySoukModule[], kernelDocs: OperationDocs): FastifyDynamicSwaggerOptions {
  const docs: OperationDocs = Object.assign({}, kernelDocs, ...modules.map((m) => m.openapi ?? {}));
  const coreModules = new Set(modules.filter((m) => m.core).map((m) => m.name));
  const facts = new Map<string, RouteFacts>();
  return {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Souk API', version: '0.1.0', description: API_DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
      servers: [{ url: publicUrl, description: 'This server (SOUK_PUBLIC_URL)' }],
      tags: [...modules.map((m) => ({ name: m.name, description: m.description })), ...EXTRA_TAGS],
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer', description: 'Admin session token from POST /admin/auth/login, or a secret API key (sk_…)' },
          customerBearer: { type: 'http', scheme: 'bearer', description: 'Customer session token from POST /store/auth/login or POST /store/customers' },
          publishableKey: { type: 'apiKey', in: 'header', name: 'x-publishable-key', description: "A platform's publishable key (pk_…); picks the storefront's platform" },
        },
        schemas: { Problem: PROBLEM_COMPONENT as Record<string, unknown> },
      },
    },
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url };
      const path = openApiPath(url);
      const methods = typeof route.method === 'string' ? [route.method] : route.method;
      const config = (route.config ?? {}) as { module?: string; public?: boolean; ownerOnly?: boolean; hostRole?: boolean };
      let doc;
      for (const method of methods) {
        const key = `${method} ${path}`;
        doc ??= docs[key];
        facts.set(key, {
          method,
          path,
          module: config.module,
          coreModule: config.module !== undefined && coreModules.has(config.module),
          public: config.public === true,
          ownerOnly: config.ownerOnly === true,
          hostRole: config.hostRole === true,
          hasBody: schema.body !== undefined,
          hasQuery: schema.querystring !== undefined,
          hasParams: schema.params !== undefined,
        });
      }
      // A copy: the route's own schema is what Fastify validates with and must not change.
      // The route's own description, when it has one, is kept: it sits next to the code it describes.
      const documented = schema.body === undefined ? schema : { ...schema, body: optionalDefaults(schema.body) };
      return { schema: doc ? { ...documented, operationId: doc.operationId, description: schema.description ?? doc.description } : documented, url };
    },
    transformObject: (documentObject) => {
      const document = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as Document;
      documentProblems(document, facts, docs);
      documentRequestBodies(document, docs);
      nameSharedSchemas(document as Parameters<typeof nameSharedSchemas>[0]);
      return document as ReturnType<NonNullable<FastifyDynamicSwaggerOptions['transformObject']>>;
    },
  };
}
