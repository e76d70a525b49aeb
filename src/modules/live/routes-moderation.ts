// Admin API of roles and moderation beyond phase 1: a room's staff (moderators, co-hosts, hand-over),
// bans (room or platform), slow mode, the platform's keyword filter and its moderation log. Hosts reach
// the room routes of rooms they run (access.ts); platform-wide ones are for platform admins.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import type { ModuleContext } from '../../kernel/context.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, principalOf } from '../../kernel/http/tenancy.ts';
import { Type } from 'typebox';
import { listBans } from './bans.ts';
import { exportLines } from './export.ts';
import type { LiveModeration, Actor } from './moderation-service.ts';
import { platformModerationLog, type Action } from './moderation.ts';
import { getRoom } from './rooms.ts';
import {
  BanInput,
  BanList,
  BanScopeQuery,
  HostUserInput,
  KeywordList,
  KeywordsInput,
  ModerationEntry,
  ModerationLog,
  ModerationQuery,
  ModeratorInput,
  PlatformBanInput,
  PlatformCustomerParams,
  PlatformParams,
  RoomCustomerParams,
  RoomMemberParams,
  RoomParams,
  SlowModeInput,
  StaffList,
  StaffMember,
} from './schemas.ts';

const base = '/admin/platforms/:platform/live';
const room = `${base}/rooms/:roomId`;
const reads = errorResponses(400, 401, 403, 404);
const writes = errorResponses(400, 401, 403, 404, 409, 422);

const actorOf = (request: FastifyRequest): Actor => ({ id: actorIdOf(request), platformWide: principalOf(request).role !== 'host' });

export function moderationRoutes(app: FastifyInstance, ctx: ModuleContext, moderation: LiveModeration): void {
  const { r, doc, pdbOf: db } = adminRouteKit(app, ctx, 'live');

  // Staff of a room.
  r.get(`${room}/staff`, {
    schema: doc('The room\'s hosts, co-hosts and moderators', { params: RoomParams, response: { 200: StaffList, ...reads } }),
  }, async (request) => ({ items: await moderation.staff(db(request), request.params.roomId) }));

  r.post(`${room}/moderators`, {
    schema: doc('Make a customer or a host user a moderator of the room', { params: RoomParams, body: ModeratorInput, response: { 201: StaffMember, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await moderation.addModerator(db(request), request.params.roomId, request.body as { customerId?: string; adminUserId?: string }, actorOf(request))));

  r.delete(`${room}/moderators/:memberId`, {
    schema: doc('Remove a moderator (by customer or admin user id)', { params: RoomMemberParams, response: { 200: StaffMember, ...writes } }),
  }, async (request) => moderation.removeModerator(db(request), request.params.roomId, request.params.memberId, actorOf(request)));

  r.post(`${room}/cohosts`, {
    schema: doc('Invite a host user to co-host the room (a system message tells the room)', { params: RoomParams, body: HostUserInput, response: { 201: StaffMember, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await moderation.inviteCohost(db(request), request.params.roomId, request.body.adminUserId, actorOf(request))));

  r.post(`${room}/cohosts/accept`, {
    schema: doc('Accept an invitation to co-host (the invited host user calls this)', { params: RoomParams, response: { 200: StaffMember, ...writes } }),
  }, async (request) => moderation.acceptCohost(db(request), request.params.roomId, actorOf(request)));

  r.delete(`${room}/cohosts/:memberId`, {
    schema: doc('Remove a co-host or withdraw an invitation', { params: RoomMemberParams, response: { 200: StaffMember, ...writes } }),
  }, async (request) => moderation.removeCohost(db(request), request.params.roomId, request.params.memberId, actorOf(request)));

  r.post(`${room}/handover`, {
    schema: doc('Hand the room over: a co-host becomes the main host', { params: RoomParams, body: HostUserInput, response: { 200: StaffList, ...writes } }),
  }, async (request) => ({ items: await moderation.handOver(db(request), request.params.roomId, request.body.adminUserId, actorOf(request)) }));

  // Bans.
  r.post(`${room}/bans`, {
    schema: doc('Ban a customer from the room (or, for platform admins, every room)', { params: RoomParams, body: BanInput, response: { 201: ModerationEntry, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await moderation.ban(db(request), request.params.roomId, request.body, actorOf(request))));

  r.delete(`${room}/bans/:customerId`, {
    schema: doc('Lift a ban of the room (or the platform\'s, with scope=platform)', { params: RoomCustomerParams, querystring: BanScopeQuery, response: { 200: ModerationEntry, ...writes } }),
  }, async (request) => moderation.unban(db(request), request.params.roomId, request.params.customerId, request.query.scope ?? 'room', actorOf(request)));

  r.get(`${room}/bans`, {
    schema: doc('Bans in force in the room (its own and the platform\'s)', { params: RoomParams, response: { 200: BanList, ...reads } }),
  }, async (request) => {
    await getRoom(db(request), request.params.roomId);
    return { items: await listBans(db(request), request.params.roomId) };
  });

  r.post(`${base}/bans`, {
    schema: doc('Ban a customer from every live room of the platform', { params: PlatformParams, body: PlatformBanInput, response: { 201: ModerationEntry, ...writes } }),
  }, async (request, reply) => reply.code(201).send(await moderation.ban(db(request), null, { ...request.body, scope: 'platform' }, actorOf(request))));

  r.delete(`${base}/bans/:customerId`, {
    schema: doc('Lift a platform-wide ban', { params: PlatformCustomerParams, response: { 200: ModerationEntry, ...writes } }),
  }, async (request) => moderation.unban(db(request), null, request.params.customerId, 'platform', actorOf(request)));

  r.get(`${base}/bans`, {
    schema: doc('Every ban in force on the platform', { params: PlatformParams, response: { 200: BanList, ...reads } }),
  }, async (request) => ({ items: await listBans(db(request), null) }));

  // Slow mode and the keyword filter.
  r.put(`${room}/slow-mode`, {
    schema: doc('Set slow mode: seconds between two posts of one customer (0: off)', { params: RoomParams, body: SlowModeInput, response: { 200: ModerationEntry, ...writes } }),
  }, async (request) => moderation.slowMode(db(request), request.params.roomId, request.body.seconds, actorOf(request)));

  r.get(`${base}/keywords`, {
    schema: doc('The platform\'s chat keyword filter', { params: PlatformParams, response: { 200: KeywordList, ...reads } }),
  }, async (request) => ({ keywords: await moderation.keywords(db(request)) }));

  r.put(`${base}/keywords`, {
    schema: doc('Replace the platform\'s chat keyword filter (applies within seconds on every node)', { params: PlatformParams, body: KeywordsInput, response: { 200: KeywordList, ...writes } }),
  }, async (request) => ({ keywords: await moderation.setKeywords(db(request), request.body.keywords, actorOf(request)) }));

  r.get(`${room}/export`, {
    schema: doc('The chat log of an ended room as JSON lines', {
      params: RoomParams,
      response: { 200: { description: 'One JSON message per line, oldest first', content: { 'application/x-ndjson': { schema: Type.String() } } }, ...writes },
    }),
  }, async (request, reply) => {
    // Lines collected first: a 409 or 404 must be a problem, not half a stream. A Buffer skips serialization.
    const lines: string[] = [];
    for await (const line of exportLines(db(request), request.params.roomId)) lines.push(line);
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="live-room-${request.params.roomId}.jsonl"`)
      // The typed reply expects the documented string; the bytes are that string, sent as they are.
      .send(Buffer.from(lines.join('')) as unknown as string);
  });

  r.get(`${base}/moderation`, {
    schema: doc('The platform\'s moderation log across rooms, newest first', { params: PlatformParams, querystring: ModerationQuery, response: { 200: ModerationLog, ...reads } }),
  }, async (request) => ({ items: await platformModerationLog(db(request), request.query.action as Action | undefined) }));
}
