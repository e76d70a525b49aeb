// Priority lanes of a viewer's send queue. A slow viewer loses chat first, then high-priority frames;
// critical frames (system, host, moderation, the answers to its own requests) are never dropped.
export type Lane = 'critical' | 'high' | 'low';

/** A frame encoded once for every viewer of a room (JSON text as bytes, sent as a text frame). */
export type Frame = Buffer;

export function encodeFrame(value: unknown): Frame {
  return Buffer.from(JSON.stringify(value));
}
