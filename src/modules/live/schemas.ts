// TypeBox schemas of the live rooms' HTTP API (admin and storefront). The socket's frames are in frames.ts.
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const PlatformRef = Type.String({ minLength: 1, maxLength: 200 });

const RoomStateSchema = Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')], { description: 'scheduled → live → ended' });
export type RoomState = Static<typeof RoomStateSchema>;

export const PlatformParams = Type.Object({ platform: PlatformRef });
export const RoomParams = Type.Object({ platform: PlatformRef, roomId: Uuid });
export const RoomCustomerParams = Type.Object({ platform: PlatformRef, roomId: Uuid, customerId: Uuid });
export const RoomMessageParams = Type.Object({ platform: PlatformRef, roomId: Uuid, messageId: Uuid });
export const StoreRoomParams = Type.Object({ roomId: Uuid });

export const RoomInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    coverUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://', description: 'http(s) URL of the cover image' })),
    scheduledAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the room is planned to go live (shown to viewers)' })),
    hosts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 10, description: 'Display names of the hosts' })),
    productIds: Type.Optional(Type.Array(Uuid, { maxItems: 100, uniqueItems: true, description: 'Catalogue products the room will sell' })),
  },
  { title: 'LiveRoomInput', additionalProperties: false },
);
export type RoomInput = Static<typeof RoomInput>;

export const Room = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    coverUrl: Nullable(Type.String()),
    scheduledAt: Nullable(Type.String()),
    hosts: Type.Array(Type.String()),
    productIds: Type.Array(Type.String()),
    state: RoomStateSchema,
    startedAt: Nullable(Type.String()),
    endedAt: Nullable(Type.String()),
    likes: Type.Integer({ description: 'Likes counted so far (taps are added at most once a second)' }),
    viewers: Type.Integer({ description: 'Viewers on every node, as the answering node knows them (0 when it serves none of them)' }),
    createdAt: Type.String(),
    playbackUrl: Nullable(Type.String({ description: 'HLS playlist of the room\'s stream (set when the media server\'s publish is authorised)' })),
    recordingUrl: Nullable(Type.String({ description: 'The recording of the last session (after it ended), the video replay' })),
    posterUrl: Nullable(Type.String({ description: 'A still of the recording taken by ffmpeg, the replay\'s poster' })),
  },
  { title: 'LiveRoom' },
);
export type Room = Static<typeof Room>;

export const RoomsQuery = Type.Object(
  {
    state: Type.Optional(RoomStateSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type RoomsQuery = Static<typeof RoomsQuery>;

export const RoomPage = Type.Object({ items: Type.Array(Room), nextCursor: Nullable(Type.String()) });
export const RoomList = Type.Object({ items: Type.Array(Room) });

export const HostMessageInput = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 2000 }) },
  { title: 'LiveHostMessageInput', additionalProperties: false },
);

export const Message = Type.Object(
  {
    id: Type.String({ description: 'UUIDv7: later messages have larger ids; resume a socket with since=<id>' }),
    kind: Type.Union([Type.Literal('chat'), Type.Literal('host'), Type.Literal('system')]),
    author: Type.String(),
    text: Type.String({ description: 'The message; a system message in English' }),
    at: Type.String(),
    key: Type.Optional(Type.String({ description: 'System messages: a stable key (room_live, room_ended, banned_room, banned_platform, slow_mode_on, slow_mode_off, moderator_added, cohost_invited, cohost_joined, handed_over) a client shows in its own language with params; text is the English' })),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'Values the key\'s text names (name, seconds)' })),
  },
  { title: 'LiveMessage' },
);
export type Message = Static<typeof Message>;

export const ReplayQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ format: 'uuid', description: 'nextSince of the previous page: messages after this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Default 100' })),
  },
  { additionalProperties: false },
);
export const ReplayPage = Type.Object(
  { items: Type.Array(Message), nextSince: Nullable(Type.String({ description: 'since of the next page; null on the last page' })) },
  { title: 'LiveReplayPage' },
);

export const MuteInput = Type.Object(
  {
    customerId: Uuid,
    minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 525_600, description: 'How long; without it, until unmuted' })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { title: 'LiveMuteInput', additionalProperties: false },
);
export type MuteInput = Static<typeof MuteInput>;

export const KickInput = Type.Object(
  { customerId: Uuid, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { title: 'LiveKickInput', additionalProperties: false },
);
export type KickInput = Static<typeof KickInput>;

export const ModerationEntry = Type.Object(
  {
    id: Type.String(),
    roomId: Nullable(Type.String({ description: 'null for a platform-wide action (platform ban, keyword filter)' })),
    action: Type.String({
      description:
        'mute, unmute, kick, delete_message, ban, unban, slow_mode, keywords, add_moderator, remove_moderator, invite_cohost, accept_cohost, remove_cohost or handover',
    }),
    customerId: Nullable(Type.String()),
    messageId: Nullable(Type.String()),
    until: Nullable(Type.String()),
    reason: Type.String(),
    actor: Type.String({ description: '"<kind>:<id>" of who acted: admin_user, api_key or customer (a moderator on the socket)' }),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'What else the action set: seconds of slow mode, a ban\'s scope, the member added…' }),
    createdAt: Type.String(),
  },
  { title: 'LiveModerationEntry' },
);
export type ModerationEntry = Static<typeof ModerationEntry>;
export const ModerationLog = Type.Object({ items: Type.Array(ModerationEntry, { description: 'Newest first, the latest 500' }) });

// Roles, bans, slow mode and the keyword filter (routes-moderation.ts).
export const RoomMemberParams = Type.Object({ platform: PlatformRef, roomId: Uuid, memberId: Uuid });
export const PlatformCustomerParams = Type.Object({ platform: PlatformRef, customerId: Uuid });

const BanFields = {
  customerId: Uuid,
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 525_600, description: 'How long; without it, until lifted' })),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
};
const BanScopeSchema = Type.Union([Type.Literal('room'), Type.Literal('platform')], { description: 'room (default) or every room of the platform (platform admins only)' });
export const BanInput = Type.Object({ ...BanFields, scope: Type.Optional(BanScopeSchema) }, { title: 'LiveBanInput', additionalProperties: false });
export type BanInput = Static<typeof BanInput>;
export const PlatformBanInput = Type.Object(BanFields, { title: 'LivePlatformBanInput', additionalProperties: false });
export const BanScopeQuery = Type.Object({ scope: Type.Optional(BanScopeSchema) }, { additionalProperties: false });
export const Ban = Type.Object(
  { customerId: Type.String(), roomId: Nullable(Type.String()), until: Nullable(Type.String()), reason: Type.String(), actor: Type.String(), createdAt: Type.String() },
  { title: 'LiveBan' },
);
export const BanList = Type.Object({ items: Type.Array(Ban, { description: 'Bans in force, newest first (the latest 500)' }) });

export const SlowModeInput = Type.Object(
  { seconds: Type.Integer({ minimum: 0, maximum: 3600, description: 'Seconds between two posts of one customer; 0 turns slow mode off' }) },
  { title: 'LiveSlowModeInput', additionalProperties: false },
);

const KeywordSchema = Type.Object(
  {
    word: Type.String({ minLength: 1, maxLength: 100, description: 'Chinese (CJK) words match anywhere; Latin words match whole words; case-insensitive' }),
    action: Type.Union([Type.Literal('block'), Type.Literal('mask')], { description: 'block refuses the post; mask replaces the word with asterisks' }),
  },
  { additionalProperties: false },
);
export const KeywordsInput = Type.Object({ keywords: Type.Array(KeywordSchema, { maxItems: 2000 }) }, { title: 'LiveKeywordsInput', additionalProperties: false });
export const KeywordList = Type.Object({ keywords: Type.Array(KeywordSchema) }, { title: 'LiveKeywords' });

export const ModeratorInput = Type.Union(
  [
    Type.Object({ customerId: Uuid }, { additionalProperties: false }),
    Type.Object({ adminUserId: Type.String({ format: 'uuid', description: 'An admin user with the host role on this platform' }) }, { additionalProperties: false }),
  ],
  { title: 'LiveModeratorInput', description: 'A customer (moderates from the chat socket) or a host user (moderates through this API)' },
);
export type ModeratorInput = Static<typeof ModeratorInput>;
export const HostUserInput = Type.Object(
  { adminUserId: Type.String({ format: 'uuid', description: 'An admin user with the host role on this platform' }) },
  { title: 'LiveHostUserInput', additionalProperties: false },
);
export const StaffMember = Type.Object(
  {
    member: Type.String({ description: '"admin_user:<id>", "api_key:<id>" or "customer:<id>"' }),
    role: Type.Union([Type.Literal('host'), Type.Literal('cohost'), Type.Literal('moderator')]),
    state: Type.Union([Type.Literal('invited'), Type.Literal('active')]),
    addedBy: Type.String(),
    createdAt: Type.String(),
  },
  { title: 'LiveStaffMember' },
);
export const StaffList = Type.Object({ items: Type.Array(StaffMember) });
export const ModerationQuery = Type.Object(
  {
    action: Type.Optional(
      Type.Union(
        ['mute', 'unmute', 'kick', 'delete_message', 'ban', 'unban', 'slow_mode', 'keywords', 'add_moderator', 'remove_moderator', 'invite_cohost', 'accept_cohost', 'remove_cohost', 'handover'].map((a) =>
          Type.Literal(a),
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
