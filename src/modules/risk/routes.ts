// Risk admin routes under /admin/platforms/:platform/risk: policies per decision point (current, new
// version, history, rollback, trial), the allow/block/disposable lists, and stored decisions. Handlers
// parse and authorise (the tenancy hook has already checked the platform); the service does the work.
import { rowsToFetch, takePage } from '../../kernel/page.ts';
import type { FastifyInstance } from 'fastify';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import type { ModuleContext } from '../../kernel/context.ts';
import { decodeCursor, encodeCursor, DEFAULT_PAGE_SIZE } from '../../kernel/cursor.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf } from '../../kernel/http/tenancy.ts';
import type { RiskRuntime } from './runtime.ts';
import {
  DecisionList,
  DecisionParams,
  DecisionQuery,
  DecisionView,
  ListParams,
  ListsView,
  ListView,
  PlatformParams,
  PointParams,
  PolicyVersionList,
  PolicyVersionView,
  PutListBody,
  PutPolicyBody,
  RollbackBody,
  StoredDecisionView,
  TryBody,
  VersionsQuery,
} from './schemas.ts';
import { riskService } from './service.ts';

const readErrors = errorResponses(400, 401, 403, 404);
const writeErrors = errorResponses(400, 401, 403, 404);
const base = '/admin/platforms/:platform/risk';

export function riskRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: RiskRuntime): void {
  const { r, doc, pdbOf } = adminRouteKit(app, ctx, 'risk');
  const risk = riskService({ runtime, events: ctx.events });

  r.get(`${base}/policies`, {
    schema: doc('The current policy of every decision point', { params: PlatformParams, response: { 200: PolicyVersionList, ...readErrors } }),
  }, async (request) => ({ items: await risk.currentPolicies(pdbOf(request)) }));

  r.get(`${base}/policies/:point`, {
    schema: doc('The current policy of one decision point', { params: PointParams, response: { 200: PolicyVersionView, ...readErrors } }),
  }, async (request) => risk.currentPolicy(pdbOf(request), request.params.point));

  r.put(`${base}/policies/:point`, {
    schema: doc('Store a new version of a decision point’s policy', { params: PointParams, body: PutPolicyBody, response: { 200: PolicyVersionView, ...writeErrors } }),
  }, async (request) => risk.putPolicy(pdbOf(request), request.params.point, request.body.document, actorIdOf(request), request.body.note));

  r.get(`${base}/policies/:point/versions`, {
    schema: doc('A decision point’s policy versions, newest first, with who changed each', { params: PointParams, querystring: VersionsQuery, response: { 200: PolicyVersionList, ...readErrors } }),
  }, async (request) => ({ items: await risk.versions(pdbOf(request), request.params.point, request.query.limit ?? 50) }));

  r.post(`${base}/policies/:point/rollback`, {
    schema: doc('Make an earlier version current again (as a new version)', { params: PointParams, body: RollbackBody, response: { 200: PolicyVersionView, ...writeErrors } }),
  }, async (request) => risk.rollback(pdbOf(request), request.params.point, request.body.version, actorIdOf(request)));

  r.post(`${base}/policies/:point/try`, {
    schema: doc('Judge an input with the current policy or a draft, explained; nothing is counted or stored', { params: PointParams, body: TryBody, response: { 200: DecisionView, ...readErrors } }),
  }, async (request) => risk.tryPolicy(pdbOf(request), request.params.point, request.body.input, request.body.document));

  r.get(`${base}/lists`, {
    schema: doc('The block, allow and disposable-domain lists', { params: PlatformParams, response: { 200: ListsView, ...readErrors } }),
  }, async (request) => risk.lists(pdbOf(request)));

  r.put(`${base}/lists/:list`, {
    schema: doc('Replace one list', { params: ListParams, body: PutListBody, response: { 200: ListView, ...writeErrors } }),
  }, async (request) => ({ entries: await risk.putList(pdbOf(request), request.params.list, request.body.entries, actorIdOf(request)) }));

  r.get(`${base}/decisions`, {
    schema: doc('Stored decisions, newest first, by account, IP, device, order, point or action', { params: PlatformParams, querystring: DecisionQuery, response: { 200: DecisionList, ...readErrors } }),
  }, async (request) => {
    const { cursor, limit = DEFAULT_PAGE_SIZE, orderId, ...rest } = request.query;
    const filter = { ...rest, ...(orderId === undefined ? {} : { orderId: orderId.toLowerCase() }) };
    const before = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
    const rows = await risk.searchDecisions(pdbOf(request), { ...filter, before, limit: rowsToFetch(limit) });
    return takePage(rows, limit, (row) => row, (last) => encodeCursor([last.id]));
  });

  r.get(`${base}/decisions/:decisionId`, {
    schema: doc('One stored decision with its inputs, signals and the rules that fired', { params: DecisionParams, response: { 200: StoredDecisionView, ...readErrors } }),
  }, async (request) => risk.decision(pdbOf(request), request.params.decisionId.toLowerCase()));
}
