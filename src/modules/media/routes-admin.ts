// Admin API of a live room's ingest (/admin/platforms/:platform/live/rooms/:roomId/…): its stream key
// (made or rotated, read, revoked) and the log of publishes. Owners and platform admins of the platform
// may call them, support only reads, and a host only for rooms it hosts (main host or active co-host).
import type { FastifyInstance } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { adminRouteKit } from '../../kernel/http/route-kit.ts';
import { errorResponses } from '../../kernel/http/schemas.ts';
import { actorIdOf, platformOf, principalOf } from '../../kernel/http/tenancy.ts';
import type { MediaEnvSettings } from '../../kernel/module-settings.ts';
import { iso } from '../../kernel/cursor.ts';
import { getRoom } from '../live/rooms.ts';
import { staffOf } from '../live/staff.ts';
import { activeKey, issueKey, keyWindow, revokeKey, streamKeyText, type StreamKeyRecord } from './keys.ts';
import { noStreamKey, notRoomHost, roomEnded } from './problems.ts';
import { NewStreamKey, PublishLog, RoomParams, StreamKey } from './schemas.ts';
import { keyWindowOf } from './settings.ts';

const ROOM = '/admin/platforms/:platform/live/rooms/:roomId';
const reads = errorResponses(400, 401, 403, 404);
const writes = errorResponses(400, 401, 403, 404, 409);

export function adminRoutes(app: FastifyInstance, ctx: ModuleContext, settings: MediaEnvSettings): void {
  const { r, doc, pdbOf: db } = adminRouteKit(app, ctx, 'media');

  // Hosts may call the room routes (the kernel refuses them elsewhere), for the rooms they host.
  const isRoomRoute = (url: string) => url.startsWith(`${ROOM}/`);
  app.addHook('onRoute', (route) => {
    if (isRoomRoute(route.url)) route.config = { ...(route.config ?? {}), hostRole: true };
  });
  app.addHook('preHandler', async (request) => {
    if (!isRoomRoute(request.routeOptions.url ?? '') || principalOf(request).role !== 'host') return;
    const { roomId } = request.params as { roomId: string };
    const staff = await staffOf(db(request), roomId, actorIdOf(request));
    if (!staff || staff.state !== 'active' || (staff.role !== 'host' && staff.role !== 'cohost')) throw notRoomHost(roomId);
  });

  const view = async (request: Parameters<typeof db>[0], record: StreamKeyRecord) => {
    const room = await getRoom(db(request), record.roomId);
    return { ...record, ...keyWindow(room, keyWindowOf(platformOf(request).settings)) };
  };

  r.post(`${ROOM}/stream-key`, {
    schema: doc('Make the room\'s stream key (a new one revokes the old): shown once', { params: RoomParams, response: { 201: NewStreamKey, ...writes } }),
  }, async (request, reply) => {
    const pdb = db(request);
    const room = await getRoom(pdb, request.params.roomId);
    if (room.state === 'ended') throw roomEnded(room.id);
    const { key, record } = await issueKey(pdb, room.id, actorIdOf(request));
    const streamKey = streamKeyText(pdb.platformId, room.id, key);
    return reply.code(201).send({ ...(await view(request, record)), key: streamKey, server: settings.ingestUrl, publishUrl: `${settings.ingestUrl}/${streamKey}` });
  });

  r.get(`${ROOM}/stream-key`, {
    schema: doc('The room\'s usable stream key (never the key itself)', { params: RoomParams, response: { 200: StreamKey, ...reads } }),
  }, async (request) => {
    await getRoom(db(request), request.params.roomId);
    const record = await activeKey(db(request), request.params.roomId);
    if (!record) throw noStreamKey(request.params.roomId);
    return view(request, record);
  });

  r.delete(`${ROOM}/stream-key`, {
    schema: doc('Revoke the room\'s stream key: publishing with it is refused from now on', { params: RoomParams, response: { 200: StreamKey, ...writes } }),
  }, async (request) => {
    await getRoom(db(request), request.params.roomId);
    const record = await revokeKey(db(request), request.params.roomId);
    if (!record) throw noStreamKey(request.params.roomId);
    return view(request, record);
  });

  r.get(`${ROOM}/publishes`, {
    schema: doc('The room\'s stream sessions and refused publishes, newest first (50 each)', { params: RoomParams, response: { 200: PublishLog, ...reads } }),
  }, async (request) => {
    const pdb = db(request);
    const roomId = (await getRoom(pdb, request.params.roomId)).id;
    const sessions = await pdb.query<{ id: string; addr: string; started_at: string; ended_at: string | null; end_reason: string | null; recorded: boolean }>(
      `select id, addr, ${iso('started_at')} as started_at, ${iso('ended_at')} as ended_at, end_reason, recording_path is not null as recorded
       from media_sessions where platform_id = $1 and room_id = $2 order by id desc limit 50`,
      [roomId],
    );
    const refusals = await pdb.query<{ id: string; reason: string; addr: string; at: string }>(
      `select id, reason, addr, ${iso('created_at')} as at from media_publish_refusals where platform_id = $1 and room_id = $2 order by id desc limit 50`,
      [roomId],
    );
    return {
      sessions: sessions.map((s) => ({ id: s.id, addr: s.addr, startedAt: s.started_at, endedAt: s.ended_at, endReason: s.end_reason, recorded: s.recorded })),
      refusals,
    };
  });
}
