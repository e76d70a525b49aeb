// Every problem the media module answers over HTTP, named once. Refused media-server callbacks are not
// problems: the media server reads only the status, and the reason is recorded (media_publish_refusals).
import { problemMaker } from '../../kernel/http/problem.ts';

export const mediaProblemCodes = [
  'media_no_stream_key',
  'media_room_ended',
  'media_not_room_host',
  'media_product_not_found',
  'media_video_not_found',
  'media_upload_not_multipart',
  'media_video_missing',
  'media_video_type',
  'media_video_too_large',
] as const;

const problem = problemMaker(mediaProblemCodes);

export const noStreamKey = (roomId: string) =>
  problem(404, 'media_no_stream_key', `Live room ${roomId} has no usable stream key; make one with POST …/stream-key.`);
export const roomEnded = (roomId: string) =>
  problem(409, 'media_room_ended', `Live room ${roomId} has ended; a stream key for it would never work. Create a new room.`);
export const notRoomHost = (roomId: string) =>
  problem(403, 'media_not_room_host', `You are not a host of live room ${roomId}; only its hosts and platform admins manage its stream key.`);

// Product videos.
export const productNotFound = (productId: string) => problem(404, 'media_product_not_found', `This platform has no product ${productId}.`);
export const videoNotFound = (videoId: string) => problem(404, 'media_video_not_found', `This platform has no product video ${videoId}.`);
export const notMultipart = () =>
  problem(415, 'media_upload_not_multipart', 'Send the video as multipart/form-data with one file part named "file".');
export const videoMissing = () => problem(400, 'media_video_missing', 'The form has no file part; send the video in a part named "file".');
export const videoType = (type: string, allowed: readonly string[]) =>
  problem(415, 'media_video_type', `A product video must be one of ${allowed.join(', ')}; this part is ${type || 'untyped'}.`, { allowed });
export const videoTooLarge = (maxBytes: number) =>
  problem(413, 'media_video_too_large', `A product video may be at most ${Math.floor(maxBytes / (1024 * 1024))} MB (SOUK_MEDIA_VIDEO_MAX_MB).`, { maxBytes });
