// Media settings. Process-wide ones (where the media server writes, its public URL, the callback secret)
// come from the kernel config (ctx.config.media, SOUK_MEDIA_*); a platform sets when its rooms' stream
// keys work in settings.media.
import { Type, type Static } from 'typebox';

export const MODULE_NAME = 'media';

/** settings.media of a platform, each field overriding the default below. */
export const platformSettingsSchema = Type.Object(
  {
    keyOpensMinutesBefore: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10_080, description: 'A scheduled room\'s stream key works from this many minutes before its scheduledAt (default 60)' }),
    ),
    keyClosesMinutesAfter: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_080, description: '…until this many minutes after it, unless the room is live by then (default 240)' }),
    ),
  },
  { additionalProperties: false },
);
type PlatformMediaSettings = Static<typeof platformSettingsSchema>;

export interface KeyWindow {
  beforeMs: number;
  afterMs: number;
}

export function keyWindowOf(platformSettings: Record<string, unknown> | undefined): KeyWindow {
  const own = (platformSettings?.[MODULE_NAME] ?? {}) as PlatformMediaSettings;
  return { beforeMs: (own.keyOpensMinutesBefore ?? 60) * 60_000, afterMs: (own.keyClosesMinutesAfter ?? 240) * 60_000 };
}
