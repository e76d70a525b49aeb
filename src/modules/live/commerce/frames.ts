// The commerce frames of the room socket (the rest of the protocol is ../frames.ts):
//   { type: "gift", giftId, count?, key, ref? }  → { type: "gift_ack", ref?, key, entryId, coins, balance, replayed }
//                                                   and { type: "gift", from, name, count, coins, … } to the room
//   { type: "card_click", ref? }                 counts a click on the pinned product card (room numbers)
//   { type: "custom", name, data, ref? }         a platform-defined message (custom-types.ts): validated, then
//                                                   { type: "custom", name, data, from, at } to the room (low lane)
// Refusals are error frames with the codes below (and the chat protocol's login_required, room_not_live).
// This file names no other live file, so ../frames.ts can include it without a loop.
const MAX_KEY = 200;
const MAX_GIFTS_PER_FRAME = 999;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CommerceErrorCode = 'insufficient_coins' | 'gift_not_found' | 'key_reused' | 'risk_denied' | 'challenge_required' | 'busy' | 'unknown_custom' | 'invalid_custom';

export type CommerceFrame = { type: 'gift'; giftId: string; count: number; key: string; ref?: string } | { type: 'card_click'; ref?: string }
  | { type: 'custom'; name: string; data: unknown; ref?: string };

type Refusal = { type: 'error'; code: 'bad_frame'; message: string; ref?: string };

const refusal = (message: string, ref: string | undefined): Refusal => ({ type: 'error', code: 'bad_frame', message, ...(ref !== undefined ? { ref } : {}) });

/** The commerce frame, its refusal, or undefined when the type is not a commerce one. */
export function parseCommerceFrame(frame: Record<string, unknown>, ref: string | undefined): CommerceFrame | Refusal | undefined {
  const withRef = ref !== undefined ? { ref } : {};
  switch (frame.type) {
    case 'gift': {
      const count = frame.count ?? 1;
      if (typeof frame.giftId !== 'string' || !UUID.test(frame.giftId)) return refusal('gift needs "giftId", the id of a gift of the catalogue.', ref);
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_GIFTS_PER_FRAME) return refusal(`gift's "count" is a whole number from 1 to ${MAX_GIFTS_PER_FRAME}.`, ref);
      if (typeof frame.key !== 'string' || frame.key.length === 0 || frame.key.length > MAX_KEY) {
        return refusal(`gift needs "key", a string of 1 to ${MAX_KEY} characters unique to this gift (a retry with the same key sends it once).`, ref);
      }
      return { type: 'gift', giftId: frame.giftId.toLowerCase(), count: count as number, key: frame.key, ...withRef };
    }
    case 'card_click':
      return { type: 'card_click', ...withRef };
    case 'custom':
      if (typeof frame.name !== 'string' || !/^[a-z][a-z0-9_]{0,49}$/.test(frame.name)) return refusal('custom needs "name", the name of a message type the platform defined.', ref);
      if (frame.data === undefined) return refusal('custom needs "data".', ref);
      return { type: 'custom', name: frame.name, data: frame.data, ...withRef };
    default:
      return undefined;
  }
}

/** Commerce frame types, for the unknown-type message. */
export const COMMERCE_FRAME_TYPES = ['gift', 'card_click', 'custom'];
