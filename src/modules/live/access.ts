// What a principal with the host role may do in the live admin API. The kernel lets hosts reach these
// routes only (config.hostRole) and only on their platforms; here, per room, a host must be on the room's
// staff with enough of a role. Owners and platform admins pass (support is read-only, by the kernel).
// One table names what each route needs, so a route added without an entry needs the most (main host).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../kernel/context.ts';
import { actorIdOf, principalOf } from '../../kernel/http/tenancy.ts';
import { notRoomStaff, platformAdminOnly } from './problems.ts';
import { staffOf, type StaffMember } from './staff.ts';

/** moderate: host, co-host or moderator; host: main host or co-host; main: the main host; invitee: an invited co-host. */
type Need = 'moderate' | 'host' | 'main' | 'invitee';

const ROOM = '/admin/platforms/:platform/live/rooms/:roomId';
const ROOM_NEEDS: Record<string, Need> = {
  [`GET ${ROOM}`]: 'moderate',
  [`POST ${ROOM}/start`]: 'host',
  [`POST ${ROOM}/end`]: 'host',
  [`POST ${ROOM}/messages`]: 'host',
  [`DELETE ${ROOM}/messages/:messageId`]: 'moderate',
  [`POST ${ROOM}/mutes`]: 'moderate',
  [`DELETE ${ROOM}/mutes/:customerId`]: 'moderate',
  [`POST ${ROOM}/kicks`]: 'moderate',
  [`POST ${ROOM}/bans`]: 'moderate',
  [`DELETE ${ROOM}/bans/:customerId`]: 'moderate',
  [`GET ${ROOM}/bans`]: 'moderate',
  [`PUT ${ROOM}/slow-mode`]: 'moderate',
  [`GET ${ROOM}/moderation`]: 'moderate',
  [`GET ${ROOM}/staff`]: 'moderate',
  [`POST ${ROOM}/moderators`]: 'host',
  [`DELETE ${ROOM}/moderators/:memberId`]: 'host',
  [`POST ${ROOM}/cohosts`]: 'host',
  [`DELETE ${ROOM}/cohosts/:memberId`]: 'host',
  [`POST ${ROOM}/cohosts/accept`]: 'invitee',
  [`POST ${ROOM}/handover`]: 'main',
  [`GET ${ROOM}/export`]: 'host',
  [`GET ${ROOM}/ws`]: 'moderate',
  [`PUT ${ROOM}/flash-sale`]: 'host',
};
/** Platform-wide routes a host may call: creating a room (it becomes the main host) and listing rooms. */
const HOST_PLATFORM_ROUTES = new Set(['POST /admin/platforms/:platform/live/rooms', 'GET /admin/platforms/:platform/live/rooms']);

function allows(need: Need, staff: StaffMember | undefined): boolean {
  if (!staff) return false;
  if (need === 'invitee') return staff.role === 'cohost' && staff.state === 'invited';
  if (staff.state !== 'active') return false;
  if (need === 'main') return staff.role === 'host';
  if (need === 'host') return staff.role === 'host' || staff.role === 'cohost';
  return true;
}

const WORDS: Record<Need, string> = { moderate: 'a host or moderator', host: 'a host', main: 'the main host', invitee: 'an invited co-host' };

export function isHostPrincipal(request: FastifyRequest): boolean {
  return principalOf(request).role === 'host';
}

/** Lets hosts into the module's admin routes, then checks each request of a host against the room's staff. */
export function installHostAccess(app: FastifyInstance, ctx: ModuleContext): void {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/admin/')) route.config = { ...(route.config ?? {}), hostRole: true };
  });
  app.addHook('preHandler', async (request) => {
    const url = request.routeOptions.url ?? '';
    if (!url.startsWith('/admin/') || !isHostPrincipal(request)) return;
    const key = `${request.method} ${url}`;
    const roomId = (request.params as { roomId?: string }).roomId;
    if (roomId === undefined) {
      if (!HOST_PLATFORM_ROUTES.has(key)) throw platformAdminOnly('This platform-wide setting');
      return;
    }
    const need = ROOM_NEEDS[key] ?? 'main';
    const staff = await staffOf(ctx.platformDb(request.platform!.id), roomId, actorIdOf(request));
    if (!allows(need, staff)) throw notRoomStaff(roomId, WORDS[need]);
  });
}
