// Souk's typed client: openapi-fetch over the types generated from the server's OpenAPI document
// (sdk/openapi.d.ts). Every path, parameter, body and answer is checked by TypeScript; errors come back as
// the API's problem documents (RFC 9457) and `unwrap` turns them into a SoukProblemError.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi.d.ts';

export type { components, operations, paths } from './openapi.d.ts';
export type SoukClient = Client<paths>;
export type Problem = components['schemas']['Problem'];

export interface SoukClientOptions {
  /** The server's origin, e.g. http://127.0.0.1:9000. */
  baseUrl: string;
  /**
   * Bearer token: an admin session or secret API key (sk_…) for /admin routes, a customer session for
   * /store/customers/me and friends. A function is asked on every request, so a signed-in app can swap it.
   */
  token?: string | (() => string | undefined);
  /** A platform's publishable key (pk_…): picks the platform of /store routes when the host does not. */
  publishableKey?: string;
  /** Extra headers on every request (e.g. x-device-id). */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

export function createSoukClient(options: SoukClientOptions): SoukClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { ...options.headers, ...(options.publishableKey ? { 'x-publishable-key': options.publishableKey } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (options.token !== undefined) client.use(bearer(options.token));
  return client;
}

function bearer(token: NonNullable<SoukClientOptions['token']>): Middleware {
  return {
    onRequest({ request }) {
      const value = typeof token === 'function' ? token() : token;
      if (value && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/** A refused request, carrying the server's problem document (`code` is the stable machine-readable name). */
export class SoukProblemError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Partial<Problem> | undefined;

  constructor(status: number, problem: Partial<Problem> | undefined) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'SoukProblemError';
    this.status = status;
    this.code = typeof problem?.code === 'string' ? problem.code : undefined;
    this.problem = problem;
  }
}

/** The answer's data, or a SoukProblemError when the server refused: `const p = unwrap(await api.GET(…))`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  const body = result.error;
  throw new SoukProblemError(result.response.status, typeof body === 'object' && body !== null ? (body as Partial<Problem>) : undefined);
}

/**
 * A `bodySerializer` for the multipart operations (uploadProductVideo): each field becomes a part, a Blob
 * or File a file part with its own type, so fetch sets the multipart Content-Type and boundary itself.
 *
 *   await api.POST('/admin/platforms/{platform}/products/{productId}/videos', {
 *     params: { path: { platform, productId } },
 *     body: { file: new File([bytes], 'clip.mp4', { type: 'video/mp4' }) },
 *     bodySerializer: formDataBody,
 *   });
 */
export function formDataBody(body: Readonly<Record<string, string | Blob | undefined>>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) if (value !== undefined) form.append(name, value);
  return form;
}
