// Admin API of live rooms (/admin/platforms/:platform/live/…). The kernel hook has already checked the
// principal, kept support read-only, resolved the platform and refused it when the module is off.
import type { FastifyInstance } from 'fastify';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, principalOf } from '../../kernel/http/tenancy.ts';
import { moderationLog } from './moderation.ts';
import { getRoom, listRooms } from './rooms.ts';
import { createRoomAs } from './staff.ts';
import {
  HostMessageInput,
  KickInput,
  Message,
  ModerationEntry,
  ModerationLog,
  MuteInput,
  PlatformParams,
  Room,
  RoomCustomerParams,
  RoomInput,
  RoomMessageParams,
  RoomPage,
  RoomParams,
  RoomsQuery,
} from './schemas.ts';
import type { LiveService } from './service.ts';

const base = '/admin/platforms/:platform/live/rooms';
const reads = errorResponses(400, 401, 404);
const writes = errorResponses(400, 401, 403, 404, 409);

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext, live: LiveService): void {
  const { r, doc, pdbOf: db } = adminRouteKit(app, ctx, 'live');

  r.post(base, {
    schema: doc('Create a room (scheduled until started)', { params: PlatformParams, body: RoomInput, response: { 201: Room, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await live.view(await createRoomAs(db(request), request.body, principalOf(request)))));

  r.get(base, {
    schema: doc('Rooms of the platform, newest first', { params: PlatformParams, querystring: RoomsQuery, response: { 200: RoomPage, ...reads } }),
  }, async (request) => {
    const page = await listRooms(db(request), request.query);
    return { items: await Promise.all(page.items.map((room) => live.view(room))), nextCursor: page.nextCursor };
  });

  r.get(`${base}/:roomId`, {
    schema: doc('One room with its counts', { params: RoomParams, response: { 200: Room, ...reads } }),
  }, async (request) => live.view(await getRoom(db(request), request.params.roomId)));

  r.post(`${base}/:roomId/start`, {
    schema: doc('Go live: chat opens and viewers are told', { params: RoomParams, response: { 200: Room, ...writes } }),
  }, async (request) => live.start(db(request), request.params.roomId, actorIdOf(request)));

  r.post(`${base}/:roomId/end`, {
    schema: doc('End the room: chat closes, history stays', { params: RoomParams, response: { 200: Room, ...writes } }),
  }, async (request) => live.end(db(request), request.params.roomId, actorIdOf(request)));

  r.post(`${base}/:roomId/messages`, {
    schema: doc('Post as the host (never dropped for slow viewers)', { params: RoomParams, body: HostMessageInput, response: { 201: Message, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await live.hostMessage(db(request), request.params.roomId, request.body.text, principalOf(request).label)));

  r.delete(`${base}/:roomId/messages/:messageId`, {
    schema: doc('Delete a message for everyone (recorded in the moderation log)', { params: RoomMessageParams, response: { 200: ModerationEntry, ...writes } }),
  }, async (request) => live.deleteMessage(db(request), request.params.roomId, request.params.messageId, actorIdOf(request)));

  r.post(`${base}/:roomId/mutes`, {
    schema: doc('Mute a customer in the room (for some minutes or until unmuted)', { params: RoomParams, body: MuteInput, response: { 201: ModerationEntry, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await live.mute(db(request), request.params.roomId, request.body, actorIdOf(request))));

  r.delete(`${base}/:roomId/mutes/:customerId`, {
    schema: doc('Unmute a customer in the room', { params: RoomCustomerParams, response: { 200: ModerationEntry, ...writes } }),
  }, async (request) => live.unmute(db(request), request.params.roomId, request.params.customerId, actorIdOf(request)));

  r.post(`${base}/:roomId/kicks`, {
    schema: doc('Remove a customer from the room; it may not come back as that customer', { params: RoomParams, body: KickInput, response: { 201: ModerationEntry, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await live.kick(db(request), request.params.roomId, request.body, actorIdOf(request))));

  r.get(`${base}/:roomId/moderation`, {
    schema: doc('The room\'s moderation log, newest first', { params: RoomParams, response: { 200: ModerationLog, ...reads } }),
  }, async (request) => ({ items: await moderationLog(db(request), request.params.roomId) }));
}
