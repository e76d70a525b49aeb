// Storefront API for customers: register, log in and out, read and edit their profile. The platform
// is the one the request resolved to; accounts never cross platforms.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { CUSTOMER_SECURITY, storeRouteKit } from '../../kernel/http/route-kit.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import type { RateLimiter } from '../../kernel/rate-limit.ts';
import { throttleByIp, throttleLogin } from './login-throttle.ts';
import { CustomerSession, CustomerView, Email, LoginBody, Password } from './schemas.ts';
import { setPasswordWithToken } from './password-tokens.ts';
import { customerLogin, registerCustomer, requireCustomer, revokeCustomerToken, updateCustomerName } from './customer-service.ts';
import { bearerToken } from '../../kernel/http/bearer.ts';

const asCustomer = { security: CUSTOMER_SECURITY };

export function storeAccountRoutes(app: FastifyInstance, ctx: ModuleContext, limiter: RateLimiter): void {
  const { config } = ctx;
  const { doc, pdbOf } = storeRouteKit(app, ctx, 'storefront');

  app.post('/store/customers', {
    schema: doc('Register a customer on this platform; returns a session', {
      body: Type.Object({ email: Email, password: Password, name: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: CustomerSession, ...errorResponses(400, 403, 404, 409, 429) },
    }),
  }, async (request, reply) => {
    // Sign-up answers 409 for a registered email, so it spends the login per-IP budget (see login-throttle.ts).
    await throttleByIp(limiter, config, request.ip);
    const body = request.body as { email: string; password: string; name?: string };
    // Before the password is hashed: a refused farm account costs no argon2 round.
    await ctx.riskGate.screen(platformOf(request), 'signup', request, { email: body.email });
    return reply.code(201).send(await registerCustomer(pdbOf(request), body, config.customerSessionTtlSeconds));
  });

  app.post('/store/auth/login', {
    schema: doc('Customer login (throttled per client IP and per account and IP)', { body: LoginBody, response: { 200: CustomerSession, ...errorResponses(400, 401, 403, 404, 429) } }),
  }, async (request) => {
    const { email, password } = request.body as { email: string; password: string };
    const platform = platformOf(request);
    await throttleLogin(limiter, config, `customer:${platform.id}:${email.toLowerCase()}`, request.ip);
    // Judged before the password is checked, so every attempt counts (a stuffing run included).
    await ctx.riskGate.screen(platform, 'login', request, { email });
    return customerLogin(pdbOf(request), email, password, config.customerSessionTtlSeconds);
  });

  app.post('/store/customers/password', {
    schema: doc('Set a password with a one-time token from the shop; returns a session', {
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false }),
      response: { 200: CustomerSession, ...errorResponses(400, 404, 429) },
    }),
  }, async (request) => {
    // Guessing tokens spends the same per-IP budget as guessing passwords.
    await throttleByIp(limiter, config, request.ip);
    const body = request.body as { token: string; password: string };
    return setPasswordWithToken(pdbOf(request), body.token, body.password, config.customerSessionTtlSeconds);
  });

  app.post('/store/auth/logout', {
    schema: doc('End this customer session', { ...asCustomer, response: { 204: Type.Null(), ...errorResponses(401, 404) } }),
  }, async (request, reply) => {
    const pdb = pdbOf(request);
    await requireCustomer(pdb, request);
    await revokeCustomerToken(pdb, bearerToken(request) ?? '');
    return reply.code(204).send();
  });

  app.get('/store/customers/me', {
    schema: doc('The logged-in customer', { ...asCustomer, response: { 200: CustomerView, ...errorResponses(401, 404) } }),
  }, async (request) => requireCustomer(pdbOf(request), request));

  app.patch('/store/customers/me', {
    schema: doc('Change the logged-in customer’s name', {
      ...asCustomer,
      body: Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
      response: { 200: CustomerView, ...errorResponses(400, 401, 404) },
    }),
  }, async (request) => {
    const pdb = pdbOf(request);
    const customer = await requireCustomer(pdb, request);
    return updateCustomerName(pdb, customer.id, (request.body as { name: string }).name);
  });
}
