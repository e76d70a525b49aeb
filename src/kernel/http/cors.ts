// CORS, closed by default. A browser page may call /store only from an origin its platform lists in
// settings.storefront.corsOrigins, and /admin only from SOUK_ADMIN_CORS_ORIGINS. Preflights are answered
// here, before tenancy and authentication (a preflight carries neither the publishable key nor a token):
// the platform comes from the key or the Host when the preflight names one, otherwise any active platform
// that lists the origin may let it send; the real answer is then readable only if the request's own
// platform lists the origin. Souk authenticates with bearer tokens, never cookies, so no credentials mode.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform, PlatformDirectory } from '../context.ts';
import { sendProblem } from './errors.ts';
import { corsOriginNotAllowed } from './problems.ts';
import { PUBLISHABLE_KEY_HEADER } from './tenancy.ts';

const ALLOW_HEADERS = `authorization, content-type, idempotency-key, x-request-id, traceparent, ${PUBLISHABLE_KEY_HEADER}`;
const EXPOSE_HEADERS = 'x-request-id, x-trace-id, retry-after, location';
const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE';

/** True when `value` is exactly an origin as a browser sends it: scheme://host[:port], nothing more. */
export function isOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** settings.storefront.corsOrigins of a platform, ignoring anything that is not an origin. */
export function storefrontOrigins(platform: Platform): string[] {
  const storefront = platform.settings.storefront as { corsOrigins?: unknown } | undefined;
  const list = storefront?.corsOrigins;
  return Array.isArray(list) ? list.filter(isOrigin) : [];
}

export interface CorsOptions {
  platforms: PlatformDirectory;
  adminOrigins: readonly string[];
}

export function installCors(app: FastifyInstance, options: CorsOptions): void {
  const adminOrigins = new Set(options.adminOrigins);

  const storeAllows = (request: FastifyRequest, origin: string, preflight: boolean): boolean => {
    const key = request.headers[PUBLISHABLE_KEY_HEADER];
    const platform = typeof key === 'string' ? options.platforms.byPublishableKey(key) : options.platforms.byHost(request.hostname);
    if (platform) return platform.status === 'active' && storefrontOrigins(platform).includes(origin);
    return preflight && options.platforms.all().some((p) => p.status === 'active' && storefrontOrigins(p).includes(origin));
  };

  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const admin = url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?');
    const store = url === '/store' || url.startsWith('/store/') || url.startsWith('/store?');
    if (!admin && !store) {
      done();
      return;
    }
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string') {
      done();
      return;
    }
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    const allowed = admin ? adminOrigins.has(origin) : storeAllows(request, origin, preflight);
    if (preflight) {
      if (!allowed) {
        sendProblem(reply, 403, corsOriginNotAllowed(origin).toBody());
        return;
      }
      void reply
        .code(204)
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', ALLOW_METHODS)
        .header('access-control-allow-headers', ALLOW_HEADERS)
        .header('access-control-max-age', '600')
        .send();
      return;
    }
    if (allowed) reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSE_HEADERS);
    done();
  });
}
