// The request-level tenancy boundary, applied by prefix so no route can opt out by forgetting:
// - /store/*: the platform comes from the publishable key header or the Host; unknown or disabled → 404.
// - /admin/*: a principal (admin session or secret API key) is required, support is read-only, a host
//   reaches only the routes that let hosts in (config.hostRole), and a
//   :platform in the path must be one the principal may see, otherwise 404 (its existence is not leaked).
// - Either way, a route owned by a module the platform has switched off answers 404.
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminPrincipal, Platform, PlatformDirectory } from '../context.ts';
import { isUuid } from '../ids.ts';
import { hostRoleScope, moduleDisabled, noPlatformOnHost, ownerOnly, platformNotVisible, readOnlyRole, adminSignInNeeded, unknownPublishableKey } from './problems.ts';
import { bearerToken } from './bearer.ts';

export const PUBLISHABLE_KEY_HEADER = 'x-publishable-key';

export interface TenancyOptions {
  platforms: PlatformDirectory;
  coreModules: ReadonlySet<string>;
  authenticateAdmin(token: string): Promise<AdminPrincipal | null>;
}

export function principalSeesPlatform(principal: AdminPrincipal, platformId: string): boolean {
  return principal.platformIds === 'all' || principal.platformIds.includes(platformId);
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function installTenancy(app: FastifyInstance, options: TenancyOptions): void {
  app.decorateRequest('platform', null);
  app.decorateRequest('principal', null);

  const assertModuleEnabled = (module: string | undefined, platform: Platform) => {
    if (module && !options.coreModules.has(module) && !platform.modules.includes(module)) {
      throw moduleDisabled(module, platform.slug);
    }
  };

  // Storefront: synchronous (a map lookup), so it runs without a promise per request.
  const resolveStorePlatform = (request: FastifyRequest, module: string | undefined) => {
    const key = request.headers[PUBLISHABLE_KEY_HEADER];
    const platform = typeof key === 'string' ? options.platforms.byPublishableKey(key) : options.platforms.byHost(request.hostname);
    if (!platform || platform.status !== 'active') {
      throw typeof key === 'string' ? unknownPublishableKey() : noPlatformOnHost(request.hostname, PUBLISHABLE_KEY_HEADER);
    }
    assertModuleEnabled(module, platform);
    request.platform = platform;
  };

  const authorizeAdmin = async (request: FastifyRequest, route: string, config: FastifyContextConfig) => {
    if (config.public) return;
    const token = bearerToken(request);
    const principal = token ? await options.authenticateAdmin(token) : null;
    if (!principal) throw adminSignInNeeded();
    request.principal = principal;
    if (WRITE_METHODS.has(request.method) && principal.role === 'support' && !route.startsWith('/admin/auth/')) {
      throw readOnlyRole();
    }
    if (principal.role === 'host' && !config.hostRole && !route.startsWith('/admin/auth/')) {
      throw hostRoleScope();
    }
    if (config.ownerOnly && principal.role !== 'owner') {
      throw ownerOnly();
    }
    const ref = (request.params as Record<string, string | undefined>).platform;
    if (ref !== undefined) {
      // An id-shaped reference is only ever an id, so a slug (from before slugs like ids were refused)
      // cannot stand in for another platform.
      const platform = isUuid(ref) ? options.platforms.byId(ref.toLowerCase()) : options.platforms.bySlug(ref);
      if (!platform || !principalSeesPlatform(principal, platform.id)) {
        throw platformNotVisible(ref);
      }
      assertModuleEnabled(config.module, platform);
      request.platform = platform;
    }
  };

  // A callback hook: /store stays synchronous; only /admin (authentication) goes async.
  app.addHook('onRequest', (request, _reply, done) => {
    // routeOptions builds a fresh object on every access: read it once.
    const { url, config } = request.routeOptions;
    const route = url ?? '';
    if (route === '/store' || route.startsWith('/store/')) {
      try {
        resolveStorePlatform(request, config.module);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
      return;
    }
    if (route === '/admin' || route.startsWith('/admin/')) {
      authorizeAdmin(request, route, config).then(() => done(), done);
      return;
    }
    done();
  });
}

/** The request's platform; for handlers on /store or /admin/platforms/:platform routes, where it is always set. */
export function platformOf(request: FastifyRequest): Platform {
  if (!request.platform) throw new Error(`route ${request.routeOptions.url} has no platform context`);
  return request.platform;
}

export function principalOf(request: FastifyRequest): AdminPrincipal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no principal`);
  return request.principal;
}

/** The admin behind the request as history and audit rows record it: "<kind>:<id>". */
export function actorIdOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  return `${principal.kind}:${principal.id}`;
}
