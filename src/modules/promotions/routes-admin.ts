// Admin routes (/admin/platforms/:platform/coupons/…). The kernel hook has authenticated the principal,
// kept support read-only, answered 404 on a platform without promotions and set request.platform. Each
// handler is one service call (one statement or transaction), so a 4xx changes nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { listCoupons, listRedemptions, mustGetCoupon, updateCoupon } from './coupons.ts';
import { promotionsService } from './service.ts';
import { Coupon, CouponInput, CouponList, CouponParams, CouponPatch, CouponsQuery, PlatformParams, RedemptionList, RedemptionsQuery } from './schemas.ts';

const tags = ['promotions'];
const security = [{ adminBearer: [] }];
const base = '/admin/platforms/:platform/coupons';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const db = (request: FastifyRequest) => ctx.platformDb(platformOf(request).id);

  r.post(
    base,
    {

      schema: {
        tags,
        security,
        summary: 'Create a coupon (409 when the code exists in any case)',
        params: PlatformParams,
        body: CouponInput,
        response: { 201: Coupon, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await promotionsService(ctx).createCoupon(db(request), platformOf(request), request.body)),
  );

  r.get(
    base,
    {

      schema: {
        tags,
        security,
        summary: 'Coupons, newest first, by status or code',
        params: PlatformParams,
        querystring: CouponsQuery,
        response: { 200: CouponList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => listCoupons(db(request), request.query),
  );

  r.get(
    `${base}/:couponId`,
    { schema: { tags, security, summary: 'One coupon with its use count', params: CouponParams, response: { 200: Coupon, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => mustGetCoupon(db(request), request.params.couponId),
  );

  r.patch(
    `${base}/:couponId`,
    {

      schema: {
        tags,
        security,
        summary: 'Change status, limits, window or scope (code, kind and amount stay); 409 when usageLimit would fall below the uses taken',
        params: CouponParams,
        body: CouponPatch,
        response: { 200: Coupon, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => updateCoupon(ctx, db(request), request.params.couponId, request.body),
  );

  r.get(
    `${base}/:couponId/redemptions`,
    {

      schema: {
        tags,
        security,
        summary: "A coupon's uses (one per order), newest first",
        params: CouponParams,
        querystring: RedemptionsQuery,
        response: { 200: RedemptionList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => listRedemptions(db(request), request.params.couponId, request.query),
  );
}
