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

/** The types a product video upload may have (the file part's Content-Type). */
export const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm', 'video/x-matroska'] as const;

/**
 * The upload's body as the API document shows it: the handler reads the multipart stream itself (limits
 * before storage), so Fastify has no body schema to validate and document. `format: binary` makes the
 * SDK's type for the part a Blob (scripts/sdk-types.ts).
 */
export const VideoUploadBody = {
  required: true,
  description:
    `multipart/form-data with one file part named "file": the clip, sent with its Content-Type (${VIDEO_TYPES.join(', ')}) and at most ` +
    'SOUK_MEDIA_VIDEO_MAX_MB megabytes (200 by default). A longer declared Content-Length is refused (413 media_video_too_large) before the ' +
    'body is read, another type (415 media_video_type) before a byte is stored, and a body that runs over the limit is cut off and deleted.',
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          file: { type: 'string', format: 'binary', description: `The video file; its part's Content-Type is one of ${VIDEO_TYPES.join(', ')}` },
        },
      },
      encoding: { file: { contentType: VIDEO_TYPES.join(', ') } },
    },
  },
} as const;
