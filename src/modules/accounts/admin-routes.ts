// Admin API for accounts: admin login, admin users and secret API keys (owners), and the customers of
// a platform (platform admins and support of that platform).
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { principalOf } from '../../kernel/http/tenancy.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses, IdParam } from '../../kernel/http/schemas.ts';
import type { RateLimiter } from '../../kernel/rate-limit.ts';
import { throttleLogin } from './login-throttle.ts';
import { PlatformRef } from '../platforms/schemas.ts';
import { AdminUserView, ApiKeyView, CustomerView, Email, LoginBody, Password, PasswordTokenView, Role } from './schemas.ts';
import { issuePasswordToken } from './password-tokens.ts';
import {
  adminLogin,
  adminUserView,
  apiKeyView,
  createAdminUser,
  createApiKey,
  listAdminUsers,
  listApiKeys,
  revokeAdminSession,
  revokeApiKey,
  updateAdminUser,
} from './admin-service.ts';
import { getCustomer, listCustomers, revokeCustomerSessions } from './customer-service.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';

export function adminAccountRoutes(app: FastifyInstance, ctx: ModuleContext, limiter: RateLimiter): void {
  const { config } = ctx;
  const { doc, tags, pdbOf } = adminRouteKit(app, ctx, 'accounts');

  app.post('/admin/auth/login', {
    config: { public: true },
    schema: {
      tags,
      summary: 'Admin login: returns a bearer token (throttled per client IP and per account and IP)',
      body: LoginBody,
      response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String(), user: AdminUserView }), ...errorResponses(400, 401, 429) },
    },
  }, async (request) => {
    const { email, password } = request.body as { email: string; password: string };
    await throttleLogin(limiter, config, `admin:${email.toLowerCase()}`, request.ip);
    return adminLogin(ctx.db, email, password, config.adminSessionTtlSeconds);
  });

  app.post('/admin/auth/logout', {
    schema: doc('End this admin session', { response: { 204: Type.Null(), ...errorResponses(401) } }),
  }, async (request, reply) => {
    const token = bearerToken(request) ?? '';
    await revokeAdminSession(ctx.db, token);
    return reply.code(204).send();
  });

  app.get('/admin/auth/me', {
    schema: doc('Who the bearer token belongs to', {
      response: {
        200: Type.Object({ kind: Type.String(), id: Type.String(), label: Type.String(), role: Type.String(), platformIds: Type.Union([Type.Array(Type.String()), Type.Literal('all')]) }),
        ...errorResponses(401),
      },
    }),
  }, async (request) => principalOf(request));

  app.get('/admin/users', {
    config: { ownerOnly: true },
    schema: doc('List admin users (owners only)', { response: { 200: Type.Object({ items: Type.Array(AdminUserView) }), ...errorResponses(401, 403) } }),
  }, async () => ({ items: (await listAdminUsers(ctx.db)).map(adminUserView) }));

  app.post('/admin/users', {
    config: { ownerOnly: true },
    schema: doc('Create an admin user (owners only)', {
      body: Type.Object({ email: Email, password: Password, role: Role, platformIds: Type.Optional(Type.Array(IdParam, { maxItems: 1000 })) }, { additionalProperties: false }),
      response: { 201: AdminUserView, ...errorResponses(400, 401, 403, 409) },
    }),
  }, async (request, reply) => {
    const body = request.body as Parameters<typeof createAdminUser>[2];
    return reply.code(201).send(adminUserView(await createAdminUser(ctx.db, ctx.platforms, body)));
  });

  app.patch('/admin/users/:userId', {
    config: { ownerOnly: true },
    schema: doc('Change an admin user’s role, platforms, password or disable them (owners only)', {
      params: Type.Object({ userId: IdParam }),
      body: Type.Object(
        { role: Type.Optional(Role), platformIds: Type.Optional(Type.Array(IdParam, { maxItems: 1000 })), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) },
        { additionalProperties: false, minProperties: 1 },
      ),
      response: { 200: AdminUserView, ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request) => {
    const { userId } = request.params as { userId: string };
    return adminUserView(await updateAdminUser(ctx.db, ctx.platforms, userId, request.body as Parameters<typeof updateAdminUser>[3]));
  });

  app.get('/admin/api-keys', {
    config: { ownerOnly: true },
    schema: doc('List secret API keys (prefixes only; owners only)', { response: { 200: Type.Object({ items: Type.Array(ApiKeyView) }), ...errorResponses(401, 403) } }),
  }, async () => ({ items: (await listApiKeys(ctx.db)).map(apiKeyView) }));

  app.post('/admin/api-keys', {
    config: { ownerOnly: true },
    schema: doc('Create a secret API key scoped to a role and platforms; the key is shown once (owners only)', {
      body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 100 }), role: Role, platformIds: Type.Optional(Type.Array(IdParam, { maxItems: 1000 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: Type.String(), apiKey: ApiKeyView }), ...errorResponses(400, 401, 403) },
    }),
  }, async (request, reply) => {
    const principal = principalOf(request);
    const created = await createApiKey(ctx.db, ctx.platforms, principal.kind === 'admin_user' ? principal.id : null, request.body as Parameters<typeof createApiKey>[3]);
    return reply.code(201).send({ key: created.key, apiKey: apiKeyView(created.apiKey) });
  });

  app.post('/admin/api-keys/:keyId/revoke', {
    config: { ownerOnly: true },
    schema: doc('Revoke a secret API key (owners only)', { params: Type.Object({ keyId: IdParam }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } }),
  }, async (request, reply) => {
    await revokeApiKey(ctx.db, (request.params as { keyId: string }).keyId);
    return reply.code(204).send();
  });

  app.get('/admin/platforms/:platform/customers', {
    schema: doc('Customers of a platform', {
      params: PlatformRef,
      querystring: Type.Object(
        { q: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), cursor: Type.Optional(IdParam) },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(CustomerView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 404) },
    }),
  }, async (request) => {
    const query = request.query as { q?: string; limit: number; cursor?: string };
    return listCustomers(pdbOf(request), { q: query.q, limit: query.limit, after: query.cursor });
  });

  app.get('/admin/platforms/:platform/customers/:customerId', {
    schema: doc('One customer of a platform', { params: Type.Object({ platform: PlatformRef.properties.platform, customerId: IdParam }), response: { 200: CustomerView, ...errorResponses(400, 401, 404) } }),
  }, async (request) => getCustomer(pdbOf(request), (request.params as { customerId: string }).customerId));

  app.post('/admin/platforms/:platform/customers/:customerId/revoke-sessions', {
    schema: doc('Log a customer out everywhere', {
      params: Type.Object({ platform: PlatformRef.properties.platform, customerId: IdParam }),
      response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request) => ({ revoked: await revokeCustomerSessions(pdbOf(request), (request.params as { customerId: string }).customerId) }));

  app.post('/admin/platforms/:platform/customers/:customerId/password-token', {
    schema: doc('Issue a one-time token with which a customer sets a password', {
      params: Type.Object({ platform: PlatformRef.properties.platform, customerId: IdParam }),
      querystring: Type.Object({ ttlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, description: 'How long the token works (default 168: a week)' })) }, { additionalProperties: false }),
      response: { 201: PasswordTokenView, ...errorResponses(400, 401, 403, 404) },
    }),
  }, async (request, reply) => {
    const ttlHours = (request.query as { ttlHours?: number }).ttlHours ?? 168;
    return reply.code(201).send(await issuePasswordToken(pdbOf(request), (request.params as { customerId: string }).customerId, ttlHours * 3600));
  });
}
