// Every problem the live module answers over HTTP, named once. Socket errors are frames, not problems
// (see frames.ts).
import { problemMaker } from '../../kernel/http/problem.ts';

export const liveProblemCodes = [
  'live_room_not_found',
  'live_room_state',
  'live_message_not_found',
  'live_not_room_staff',
  'live_platform_admin_only',
  'live_not_host_user',
  'live_staff_exists',
  'live_staff_not_found',
  'live_ban_not_found',
] as const;

const problem = problemMaker(liveProblemCodes);

export const roomNotFound = (id: string) => problem(404, 'live_room_not_found', `There is no live room ${id} on this platform.`);
export const roomNotInState = (id: string, state: string, wanted: string) =>
  problem(409, 'live_room_state', `Live room ${id} is ${state}; this needs it to be ${wanted}.`, { state });
export const messageNotFound = (id: string) =>
  problem(404, 'live_message_not_found', `There is no message ${id} in this room (or it was already deleted).`);

// Roles: a principal with the host role acts only on the rooms it hosts or moderates.
export const notRoomStaff = (roomId: string, needed: string) =>
  problem(403, 'live_not_room_staff', `You are not ${needed} of live room ${roomId}; a host manages only its own rooms.`, { needed });
export const platformAdminOnly = (what: string) => problem(403, 'live_platform_admin_only', `${what} is for platform admins, not hosts.`);
export const notHostUser = (adminUserId: string) =>
  problem(422, 'live_not_host_user', `Admin user ${adminUserId} is not an active user with the host role on this platform.`);
export const staffConflict = (member: string, role: string) => problem(409, 'live_staff_exists', `${member} is already ${role} of this room.`, { role });
export const staffNotFound = (member: string, role: string) => problem(404, 'live_staff_not_found', `${member} is not ${role === 'invited co-host' || role === 'active co-host' ? 'an' : 'a'} ${role} of this room.`);
export const banNotFound = (customerId: string, scope: string) => problem(404, 'live_ban_not_found', `Customer ${customerId} has no ${scope} ban in force.`);
