// Names the shared schemas of the OpenAPI document. A response or body schema that carries a `title`
// (Product, Cart, Order, …) is moved into components.schemas under that title and every use of it becomes
// a $ref, so generated clients get those type names. This only rewrites the served document: the route
// schemas Fastify validates and serialises with stay as they are, so runtime behaviour cannot change.

type Json = unknown;
type JsonObject = Record<string, Json>;

const COMPONENT_PREFIX = '#/components/schemas/';
const NAME = /^[A-Z][A-Za-z0-9]*$/;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with sorted keys, so two equal schemas compare equal whatever order their keys came in. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A schema's local `$defs` (TypeBox recursive types, e.g. the category tree) become components: inside a
 * served document `#/$defs/x` would point at the document's root, where nothing is.
 */
function liftLocalDefs(schema: JsonObject, components: JsonObject): void {
  const defs = schema.$defs;
  if (!isObject(defs)) return;
  delete schema.$defs;
  const rename = new Map(Object.keys(defs).map((key) => [`#/$defs/${key}`, `${COMPONENT_PREFIX}${key[0]!.toUpperCase()}${key.slice(1)}`]));
  const rewrite = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(rewrite);
    else if (isObject(node)) {
      const target = typeof node.$ref === 'string' ? rename.get(node.$ref) : undefined;
      if (target) node.$ref = target;
      Object.values(node).forEach(rewrite);
    }
  };
  rewrite(schema);
  for (const [key, def] of Object.entries(defs)) {
    rewrite(def);
    components[rename.get(`#/$defs/${key}`)!.slice(COMPONENT_PREFIX.length)] = def;
  }
}

/**
 * Walks the paths (and the components already there) bottom-up, replacing every titled schema with a
 * $ref to its component. Two different schemas under one title are a mistake in the route schemas and
 * fail loudly here, where the document test sees it, instead of one silently shadowing the other.
 */
export function nameSharedSchemas(document: { paths?: JsonObject; components?: JsonObject }): void {
  const components = ((document.components ??= {}).schemas ??= {}) as JsonObject;
  const seen = new Map<string, string>();

  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isObject(node)) return node;
    liftLocalDefs(node, components);
    for (const key of Object.keys(node)) node[key] = visit(node[key]);
    const title = node.title;
    if (typeof title !== 'string' || !NAME.test(title) || !('type' in node || 'anyOf' in node || 'properties' in node)) return node;
    const shape = canonical(node);
    const earlier = seen.get(title);
    if (earlier !== undefined && earlier !== shape) {
      throw new Error(`OpenAPI: two different schemas are titled "${title}"; give one of them another title.`);
    }
    seen.set(title, shape);
    components[title] = node;
    return { $ref: `${COMPONENT_PREFIX}${title}` };
  };

  for (const [name, schema] of Object.entries(components)) {
    if (isObject(schema)) {
      // A component keeps its own body; only what it contains is named.
      for (const key of Object.keys(schema)) schema[key] = visit(schema[key]);
      components[name] = schema;
    }
  }
  if (document.paths) document.paths = visit(document.paths) as JsonObject;
}
