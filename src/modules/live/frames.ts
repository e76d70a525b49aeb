// The socket protocol's client frames, parsed and checked. Anything a client can get wrong becomes an
// error frame for that socket only ({ type: "error", code, message, ref? }); the server never throws on
// input.
//
// Client → server (JSON text frames):
//   { type: "ping", ref? }               → { type: "pong", ref? }
//   { type: "auth", token }              → { type: "auth", customer } (a customer's session token)
//   { type: "post", text, ref? }         → { type: "ack", ref?, id } and the message to everyone
//   { type: "like", count? }             taps (1–100 per frame); everyone gets "counts" at most once a second
//   { type: "moderate", action, … }      a room moderator's action (moderation-frames.ts)
// Server → client: welcome, message, deleted, state, counts, missed, pong, ack, auth, error.
// Commerce frames (gift, …) are parsed in commerce/frames.ts.
import { COMMERCE_FRAME_TYPES, parseCommerceFrame, type CommerceErrorCode, type CommerceFrame } from './commerce/frames.ts';
import { parseModerateFrame, type ModerateFrame } from './moderation-frames.ts';

export const MAX_FRAME_BYTES = 16 * 1024;
const MAX_REF = 64;
const MAX_TAPS_PER_FRAME = 100;

export type ClientFrame =
  | { type: 'ping'; ref?: string }
  | { type: 'auth'; token: string }
  | { type: 'post'; text: string; ref?: string }
  | { type: 'like'; count: number }
  | CommerceFrame
  | ModerateFrame;

export type ErrorCode =
  | 'bad_json'
  | 'bad_frame'
  | 'unknown_type'
  | 'login_required'
  | 'bad_token'
  | 'room_not_live'
  | 'muted'
  | 'too_long'
  | 'rate_limited'
  | 'slow_down'
  | 'room_not_found'
  | 'kicked'
  | CommerceErrorCode
  | 'banned'
  | 'slow_mode'
  | 'blocked'
  | 'not_moderator'
  | 'not_host'
  | 'not_found';

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: string;
}

export const errorFrame = (code: ErrorCode, message: string, ref?: string): ErrorFrame => ({ type: 'error', code, message, ...(ref !== undefined ? { ref } : {}) });

const refOf = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= MAX_REF ? value : undefined);

/** A text frame's JSON object with its ref (a string of at most 64 characters, else none), or the error frame to answer it with. */
export function frameObject(data: Buffer, isBinary: boolean): { frame: Record<string, unknown>; ref: string | undefined } | ErrorFrame {
  if (isBinary) return errorFrame('bad_frame', 'Frames are JSON text, not binary.');
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return errorFrame('bad_json', 'The frame is not JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return errorFrame('bad_frame', 'A frame is a JSON object with a "type".');
  const frame = value as Record<string, unknown>;
  return { frame, ref: refOf(frame.ref) };
}

/** The frame, or the error frame to answer it with. */
export function parseClientFrame(data: Buffer, isBinary: boolean): ClientFrame | ErrorFrame {
  const read = frameObject(data, isBinary);
  if ('type' in read) return read;
  const { frame, ref } = read;
  switch (frame.type) {
    case 'ping':
      return { type: 'ping', ...(ref !== undefined ? { ref } : {}) };
    case 'auth':
      if (typeof frame.token !== 'string' || frame.token.length === 0 || frame.token.length > 500) {
        return errorFrame('bad_frame', 'auth needs "token": the customer\'s session token.', ref);
      }
      return { type: 'auth', token: frame.token };
    case 'post':
      if (typeof frame.text !== 'string') return errorFrame('bad_frame', 'post needs "text", a string.', ref);
      return { type: 'post', text: frame.text, ...(ref !== undefined ? { ref } : {}) };
    case 'like': {
      const count = frame.count ?? 1;
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_TAPS_PER_FRAME) {
        return errorFrame('bad_frame', `like's "count" is a whole number from 1 to ${MAX_TAPS_PER_FRAME}.`, ref);
      }
      return { type: 'like', count: count as number };
    }
    case 'moderate': {
      const parsed = parseModerateFrame(frame, ref);
      return typeof parsed === 'string' ? errorFrame('bad_frame', parsed, ref) : parsed;
    }
    default:
      return parseCommerceFrame(frame, ref) ?? errorFrame('unknown_type', `Unknown frame type ${JSON.stringify(frame.type)?.slice(0, 40)}; use ping, auth, post, like, moderate or ${COMMERCE_FRAME_TYPES.join(', ')}.`, ref);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Chat text as stored: trimmed, control characters (other than newlines) removed, and lone surrogates
 * (valid in JSON, not in the database's UTF-8) replaced, so a batch of chat can never fail to be written.
 */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').replace(LONE_SURROGATE, '\ufffd').trim();
}
