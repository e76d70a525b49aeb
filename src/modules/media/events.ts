// The media module's events. A live stream that stopped schedules media.stream_gone after the grace period;
// when it fires and no new stream came for the room, the room ends.
export const EVENT_STREAM_GONE = 'media.stream_gone';

export interface StreamGonePayload {
  roomId: string;
  sessionId: string;
}

// A product video uploaded (its transcode job queued), then ready (attached to the product) or failed.
export const EVENT_VIDEO_UPLOADED = 'media.video_uploaded';
export const EVENT_VIDEO_READY = 'media.video_ready';
export const EVENT_VIDEO_FAILED = 'media.video_failed';

export interface VideoPayload {
  videoId: string;
  productId: string;
}

export interface VideoFailedPayload extends VideoPayload {
  error: string;
}

export interface MediaEvents {
  [EVENT_STREAM_GONE]: StreamGonePayload;
  [EVENT_VIDEO_UPLOADED]: VideoPayload;
  [EVENT_VIDEO_READY]: VideoPayload;
  [EVENT_VIDEO_FAILED]: VideoFailedPayload;
}
