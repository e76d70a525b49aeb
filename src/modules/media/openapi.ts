// Operation ids, descriptions and problem codes of the media admin routes. The media server's callbacks
// (/media/rtmp/…) are hidden from the document: only nginx-rtmp calls them (routes-callbacks.ts).
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';
import { VideoUploadBody } from './schemas.ts';

const room = '/admin/platforms/{platform}/live/rooms/{roomId}';
const KEY = { 403: ['media_not_room_host'], 404: ['live_room_not_found', 'media_no_stream_key'] } as const;

export const mediaDocs: OperationDocs = {
  [`POST ${room}/stream-key`]: {
    operationId: 'createLiveStreamKey',
    description:
      'Makes the room\'s publish key and answers it with the RTMP URL to push to; only its hash is kept, so this is the one time it is shown. ' +
      'A room has one usable key: a new one revokes the old (rotation). A scheduled room\'s key takes it live only around its schedule (settings.media).',
    problems: { 403: ['media_not_room_host'], 404: ['live_room_not_found'], 409: ['media_room_ended'] },
  },
  [`GET ${room}/stream-key`]: { operationId: 'getLiveStreamKey', description: 'The usable key\'s id, last four characters and window; never the key.', problems: KEY },
  [`DELETE ${room}/stream-key`]: { operationId: 'revokeLiveStreamKey', description: 'Revokes the usable key: the media server is refused publishes with it from now on (a stream already running goes on).', problems: KEY },
  [`GET ${room}/publishes`]: {
    operationId: 'listLivePublishes',
    description: 'The room\'s stream sessions (when each started and stopped, whether a recording came) and the publishes refused for it (wrong window, ended room, a second publisher), newest first.',
    problems: { 403: ['media_not_room_host'], 404: ['live_room_not_found'] },
  },
  'POST /admin/platforms/{platform}/products/{productId}/videos': {
    operationId: 'uploadProductVideo',
    description:
      'Uploads a product video as multipart/form-data (one part named "file": MP4, QuickTime, WebM or Matroska, at most SOUK_MEDIA_VIDEO_MAX_MB). ' +
      'Answers 202 with the queued job; a worker transcodes it with ffmpeg (H.264 MP4, HLS at one or two sizes, a poster) and attaches it to the product, ' +
      'which the storefront then shows as `video`. A failed transcode leaves the product as it was. The same Idempotency-Key for the same product answers the first upload (200) and queues nothing.',
    problems: { 400: ['media_video_missing'], 404: ['media_product_not_found'], 413: ['media_video_too_large'], 415: ['media_upload_not_multipart', 'media_video_type'] },
    requestBody: VideoUploadBody,
  },
  'GET /admin/platforms/{platform}/products/{productId}/videos': { operationId: 'listProductVideos', description: 'The product\'s uploads and their jobs (state, progress, error), newest first (50).' },
  'GET /admin/platforms/{platform}/media/videos/{videoId}': {
    operationId: 'getProductVideo',
    description: 'One upload\'s job: queued, processing (with progress 0-100), ready, or failed with ffmpeg\'s reason.',
    problems: { 404: ['media_video_not_found'] },
  },
};
