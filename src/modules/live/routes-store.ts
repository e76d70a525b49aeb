// Storefront side of live rooms: the list of live and upcoming rooms, one room, and the viewers' socket.
// The platform comes from the Host or the publishable key like every /store route (the kernel's hook
// also runs for the socket's upgrade request), so a room of another platform is simply not found.
import type { FastifyInstance } from 'fastify';
import { storeRouteKit } from '../../kernel/http/route-kit.ts';
import websocket from '@fastify/websocket';
import { Type } from 'typebox';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { MAX_FRAME_BYTES } from './frames.ts';
import { findRoom, listLiveAndUpcoming } from './rooms.ts';
import { roomNotFound } from './problems.ts';
import { replayPage } from './replay.ts';
import { ReplayPage, ReplayQuery, Room, RoomList, StoreRoomParams } from './schemas.ts';
import type { LiveRuntime } from './runtime.ts';
import type { LiveService } from './service.ts';
import { openViewerSocket } from './socket.ts';

/** How long a closing socket may take to answer the close before it is cut (shutdown). */
const CLOSE_GRACE_MS = 1000;

const SocketQuery = Type.Object(
  { since: Type.Optional(Type.String({ format: 'uuid', description: 'Resume after this message id' })) },
  { additionalProperties: false },
);

export async function storeRoutes(app: FastifyInstance, ctx: ModuleContext, runtime: LiveRuntime, live: LiveService): Promise<void> {
  // Registered in this module's scope: only its routes upgrade. Oversized frames close that socket (1009).
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false },
    errorHandler: (error, socket, request) => {
      request.log.debug({ err: error }, 'live socket error');
      socket.terminate();
    },
    preClose(done) {
      // Going away (1001): viewers reconnect to another node and resume with since.
      const clients = [...this.websocketServer.clients];
      for (const client of clients) client.close(1001, 'server shutting down');
      setTimeout(() => clients.forEach((client) => client.terminate()), CLOSE_GRACE_MS).unref();
      this.websocketServer.close(() => done());
    },
  });
  const { r, doc, pdbOf: pdb } = storeRouteKit(app, ctx, 'live', [{ publishableKey: [] }]);

  r.get('/store/live/rooms', {
    schema: doc('Rooms live now, then upcoming ones soonest first', { response: { 200: RoomList, ...errorResponses(400, 404) } }),
  }, async (request) => ({ items: await Promise.all((await listLiveAndUpcoming(pdb(request))).map((room) => live.view(room))) }));

  r.get('/store/live/rooms/:roomId', {
    schema: doc('One room (any state)', { params: StoreRoomParams, response: { 200: Room, ...errorResponses(400, 404) } }),
  }, async (request) => {
    const room = await findRoom(pdb(request), request.params.roomId);
    if (!room) throw roomNotFound(request.params.roomId);
    return live.view(room);
  });

  r.get('/store/live/rooms/:roomId/replay', {
    schema: doc('An ended room\'s messages, oldest first, in pages', { params: StoreRoomParams, querystring: ReplayQuery, response: { 200: ReplayPage, ...errorResponses(400, 404, 409) } }),
  }, async (request) => replayPage(pdb(request), runtime, request.params.roomId, request.query));

  // The socket (hidden from the OpenAPI document: it is not an HTTP operation). Protocol: frames.ts.
  app.get('/store/live/rooms/:roomId/ws', { websocket: true, schema: { params: StoreRoomParams, querystring: SocketQuery } }, (socket, request) =>
    openViewerSocket(socket, request, ctx, runtime),
  );
}
