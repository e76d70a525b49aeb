// Live-room settings. Process-wide ones (a viewer's send queue, the socket high-water mark) come from the
// kernel config (ctx.config.live); a platform tunes its rooms' chat in settings.live.
import { Type, type Static } from 'typebox';

export const MODULE_NAME = 'live';

/** settings.live of a platform, each field overriding the default below. */
export const platformSettingsSchema = Type.Object(
  {
    historyOnJoin: Type.Optional(Type.Integer({ minimum: 0, maximum: 200, description: 'Messages a joining viewer gets (default 50)' })),
    deliveryCapPerSecond: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Chat messages a viewer receives per second at most; a busier room is sampled (default 20)' }),
    ),
    maxMessageLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'Characters in one chat message (default 200)' })),
    postsPerWindow: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Chat messages one customer may post per window (default 5)' })),
    postWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'The window of postsPerWindow (default 10)' })),
    coinPrice: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Minor units of the platform\'s default currency one coin costs (default 1); new top-ups use it' }),
    ),
  },
  { additionalProperties: false },
);
type PlatformLiveSettings = Static<typeof platformSettingsSchema>;

export interface RoomPolicy {
  historyOnJoin: number;
  deliveryCapPerSecond: number;
  maxMessageLength: number;
  postsPerWindow: number;
  postWindowMs: number;
}

/** The policy of one platform's rooms: its settings.live (validated when saved) over the defaults. */
export function roomPolicy(platformSettings: Record<string, unknown> | undefined): RoomPolicy {
  const own = (platformSettings?.[MODULE_NAME] ?? {}) as PlatformLiveSettings;
  return {
    historyOnJoin: own.historyOnJoin ?? 50,
    deliveryCapPerSecond: own.deliveryCapPerSecond ?? 20,
    maxMessageLength: own.maxMessageLength ?? 200,
    postsPerWindow: own.postsPerWindow ?? 5,
    postWindowMs: (own.postWindowSeconds ?? 10) * 1000,
  };
}

/** Minor units of the platform's default currency one coin costs (settings.live.coinPrice, default 1). */
export function coinPriceOf(platformSettings: Record<string, unknown> | undefined): number {
  return ((platformSettings?.[MODULE_NAME] ?? {}) as PlatformLiveSettings).coinPrice ?? 1;
}
