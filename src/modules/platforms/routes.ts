// Admin API for platforms (owners create, apply and disable; platform admins read and edit their own)
// and the storefront's view of its own platform.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { platformOf, principalOf, principalSeesPlatform } from '../../kernel/http/tenancy.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import {
  PlatformInput,
  PlatformPatch,
  PlatformRef,
  PlatformView,
  PublishableKeyView,
  StorefrontPlatformView,
} from './schemas.ts';
import {
  applyPlatform,
  createPlatform,
  createPublishableKey,
  listPublishableKeys,
  revokePublishableKey,
  setPlatformStatus,
  updatePlatform,
  type PlatformServiceDeps,
} from './service.ts';
import { ownerOnlyHosts } from './problems.ts';
import { storefrontTheme } from './storefront-settings.ts';

export function platformRoutes(deps: Pick<PlatformServiceDeps, 'modules'>) {
  return (app: FastifyInstance, ctx: ModuleContext) => {
    const { doc } = adminRouteKit(app, ctx, 'platforms');
    const service: PlatformServiceDeps = { db: ctx.db, directory: ctx.platforms, events: ctx.events, modules: deps.modules };

    app.get('/store/platform', {
      schema: {
        tags: ['storefront'],
        summary: 'The platform this storefront request resolved to',
        security: [{ publishableKey: [] }, {}],
        response: { 200: StorefrontPlatformView, ...errorResponses(404) },
      },
    }, async (request) => {
      const platform = platformOf(request);
      return { ...platform, storefront: storefrontTheme(platform) };
    });

    app.get('/admin/platforms', {
      schema: doc('List the platforms you can see', { response: { 200: Type.Object({ items: Type.Array(PlatformView) }), ...errorResponses(401) } }),
    }, async (request) => {
      const principal = principalOf(request);
      return { items: ctx.platforms.all().filter((p) => principalSeesPlatform(principal, p.id)) };
    });

    app.post('/admin/platforms', {
      config: { ownerOnly: true },
      schema: doc('Create a platform (owners only); returns its first publishable key once', {
        body: PlatformInput,
        response: { 201: Type.Object({ platform: PlatformView, publishableKey: Type.String() }), ...errorResponses(400, 401, 403, 409) },
      }),
    }, async (request, reply) => {
      const created = await createPlatform(service, request.body as PlatformInput);
      return reply.code(201).send(created);
    });

    app.put('/admin/platforms', {
      config: { ownerOnly: true },
      schema: doc('Apply platform metadata: create or update by slug; applying the same document twice changes nothing', {
        body: PlatformInput,
        response: {
          200: Type.Object({
            action: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
            platform: PlatformView,
            publishableKey: Type.Optional(Type.String()),
          }),
          ...errorResponses(400, 401, 403, 409),
        },
      }),
    }, async (request) => applyPlatform(service, request.body));

    app.get('/admin/platforms/:platform', {
      schema: doc('One platform', { params: PlatformRef, response: { 200: PlatformView, ...errorResponses(401, 404) } }),
    }, async (request) => {
      const platform = platformOf(request);
      return { ...platform, storefront: storefrontTheme(platform) };
    });

    app.patch('/admin/platforms/:platform', {
      schema: doc('Change a platform’s metadata (hosts need an owner)', { params: PlatformRef, body: PlatformPatch, response: { 200: PlatformView, ...errorResponses(400, 401, 403, 404, 409) } }),
    }, async (request) => {
      const patch = request.body as PlatformPatch;
      if (patch.hosts && principalOf(request).role !== 'owner') {
        throw ownerOnlyHosts();
      }
      return updatePlatform(service, platformOf(request), patch);
    });

    for (const [action, status] of [['disable', 'disabled'], ['enable', 'active']] as const) {
      app.post(`/admin/platforms/:platform/${action}`, {
        config: { ownerOnly: true },
        schema: doc(`${action === 'disable' ? 'Disable' : 'Re-enable'} a platform’s storefront (owners only)`, { params: PlatformRef, response: { 200: PlatformView, ...errorResponses(401, 403, 404) } }),
      }, async (request) => setPlatformStatus(service, platformOf(request), status));
    }

    app.get('/admin/platforms/:platform/publishable-keys', {
      schema: doc('Publishable keys of a platform (prefixes only)', { params: PlatformRef, response: { 200: Type.Object({ items: Type.Array(PublishableKeyView) }), ...errorResponses(401, 404) } }),
    }, async (request) => {
      const rows = await listPublishableKeys(ctx.db, platformOf(request).id);
      return {
        items: rows.map((r) => ({ id: r.id, prefix: r.prefix, label: r.label, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null })),
      };
    });

    app.post('/admin/platforms/:platform/publishable-keys', {
      schema: doc('Create a publishable key (shown once)', {
        params: PlatformRef,
        body: Type.Object({ label: Type.String({ maxLength: 100, default: '' }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ key: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      }),
    }, async (request, reply) => {
      const { label } = request.body as { label: string };
      return reply.code(201).send({ key: await createPublishableKey(service, platformOf(request).id, label) });
    });

    app.post('/admin/platforms/:platform/publishable-keys/:keyId/revoke', {
      schema: doc('Revoke a publishable key; storefronts using it get 404 at once', {
        params: Type.Object({ platform: PlatformRef.properties.platform, keyId: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      }),
    }, async (request, reply) => {
      await revokePublishableKey(service, platformOf(request).id, (request.params as { keyId: string }).keyId);
      return reply.code(204).send();
    });
  };
}
