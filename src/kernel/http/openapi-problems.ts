// Which problem codes an operation can answer. A module lists the codes its own code raises for each
// operation (its `openapi` docs table); the kernel adds the ones every route of a kind shares: input
// checks, the tenancy boundary, authentication, database constraints. Both lists come out in the served
// document (x-problem-codes on each 4xx response) and the fuzz suite fails on a code that is not listed.

/** What a module tells the document about one of its operations, keyed "METHOD /openapi/path". */
export interface OperationDoc {
  /** Stable camelCase id; generated clients name their methods after it. */
  operationId: string;
  /** A few plain sentences: what it does, when to use it, what it changes. Left out when the route has one. */
  description?: string;
  /** The problem codes this operation's own code may answer, by HTTP status. */
  problems?: Readonly<Partial<Record<number, readonly string[]>>>;
  /**
   * The request body as the document shows it (an OpenAPI Request Body Object), for a route whose handler
   * reads a body Fastify does not parse or validate, such as a multipart upload. A route with a body
   * schema is documented from that schema instead.
   */
  requestBody?: Readonly<Record<string, unknown>>;
}

export type OperationDocs = Readonly<Record<string, OperationDoc>>;

export type ProblemCodes = Map<number, Set<string>>;

/** What the kernel knows about a route when the document is built. */
export interface RouteFacts {
  method: string;
  /** OpenAPI path, e.g. /store/carts/{cartId} */
  path: string;
  module?: string | undefined;
  coreModule: boolean;
  public: boolean;
  ownerOnly: boolean;
  /** A principal with the host role may call it (otherwise 403 host_role_scope). */
  hostRole: boolean;
  hasBody: boolean;
  hasQuery: boolean;
  hasParams: boolean;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function add(codes: ProblemCodes, status: number, ...names: string[]): void {
  let set = codes.get(status);
  if (!set) codes.set(status, (set = new Set()));
  for (const name of names) set.add(name);
}

/** The codes the kernel itself can answer for this route (see errors.ts, input-guard.ts, tenancy.ts, cors.ts). */
export function sharedProblemCodes(route: RouteFacts): ProblemCodes {
  const codes: ProblemCodes = new Map();
  const input = route.hasBody || route.hasQuery || route.hasParams;
  if (input) add(codes, 400, 'validation_failed', 'invalid_characters', 'invalid_number');
  if (route.hasParams) add(codes, 400, 'path_too_long');
  // A path parameter of '.' or '..' is normalised away by the URL parser, so the request matches no route.
  if (route.hasParams) add(codes, 404, 'route_not_found');
  if (route.hasBody) {
    add(codes, 400, 'invalid_json', 'invalid_content_length');
    add(codes, 413, 'body_too_large');
    add(codes, 415, 'unsupported_media_type');
  }
  const surface = route.path.startsWith('/store') ? 'store' : route.path.startsWith('/admin') ? 'admin' : 'other';
  if (surface !== 'other') add(codes, 403, 'cors_origin_not_allowed');
  const moduleGated = route.module !== undefined && !route.coreModule;
  if (surface === 'store') {
    add(codes, 404, 'platform_not_found');
    if (moduleGated) add(codes, 404, 'module_disabled');
  }
  if (surface === 'admin' && !route.public) {
    add(codes, 401, 'unauthorized');
    if (WRITES.has(route.method) && !route.path.startsWith('/admin/auth/')) add(codes, 403, 'read_only_role');
    if (route.ownerOnly) add(codes, 403, 'owner_only');
    if (!route.hostRole && !route.path.startsWith('/admin/auth/')) add(codes, 403, 'host_role_scope');
    if (route.path.includes('{platform}')) {
      add(codes, 404, 'platform_not_found');
      if (moduleGated) add(codes, 404, 'module_disabled');
    }
  }
  if (WRITES.has(route.method) && surface !== 'other') {
    // Constraint and data errors a client's input can still cause past the edge checks, and contention
    // a transaction gave up on (errors.ts: databaseProblem, isTransientConflict).
    add(codes, 400, 'invalid_reference', 'invalid_value');
    add(codes, 409, 'already_exists');
    add(codes, 503, 'try_again');
  }
  return codes;
}

/** The shared codes and the module's own, merged; statuses and codes sorted for a stable document. */
export function problemCodesOf(route: RouteFacts, doc: OperationDoc | undefined): Array<[number, string[]]> {
  const codes = sharedProblemCodes(route);
  for (const [status, names] of Object.entries(doc?.problems ?? {})) add(codes, Number(status), ...(names ?? []));
  return [...codes.entries()].sort(([a], [b]) => a - b).map(([status, names]) => [status, [...names].sort()]);
}
