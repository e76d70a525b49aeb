// Operation ids, descriptions and problem codes of the live rooms' routes, for the OpenAPI document. The
// viewers' socket (/store/live/rooms/{roomId}/ws) is not an HTTP operation; its frames are described in
// docs/ARCHITECTURE.md ("Live rooms").
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/live/rooms';
const platformBase = '/admin/platforms/{platform}/live';
const STAFF = { 403: ['live_not_room_staff'], 404: ['live_room_not_found'] } as const;
const HOST_STAFF = { 403: ['live_not_room_staff'], 404: ['live_room_not_found', 'live_staff_not_found'] } as const;
const PLATFORM_ONLY = { 403: ['live_platform_admin_only'] } as const;

// Roles and moderation beyond phase 1 (routes-moderation.ts). Every room route may also answer 403
// live_not_room_staff to a host that does not run the room.
const moderationDocs: OperationDocs = {
  [`GET ${base}/{roomId}/staff`]: { operationId: 'listLiveRoomStaff', description: 'The room\'s main host, co-hosts (invited or active) and moderators.', problems: STAFF },
  [`POST ${base}/{roomId}/moderators`]: {
    operationId: 'addLiveModerator',
    description: 'Makes a customer (who then moderates with `moderate` frames on the chat socket) or a host user (who moderates through this API) a moderator of the room. A system message tells the room about a customer moderator.',
    problems: { 403: ['live_not_room_staff'], 404: ['live_room_not_found', 'customer_not_found'], 409: ['live_staff_exists'], 422: ['live_not_host_user'] },
  },
  [`DELETE ${base}/{roomId}/moderators/{memberId}`]: { operationId: 'removeLiveModerator', description: 'Removes a moderator, by its customer or admin user id.', problems: HOST_STAFF },
  [`POST ${base}/{roomId}/cohosts`]: {
    operationId: 'inviteLiveCohost',
    description: 'Invites another admin user with the host role on this platform to co-host; it becomes a co-host when it accepts. A system message tells the room.',
    problems: { 403: ['live_not_room_staff'], 404: ['live_room_not_found'], 409: ['live_staff_exists'], 422: ['live_not_host_user'] },
  },
  [`POST ${base}/{roomId}/cohosts/accept`]: { operationId: 'acceptLiveCohost', description: 'The invited host user accepts and becomes a co-host. A system message tells the room.', problems: HOST_STAFF },
  [`DELETE ${base}/{roomId}/cohosts/{memberId}`]: { operationId: 'removeLiveCohost', description: 'Removes a co-host or withdraws an invitation.', problems: HOST_STAFF },
  [`POST ${base}/{roomId}/handover`]: {
    operationId: 'handOverLiveRoom',
    description: 'Makes an active co-host the main host; the main host before becomes a co-host. The main host or a platform admin calls it. A system message tells the room.',
    problems: HOST_STAFF,
  },
  [`POST ${base}/{roomId}/bans`]: {
    operationId: 'banLiveCustomer',
    description: 'Bans a customer from the room (or, with scope=platform, from every room; platform admins only), for some minutes or until lifted: its sockets close and it cannot join as that customer. Recorded in the moderation log.',
    problems: { 403: ['live_not_room_staff', 'live_platform_admin_only'], 404: ['live_room_not_found', 'customer_not_found'] },
  },
  [`DELETE ${base}/{roomId}/bans/{customerId}`]: {
    operationId: 'unbanLiveCustomer',
    description: 'Lifts the customer\'s ban of the room (scope=platform: the platform-wide one). Recorded in the moderation log.',
    problems: { 403: ['live_not_room_staff', 'live_platform_admin_only'], 404: ['live_room_not_found', 'live_ban_not_found'] },
  },
  [`GET ${base}/{roomId}/bans`]: { operationId: 'listLiveRoomBans', description: 'Bans in force in the room: its own and the platform-wide ones.', problems: STAFF },
  [`POST ${platformBase}/bans`]: {
    operationId: 'banLiveCustomerEverywhere',
    description: 'Bans a customer from every live room of the platform. Platform admins only. Recorded in the moderation log.',
    problems: { ...PLATFORM_ONLY, 404: ['customer_not_found'] },
  },
  [`DELETE ${platformBase}/bans/{customerId}`]: { operationId: 'unbanLiveCustomerEverywhere', description: 'Lifts a platform-wide ban.', problems: { ...PLATFORM_ONLY, 404: ['live_ban_not_found'] } },
  [`GET ${platformBase}/bans`]: { operationId: 'listLiveBans', description: 'Every ban in force on the platform, room and platform-wide.', problems: PLATFORM_ONLY },
  [`PUT ${base}/{roomId}/slow-mode`]: {
    operationId: 'setLiveSlowMode',
    description: 'Sets the seconds a customer waits between two posts in the room (0: off), at once on every node. Moderators and hosts are not slowed. A system message tells the room.',
    problems: STAFF,
  },
  [`GET ${platformBase}/keywords`]: { operationId: 'getLiveKeywords', description: 'The platform\'s chat keyword filter.', problems: PLATFORM_ONLY },
  [`PUT ${platformBase}/keywords`]: {
    operationId: 'setLiveKeywords',
    description: 'Replaces the keyword filter. Chinese (CJK) words match anywhere in a message, Latin words as whole words, case-insensitive; `block` refuses the post (error frame `blocked`), `mask` replaces the word with asterisks. Applies on every node within 2 s.',
    problems: PLATFORM_ONLY,
  },
  [`GET ${base}/{roomId}/export`]: {
    operationId: 'exportLiveRoomChat',
    description: 'The chat log of an ended room as JSON lines (`application/x-ndjson`): every message oldest first with its author, customer id and, for messages a moderator deleted, when. 409 while the room is scheduled or live.',
    problems: { 404: ['live_room_not_found'], 409: ['live_room_state'] },
  },
  [`GET ${platformBase}/moderation`]: { operationId: 'getLivePlatformModerationLog', description: 'Every moderation action of the platform (rooms and platform-wide), newest first, the latest 500.', problems: PLATFORM_ONLY },
};
const ROOM = { 404: ['live_room_not_found'] } as const;
const TARGET = { 404: ['live_room_not_found', 'customer_not_found'] } as const;

const roomDocs: OperationDocs = {
  [`POST ${base}`]: {
    operationId: 'createLiveRoom',
    description: 'Creates a room in the scheduled state with its title, cover, schedule, hosts and the products it will sell. Viewers may join at once; chat opens when it is started.',
  },
  [`GET ${base}`]: { operationId: 'listLiveRooms', description: 'The platform\'s rooms, newest first, optionally by state; cursor paginated.', problems: { 400: ['invalid_cursor'] } },
  [`GET ${base}/{roomId}`]: { operationId: 'getLiveRoom', description: 'One room with its likes and the viewers connected to this node.', problems: ROOM },
  [`POST ${base}/{roomId}/start`]: {
    operationId: 'startLiveRoom',
    description: 'Moves a scheduled room to live: chat opens, viewers get a `state` frame and a system message, `live.room_started` is emitted.',
    problems: { ...ROOM, 409: ['live_room_state'] },
  },
  [`POST ${base}/{roomId}/end`]: {
    operationId: 'endLiveRoom',
    description: 'Moves a live room to ended: chat closes, history stays readable, `live.room_ended` is emitted.',
    problems: { ...ROOM, 409: ['live_room_state'] },
  },
  [`POST ${base}/{roomId}/messages`]: {
    operationId: 'postLiveHostMessage',
    description: 'Posts a message as the host. Host messages travel in the critical lane: a slow viewer may lose chat, never these.',
    problems: { ...ROOM, 409: ['live_room_state'] },
  },
  [`DELETE ${base}/{roomId}/messages/{messageId}`]: {
    operationId: 'deleteLiveMessage',
    description: 'Deletes a message for everyone: it leaves the room\'s history and every viewer gets a `deleted` frame. Recorded in the moderation log.',
    problems: { 404: ['live_room_not_found', 'live_message_not_found'] },
  },
  [`POST ${base}/{roomId}/mutes`]: {
    operationId: 'muteLiveCustomer',
    description: 'Mutes a customer in the room, for some minutes or until unmuted: their posts are refused with a `muted` error frame. Recorded in the moderation log.',
    problems: TARGET,
  },
  [`DELETE ${base}/{roomId}/mutes/{customerId}`]: { operationId: 'unmuteLiveCustomer', description: 'Lifts a mute. Recorded in the moderation log.', problems: TARGET },
  [`POST ${base}/{roomId}/kicks`]: {
    operationId: 'kickLiveCustomer',
    description: 'Closes the customer\'s sockets in the room and keeps it from joining again as that customer. Recorded in the moderation log.',
    problems: TARGET,
  },
  [`GET ${base}/{roomId}/moderation`]: { operationId: 'getLiveModerationLog', description: 'Every moderation action in the room, newest first (the latest 500).', problems: ROOM },
  ...moderationDocs,
  'GET /store/live/rooms': {
    operationId: 'listStoreLiveRooms',
    description: 'Rooms live now, then upcoming ones soonest first (at most 100). Join one with a WebSocket at `/store/live/rooms/{roomId}/ws`.',
  },
  'GET /store/live/rooms/{roomId}': { operationId: 'getStoreLiveRoom', description: 'One room of this platform, whatever its state.', problems: ROOM },
  'GET /store/live/rooms/{roomId}/replay': {
    operationId: 'getStoreLiveReplay',
    description:
      'The replay of a room that ended: its messages as viewers saw them (deleted ones left out), oldest first, `limit` at a time (default 100); ' +
      'pass `nextSince` as `since` for the next page. Read from the room\'s JetStream history (with NATS) merged with the stored chat, or from the ' +
      'stored chat alone. 409 live_room_state while the room is scheduled or live.',
    problems: { ...ROOM, 409: ['live_room_state'] },
  },
};

/** Every admin route of one room may answer a host that does not run the room (access.ts). */
function withStaffCheck(docs: OperationDocs): OperationDocs {
  return Object.fromEntries(
    Object.entries(docs).map(([key, doc]) => {
      if (!key.includes('/admin/') || !key.includes('{roomId}')) return [key, doc];
      const forbidden = new Set([...(doc.problems?.[403] ?? []), 'live_not_room_staff']);
      return [key, { ...doc, problems: { ...doc.problems, 403: [...forbidden] } }];
    }),
  );
}

export const liveDocs: OperationDocs = withStaffCheck(roomDocs);
