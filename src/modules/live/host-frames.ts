// The host socket's frames (GET /admin/platforms/:platform/live/rooms/:roomId/ws, host-socket.ts): what a
// host, co-host or platform admin sends from the studio, checked like the viewers' frames (frames.ts).
//
//   { type: "ping", ref? }                       → { type: "pong", ref? }
//   { type: "say", text, ref? }                  → { type: "ack", ref?, id }; a host message to the room (critical lane)
//   { type: "pin", productId, ref? }             → { type: "pinned", ref?, card }; the card to the room (high lane)
//   { type: "unpin", ref? }                      → { type: "unpinned", ref? }
//   { type: "flash", saleId, ref? }              → { type: "flash_linked", ref?, card }; the sale's countdown card (commerce/flash-card.ts)
//   { type: "moderate", action, … }              the viewers' moderate frame (moderation-frames.ts), acted as this admin
// Refusals are error frames: bad_json, bad_frame, unknown_type, not_host, not_found, room_not_live, …
import { isUuid } from '../../kernel/ids.ts';
import { cleanText, errorFrame, frameObject, type ErrorFrame } from './frames.ts';
import { parseModerateFrame, type ModerateFrame } from './moderation-frames.ts';

const MAX_HOST_TEXT = 2000;

export type HostFrame =
  | { type: 'ping'; ref?: string }
  | { type: 'say'; text: string; ref?: string }
  | { type: 'pin'; productId: string; ref?: string }
  | { type: 'unpin'; ref?: string }
  | { type: 'flash'; saleId: string; ref?: string }
  | ModerateFrame;

const HOST_FRAME_TYPES = ['ping', 'say', 'pin', 'unpin', 'flash', 'moderate'];

/** The frame, or the error frame to answer it with. */
export function parseHostFrame(data: Buffer, isBinary: boolean): HostFrame | ErrorFrame {
  const read = frameObject(data, isBinary);
  if ('type' in read) return read;
  const { frame, ref } = read;
  const withRef = ref !== undefined ? { ref } : {};
  switch (frame.type) {
    case 'ping':
      return { type: 'ping', ...withRef };
    case 'say': {
      const text = typeof frame.text === 'string' ? cleanText(frame.text) : '';
      if (!text || [...text].length > MAX_HOST_TEXT) return errorFrame('bad_frame', `say needs "text", 1 to ${MAX_HOST_TEXT} characters.`, ref);
      return { type: 'say', text, ...withRef };
    }
    case 'pin':
      if (typeof frame.productId !== 'string' || !isUuid(frame.productId)) return errorFrame('bad_frame', 'pin needs "productId", a product id.', ref);
      return { type: 'pin', productId: frame.productId.toLowerCase(), ...withRef };
    case 'unpin':
      return { type: 'unpin', ...withRef };
    case 'flash':
      if (typeof frame.saleId !== 'string' || !isUuid(frame.saleId)) return errorFrame('bad_frame', 'flash needs "saleId", a flash sale id.', ref);
      return { type: 'flash', saleId: frame.saleId.toLowerCase(), ...withRef };
    case 'moderate': {
      const parsed = parseModerateFrame(frame, ref);
      return typeof parsed === 'string' ? errorFrame('bad_frame', parsed, ref) : parsed;
    }
    default:
      return errorFrame('unknown_type', `Unknown frame type ${JSON.stringify(frame.type)?.slice(0, 40)}; use ${HOST_FRAME_TYPES.join(', ')}.`, ref);
  }
}
