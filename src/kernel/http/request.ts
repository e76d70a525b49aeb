// Fields the kernel's hooks attach to every request, and per-route options modules may set.
import type { AdminPrincipal, Platform } from '../context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The platform this request acts on: from Host/publishable key (/store) or the :platform param (/admin). */
    platform: Platform | null;
    /** The authenticated admin user or secret API key on /admin routes. */
    principal: AdminPrincipal | null;
  }
  interface FastifyContextConfig {
    /** Owning module, set by the loader: the route answers 404 on platforms that have the module off. */
    module?: string;
    /** Admin routes reachable without a principal (login). */
    public?: boolean;
    /** Admin routes that only owners may call (creating platforms, users, keys). */
    ownerOnly?: boolean;
    /** Admin routes a principal with the host role may call (the rest answer 403 host_role_scope). */
    hostRole?: boolean;
  }
}
