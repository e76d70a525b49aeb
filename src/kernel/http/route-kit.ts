// What every routes file starts with, in one line: the TypeBox-typed route builder, a `doc` that fills
// an operation's tag and security scheme, and the request's platform-scoped database. A module's admin
// routes file begins `const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'orders')`.
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ModuleContext } from '../context.ts';
import type { PlatformDb } from '../db/scoped.ts';
import { platformOf } from './tenancy.ts';

/** OpenAPI security requirements: any one of the objects satisfies the operation. */
export type Security = Record<string, string[]>[];

/** Admin routes take an admin session or a secret API key (see openapi-document.ts). */
export const ADMIN_SECURITY: Security = [{ adminBearer: [] }];

const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
type TypedApp = ReturnType<typeof typed>;

/** Storefront routes for the logged-in customer. */
export const CUSTOMER_SECURITY: Security = [{ customerBearer: [] }];

/** The operation's schema with its tag, its security (unless the schema names its own) and its summary. */
type Documented<S> = S & { tags: string[]; summary: string; security?: Security };

export interface RouteKit {
  /** The tag alone, for a route outside the kit's security (a public sign-in). */
  tags: string[];
  /** The app with TypeBox inference: handlers see typed params, query and body. */
  r: TypedApp;
  /** A route's schema with the kit's tag and security filled in; a `security` in `schema` wins. */
  doc<S extends FastifySchema>(summary: string, schema: S): Documented<S>;
  /** The database scoped to the request's platform (set by the tenancy hook before any handler runs). */
  pdbOf(request: FastifyRequest): PlatformDb;
}

function routeKit(app: FastifyInstance, ctx: Pick<ModuleContext, 'platformDb'>, tag: string, security: Security | undefined): RouteKit {
  const tags = [tag];
  return {
    tags,
    r: typed(app),
    doc: (summary, schema) => ({ tags, ...(security ? { security } : {}), summary, ...schema }),
    pdbOf: (request) => ctx.platformDb(platformOf(request).id),
  };
}

/** For /admin/… routes: every operation under the admin bearer scheme. */
export function adminRouteKit(app: FastifyInstance, ctx: Pick<ModuleContext, 'platformDb'>, tag: string): RouteKit {
  return routeKit(app, ctx, tag, ADMIN_SECURITY);
}

/** For /store/… routes: `security` is the file's usual requirement, when it has one. */
export function storeRouteKit(app: FastifyInstance, ctx: Pick<ModuleContext, 'platformDb'>, tag: string, security?: Security): RouteKit {
  return routeKit(app, ctx, tag, security);
}
