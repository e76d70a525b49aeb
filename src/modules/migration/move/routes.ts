// Owner-only routes of a database move run inside the server (in-server.ts): start one, follow it,
// stop it. Not a platform's business: the whole installation moves, so owners only.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ModuleContext } from '../../../kernel/context.ts';
import { adminRouteKit } from '../../../kernel/http/route-kit.ts';
import { errorResponses } from '../../../kernel/http/schemas.ts';
import type { MigrationRuntime } from '../runtime.ts';
import { moveNotFound } from '../problems.ts';
import { startMove, stopMove, type MoveRequest } from './in-server.ts';

const owner = { config: { ownerOnly: true } };
const Seconds = Type.Number({ minimum: 0 });
const Count = Type.Integer({ minimum: 0 });

const MoveBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 2000, description: 'The target PostgreSQL database (postgres://…): empty, or holding the progress of this move when resuming' }),
    mode: Type.Literal('smooth', { description: 'Only smooth: the shop keeps selling during the copy (the full-stop mode needs the server stopped: `souk db move --mode full-stop`)' }),
    throttleMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'A pause after each page of 2,000 rows copied, to spare a busy shop' })),
  },
  { additionalProperties: false },
);

const MoveStatus = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('switched'), Type.Literal('differs'), Type.Literal('failed'), Type.Literal('aborted')]),
    mode: Type.Literal('smooth'),
    target: Type.String({ description: 'The target, without its password' }),
    startedAt: Type.String(),
    endedAt: Type.Union([Type.String(), Type.Null()]),
    progress: Type.Object({
      phase: Type.Union([Type.Literal('starting'), Type.Literal('copying'), Type.Literal('catching-up'), Type.Literal('frozen')]),
      tablesDone: Count,
      tablesTotal: Count,
      rowsCopied: Count,
      changesCaughtUp: Count,
    }),
    log: Type.Array(Type.String()),
    error: Type.Union([Type.String(), Type.Null()]),
    report: Type.Union([
      Type.Null(),
      Type.Object({
        ok: Type.Boolean(),
        resumed: Type.Boolean(),
        copiedRows: Count,
        copySeconds: Seconds,
        caughtUp: Type.Object({ entries: Count, keys: Count, seconds: Seconds }),
        freeze: Type.Object({ seconds: Seconds, entries: Count, keys: Count, verifySeconds: Seconds, attempts: Count }, { description: 'The write freeze: statements of this server waited this long' }),
        lines: Type.Array(Type.Object({
          table: Type.String(),
          platform: Type.String({ description: "The platform's slug, or empty for a table without platforms" }),
          rows: Count,
          checksum: Type.String(),
          status: Type.Union([Type.Literal('ok'), Type.Literal('differs'), Type.Literal('only-in-target')]),
        })),
      }),
    ]),
  },
  { title: 'DatabaseMove' },
);

export function databaseMoveRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: MigrationRuntime): void {
  const { doc } = adminRouteKit(app, ctx, 'migration');

  app.post('/admin/db/move', {
    ...owner,
    schema: doc('Move this embedded shop to PostgreSQL while it sells (owners only); follow it with GET', {
      body: MoveBody,
      response: { 202: MoveStatus, ...errorResponses(400, 401, 403, 409, 422) },
    }),
  }, async (request, reply) => {
    const body = request.body as MoveRequest;
    runtime.move = await startMove(ctx, runtime.move, body);
    return reply.code(202).send(runtime.move.view);
  });

  app.get('/admin/db/move', {
    ...owner,
    schema: doc('The database move this server runs or ran: progress, log, and the verification report (owners only)', {
      response: { 200: MoveStatus, ...errorResponses(401, 403, 404) },
    }),
  }, async () => {
    if (!runtime.move) throw moveNotFound();
    return runtime.move.view;
  });

  app.delete('/admin/db/move', {
    ...owner,
    schema: doc('Stop the running database move, or remove the change tracking a stopped one left (owners only)', {
      response: {
        200: Type.Object({ stopped: Type.Boolean(), trackingRemoved: Type.Boolean(), pending: Count }),
        ...errorResponses(401, 403, 409),
      },
    }),
  }, async () => stopMove(ctx, runtime.move));
}
