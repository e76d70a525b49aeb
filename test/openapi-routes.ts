// Reads the route list from the served OpenAPI document, so the isolation and fuzz suites cover every
// route that exists, including ones added after these suites were written.
import type { FastifyInstance } from 'fastify';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  minProperties?: number;
  patternProperties?: Record<string, JsonSchema>;
  $ref?: string;
};

export interface RouteSpec {
  method: string;
  /** OpenAPI path, e.g. /admin/platforms/{platform}/products/{productId} */
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  /** The problem codes the operation lists per status (x-problem-codes in the document). */
  problemCodes: Record<string, string[]>;
  /** 'store' routes act on the platform of the Host/publishable key; 'admin' need a principal. */
  surface: 'store' | 'admin' | 'other';
}

/**
 * The schema with every `#/components/schemas/X` reference replaced by the component itself, so the
 * suites' generators see plain schemas. A recursive reference is left as it is below its first use.
 */
export function resolveRefs(schema: unknown, components: Record<string, unknown>, open: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(schema)) return schema.map((item) => resolveRefs(item, components, open));
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const name = ref.slice('#/components/schemas/'.length);
    if (open.has(name) || !(name in components)) return schema;
    return resolveRefs(components[name], components, new Set([...open, name]));
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, resolveRefs(value, components, open)]));
}

type OpenApiOperation = { 'x-problem-codes'?: Record<string, string[]>; parameters?: Array<{ in: string; name: string; schema: JsonSchema }>; requestBody?: { content: Record<string, { schema: JsonSchema }> } };

export async function routesFromOpenApi(app: FastifyInstance): Promise<RouteSpec[]> {
  const res = await app.inject({ url: '/openapi.json' });
  const raw = res.json<{ paths: Record<string, Record<string, OpenApiOperation>>; components?: { schemas?: Record<string, unknown> } }>();
  const doc = { paths: resolveRefs(raw.paths, raw.components?.schemas ?? {}) as Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteSpec[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: op.requestBody?.content['application/json']?.schema,
        problemCodes: op['x-problem-codes'] ?? {},
        surface: path.startsWith('/store') ? 'store' : path.startsWith('/admin') ? 'admin' : 'other',
      });
    }
  }
  return routes;
}

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No test value for path parameter "${name}" in ${path}: add one to the suite's table.`);
    return encodeURIComponent(value);
  });
}

/** A small valid instance of a JSON schema: required properties only, lowest allowed values. */
export function minimalInstance(schema: JsonSchema | undefined, hints: Record<string, unknown> = {}, key = ''): unknown {
  if (!schema) return undefined;
  if (key && key in hints) return hints[key];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.[0]) return minimalInstance(variants[0], hints, key);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = minimalInstance(schema.properties?.[name], hints, name);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimalInstance(schema.items, hints));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'string':
      if (schema.format === 'email') return 'someone@example.test';
      if (schema.format === 'uuid') return '00000000-0000-7000-8000-000000000001';
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return {};
  }
}
