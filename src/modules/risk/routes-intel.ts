// Risk admin routes for trying a policy before it is live: shadow policies (run beside the live one,
// recorded, never deciding) and backtests (a draft over the decisions stored in a time range). Kept
// apart from routes.ts so the policy, list and decision routes stay one screen.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf } from '../../kernel/http/tenancy.ts';
import { backtest } from './backtest.ts';
import type { RiskRuntime } from './runtime.ts';
import { PlatformParams, PointParams } from './schemas.ts';
import { BacktestBody, BacktestView, PutShadowBody, ShadowList, ShadowView } from './schemas-intel.ts';
import { shadowService } from './shadow.ts';

const errors = errorResponses(400, 401, 403, 404);
const base = '/admin/platforms/:platform/risk';

export function riskIntelRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: RiskRuntime): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'risk');
  const shadows = shadowService(runtime);

  r.get(`${base}/shadow`, {
    schema: doc('The shadow policies: drafts run beside the live ones without deciding', { params: PlatformParams, response: { 200: ShadowList, ...errors } }),
  }, async (request) => ({ items: await shadows.list(pdbOf(request)) }));

  r.put(`${base}/shadow/:point`, {
    schema: doc('Run a draft policy in shadow at a decision point', { params: PointParams, body: PutShadowBody, response: { 200: ShadowView, ...errors } }),
  }, async (request) => shadows.set(pdbOf(request), request.params.point, request.body.document, actorIdOf(request), request.body.note));

  r.delete(`${base}/shadow/:point`, {
    schema: doc('Stop the shadow policy of a decision point', { params: PointParams, response: { 204: Type.Null(), ...errors } }),
  }, async (request, reply) => {
    await shadows.clear(pdbOf(request), request.params.point);
    return reply.code(204).send(null);
  });

  r.post(`${base}/policies/:point/backtest`, {
    schema: doc('Run a draft policy over the decisions stored in a time range: how many would change, by rule', { params: PointParams, body: BacktestBody, response: { 200: BacktestView, ...errors } }),
  }, async (request) => {
    const { document, since, until } = request.body;
    return backtest(pdbOf(request), request.params.point, document, { since: new Date(since), ...(until ? { until: new Date(until) } : {}) });
  });
}
