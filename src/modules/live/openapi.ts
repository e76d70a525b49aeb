// Operation ids, descriptions and problem codes of the live rooms' routes, for the OpenAPI document. The
// viewers' socket (/store/live/rooms/{roomId}/ws) is not an HTTP operation; its frames are described in
// docs/ARCHITECTURE.md ("Live rooms").
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/live/rooms';
const ROOM = { 404: ['live_room_not_found'] } as const;
const TARGET = { 404: ['live_room_not_found', 'customer_not_found'] } as const;

export const liveDocs: OperationDocs = {
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
  'GET /store/live/rooms': {
    operationId: 'listStoreLiveRooms',
    description: 'Rooms live now, then upcoming ones soonest first (at most 100). Join one with a WebSocket at `/store/live/rooms/{roomId}/ws`.',
  },
  'GET /store/live/rooms/{roomId}': { operationId: 'getStoreLiveRoom', description: 'One room of this platform, whatever its state.', problems: ROOM },
};
