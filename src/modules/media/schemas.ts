// TypeBox schemas of the media admin API.
import { Type, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const RoomParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }), roomId: Type.String({ format: 'uuid' }) });

const keyFields = {
  id: Type.String(),
  roomId: Type.String(),
  hint: Type.String({ description: 'The key\'s last four characters' }),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  opensAt: Nullable(Type.String({ description: 'From when the key can take a scheduled room live (null: the room has no schedule)' })),
  closesAt: Nullable(Type.String({ description: 'Until when it can (a room already live may always resume)' })),
};

export const StreamKey = Type.Object(keyFields, { title: 'MediaStreamKey' });

export const NewStreamKey = Type.Object(
  {
    ...keyFields,
    key: Type.String({ description: 'The stream key for OBS or ffmpeg, `<platform id>_<room id>?key=<secret>`: shown this once, only the secret\'s hash is kept' }),
    server: Type.String({ description: 'The RTMP server (OBS "Server"): SOUK_MEDIA_INGEST_URL' }),
    publishUrl: Type.String({ description: 'Both in one URL, for ffmpeg: <server>/<key>' }),
  },
  { title: 'MediaNewStreamKey' },
);

export const PublishLog = Type.Object(
  {
    sessions: Type.Array(
      Type.Object({
        id: Type.String(),
        addr: Type.String(),
        startedAt: Type.String(),
        endedAt: Nullable(Type.String()),
        endReason: Nullable(Type.String()),
        recorded: Type.Boolean({ description: 'The media server handed over a recording of the session' }),
      }),
    ),
    refusals: Type.Array(Type.Object({ id: Type.String(), reason: Type.String(), addr: Type.String(), at: Type.String() })),
  },
  { title: 'MediaPublishLog' },
);

export const ProductParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }), productId: Type.String({ format: 'uuid' }) });
export const VideoParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 200 }), videoId: Type.String({ format: 'uuid' }) });

export const Video = Type.Object(
  {
    id: Type.String(),
    productId: Type.String(),
    state: Type.Union([Type.Literal('queued'), Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')], { description: 'queued → processing → ready | failed' }),
    progress: Type.Integer({ minimum: 0, maximum: 100 }),
    error: Nullable(Type.String({ description: 'Why the transcode failed (ffmpeg\'s words); the product kept what it had' })),
    fileName: Type.String(),
    contentType: Type.String(),
    sizeBytes: Type.Integer(),
    durationMs: Nullable(Type.Integer()),
    width: Nullable(Type.Integer()),
    height: Nullable(Type.Integer()),
    createdAt: Type.String(),
    finishedAt: Nullable(Type.String()),
  },
  { title: 'MediaProductVideo' },
);
export const VideoList = Type.Object({ items: Type.Array(Video) });
