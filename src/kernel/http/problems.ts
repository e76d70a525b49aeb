// Every problem the kernel answers (framework and database errors, tenancy, limits, cursors), named once.
// Modules build their own codes in their own problems.ts; they reuse a kernel code through the
// constructors here, giving only their own wording where it differs.
import { problemMaker } from './problem.ts';

export const kernelProblemCodes = [
  'validation_failed',
  'invalid_json',
  'body_too_large',
  'unsupported_media_type',
  'invalid_content_length',
  'path_too_long',
  'malformed_request',
  'headers_too_large',
  'request_timeout',
  'already_exists',
  'invalid_reference',
  'invalid_value',
  'invalid_characters',
  'invalid_number',
  'try_again',
  'internal_error',
  'route_not_found',
  'cors_origin_not_allowed',
  'module_disabled',
  'platform_not_found',
  'unauthorized',
  'read_only_role',
  'owner_only',
  'host_role_scope',
  'invalid_cursor',
  'rate_limited',
  'money_limit_exceeded',
  'risk_denied',
  'challenge_required',
  'test_fault_injected',
  'database_moved',
] as const;

const problem = problemMaker(kernelProblemCodes);

// Request shape: the framework's own errors, in Souk's words (its message names its internals).
export const validationFailed = (detail: string, errors: unknown[]) => problem(400, 'validation_failed', detail, { errors });
export const invalidJson = (detail = 'The body is not valid JSON.', status = 400) => problem(status, 'invalid_json', detail);
export const malformedRequest = (detail: string, status = 400) => problem(status, 'malformed_request', detail);
/** Fastify error codes Souk words itself; the status stays the one Fastify gave. */
export const frameworkProblems: Record<string, (status: number) => ReturnType<typeof problem>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: (status) => invalidJson(undefined, status),
  FST_ERR_CTP_EMPTY_JSON_BODY: (status) =>
    invalidJson('The body is empty but the content-type says JSON; send a JSON value or no content-type.', status),
  FST_ERR_CTP_BODY_TOO_LARGE: (status) => problem(status, 'body_too_large', 'The request body is larger than allowed.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (status) =>
    problem(status, 'unsupported_media_type', 'This content-type is not accepted here; send application/json.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (status) =>
    problem(status, 'invalid_content_length', 'The content-length header does not match the body.'),
  FST_ERR_MAX_PARAM_LENGTH: (status) => problem(status, 'path_too_long', 'A path parameter is longer than 100 characters.'),
  FST_ERR_BAD_URL: (status) => malformedRequest('The URL could not be decoded; percent-encode it as UTF-8.', status),
};
export const headersTooLarge = () => problem(431, 'headers_too_large', 'The request headers are too large.');
export const requestTimeout = () => problem(408, 'request_timeout', 'The request took too long to arrive.');
export const routeNotFound = (method: string, path: string) =>
  problem(404, 'route_not_found', `There is no route ${method} ${path}; see /docs for the API.`);

// Values: what the edge or the database refuses.
export const invalidCharacters = (detail: string) => problem(400, 'invalid_characters', detail);
export const invalidNumber = () =>
  problem(400, 'invalid_number', `Numbers must be finite and between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}.`);
export const alreadyExists = (constraint: string | undefined) =>
  problem(409, 'already_exists', `A record with the same unique value already exists (${constraint ?? 'unique constraint'}).`);
/** 400 invalid_reference: a reference the request gives that does not hold (its wording says which). */
export const invalidReference = (detail: string) => problem(400, 'invalid_reference', detail);
export const invalidValue = (detail: string) => problem(400, 'invalid_value', detail);
export const invalidCursor = () => problem(400, 'invalid_cursor', 'The cursor is malformed; pass the nextCursor of the previous page unchanged.');
/** 400 invalid_cursor in a module's own words (a cursor of another sort order). */
export const invalidCursorBecause = (detail: string) => problem(400, 'invalid_cursor', detail);
export const moneyLimitExceeded = (what: string, amount: number | bigint, unit: string, max: number) =>
  problem(422, 'money_limit_exceeded', `The ${what} would be ${amount}${unit}; Souk accepts at most ${max} per cart, order, payment or refund.`, { max });

// Failures: nothing the client did wrong.
/** 503 try_again with Retry-After (1 s unless said); nothing changed and the same request may be sent again. */
export const tryAgain = (detail: string, seconds = 1, extras: Record<string, unknown> = {}) =>
  problem(503, 'try_again', detail, { retryAfter: seconds, ...extras }, { 'retry-after': String(seconds) });
/** A write on a database `souk db move --mode smooth` moved away from: this server must be restarted on the new one. */
export const databaseMoved = () =>
  problem(503, 'database_moved', "This server's database was moved (souk db move) and takes no more changes; the shop now runs on the new database. Nothing was changed: send the request again once this address serves the new database.");
export const internalError = (requestId: string) =>
  problem(500, 'internal_error', 'Something went wrong on our side; the request id in the logs identifies it.', { requestId });

// Who may call: tenancy, roles, limits.
export const corsOriginNotAllowed = (origin: string) =>
  problem(
    403,
    'cors_origin_not_allowed',
    `Origin ${origin} may not call this API from a browser; list it in the platform's settings.storefront.corsOrigins (or SOUK_ADMIN_CORS_ORIGINS for /admin).`,
  );
export const moduleDisabled = (module: string, slug: string) =>
  problem(404, 'module_disabled', `The ${module} module is not enabled on platform "${slug}".`);
export const unknownPublishableKey = () => problem(404, 'platform_not_found', 'No active platform has this publishable key.');
export const noPlatformOnHost = (host: string, keyHeader: string) =>
  problem(404, 'platform_not_found', `No active platform answers on host "${host}"; send its publishable key in the ${keyHeader} header.`);
export const platformNotVisible = (ref: string) => problem(404, 'platform_not_found', `There is no platform "${ref}" you can see.`);
/** 401 with WWW-Authenticate: Bearer; the detail says where to sign in. */
export const unauthorized = (detail: string) => problem(401, 'unauthorized', detail, {}, { 'www-authenticate': 'Bearer' });
export const adminSignInNeeded = () =>
  unauthorized('Sign in at POST /admin/auth/login and send "Authorization: Bearer <token>", or use a secret API key.');
export const metricsTokenNeeded = () => unauthorized('/metrics needs "Authorization: Bearer <SOUK_METRICS_TOKEN>".');
export const readOnlyRole = () => problem(403, 'read_only_role', 'The support role can read but not change anything.');
export const hostRoleScope = () =>
  problem(403, 'host_role_scope', 'The host role manages live rooms only; this route needs a platform admin.');
/** 403 owner_only; the detail says what only an owner can do. */
export const ownerOnly = (detail = 'Only an owner can do this.') => problem(403, 'owner_only', detail);
/** 429 with Retry-After. */
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  problem(429, 'rate_limited', detail, { retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
export const tooManyAttempts = (wait: number) => tooManyRequests(`Too many attempts; try again in ${wait} seconds.`, wait);

// The risk gate (kernel/risk-gate.ts): any module's decision point answers these.
/** 403 risk_denied: the detail says why in a person's words; decisionId finds the stored decision. */
export const riskDenied = (reason: string, decisionId?: string) =>
  problem(403, 'risk_denied', reason, decisionId === undefined ? {} : { decisionId });
/** 403 challenge_required: solve `challenge` and send the request again with its answer (see the challenge's header). */
export const challengeRequired = (reason: string, challenge: unknown, decisionId?: string) =>
  problem(403, 'challenge_required', reason, decisionId === undefined ? { challenge } : { challenge, decisionId });

/** A failure the test-only fault switch made on purpose (test-faults.ts); never in production. */
export const injectedFault = () => problem(500, 'test_fault_injected', 'A test fault injected on purpose (SOUK_TEST_FAULT_ERROR_RATE); this process is not fit for real traffic.');
