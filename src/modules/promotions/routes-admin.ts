// Admin routes (/admin/platforms/:platform/coupons/…). The kernel hook has authenticated the principal,
// kept support read-only, answered 404 on a platform without promotions and set request.platform. Each
// handler is one service call (one statement or transaction), so a 4xx changes nothing.
import type { FastifyInstance } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { listCoupons, listRedemptions, mustGetCoupon, updateCoupon } from './coupons.ts';
import { promotionsService } from './service.ts';
import { Coupon, CouponInput, CouponList, CouponParams, CouponPatch, CouponsQuery, PlatformParams, RedemptionList, RedemptionsQuery } from './schemas.ts';

const base = '/admin/platforms/:platform/coupons';

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'promotions');

  r.post(
    base,
    {

      schema: doc('Create a coupon (409 when the code exists in any case)', {
        params: PlatformParams,
        body: CouponInput,
        response: { 201: Coupon, ...errorResponses(400, 401, 403, 404, 409, 422) },
      }),
    },
    async (request, reply) => reply.code(201).send(await promotionsService(ctx).createCoupon(pdbOf(request), platformOf(request), request.body)),
  );

  r.get(
    base,
    {

      schema: doc('Coupons, newest first, by status or code', {
        params: PlatformParams,
        querystring: CouponsQuery,
        response: { 200: CouponList, ...errorResponses(400, 401, 403, 404) },
      }),
    },
    async (request) => listCoupons(pdbOf(request), request.query),
  );

  r.get(
    `${base}/:couponId`,
    { schema: doc('One coupon with its use count', { params: CouponParams, response: { 200: Coupon, ...errorResponses(400, 401, 403, 404) } }) },
    async (request) => mustGetCoupon(pdbOf(request), request.params.couponId),
  );

  r.patch(
    `${base}/:couponId`,
    {

      schema: doc('Change status, limits, window or scope (code, kind and amount stay); 409 when usageLimit would fall below the uses taken', {
        params: CouponParams,
        body: CouponPatch,
        response: { 200: Coupon, ...errorResponses(400, 401, 403, 404, 409, 422) },
      }),
    },
    async (request) => updateCoupon(ctx, pdbOf(request), request.params.couponId, request.body),
  );

  r.get(
    `${base}/:couponId/redemptions`,
    {

      schema: doc("A coupon's uses (one per order), newest first", {
        params: CouponParams,
        querystring: RedemptionsQuery,
        response: { 200: RedemptionList, ...errorResponses(400, 401, 403, 404) },
      }),
    },
    async (request) => listRedemptions(pdbOf(request), request.params.couponId, request.query),
  );
}
