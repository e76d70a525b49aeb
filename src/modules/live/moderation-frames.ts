// The `moderate` frame: a room's moderator (a customer the host made one) acts from the socket it chats
// on, with the same actions and limits as the admin API (routes-moderation.ts).
//
//   { type: "moderate", action: "mute", customerId, minutes?, reason?, ref? }
//   { type: "moderate", action: "unmute" | "kick" | "unban", customerId, ref? }
//   { type: "moderate", action: "ban", customerId, minutes?, reason?, ref? }   (this room only)
//   { type: "moderate", action: "delete", messageId, ref? }
//   { type: "moderate", action: "slow_mode", seconds (0–3600), ref? }
// → { type: "moderated", action, ref?, entryId } to the moderator; the effect to the room; or an error
// frame (not_moderator, not_found, bad_frame).
import { isUuid } from '../../kernel/ids.ts';

const ACTIONS = ['mute', 'unmute', 'kick', 'ban', 'unban', 'delete', 'slow_mode'] as const;
export type ModerateAction = (typeof ACTIONS)[number];

export interface ModerateFrame {
  type: 'moderate';
  action: ModerateAction;
  ref?: string;
  customerId?: string;
  messageId?: string;
  minutes?: number;
  seconds?: number;
  reason?: string;
}

const MAX_MINUTES = 525_600;
const MAX_SLOW_MODE_SECONDS = 3600;
const MAX_REASON = 500;

const wholeIn = (value: unknown, min: number, max: number): value is number => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/** The frame, or what is wrong with it (the caller makes it a bad_frame error). */
export function parseModerateFrame(frame: Record<string, unknown>, ref: string | undefined): ModerateFrame | string {
  const action = frame.action;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) return `moderate needs "action": one of ${ACTIONS.join(', ')}.`;
  const out: ModerateFrame = { type: 'moderate', action: action as ModerateAction, ...(ref !== undefined ? { ref } : {}) };
  if (action === 'delete') {
    if (typeof frame.messageId !== 'string' || !isUuid(frame.messageId)) return 'delete needs "messageId", a message id.';
    out.messageId = frame.messageId.toLowerCase();
    return out;
  }
  if (action === 'slow_mode') {
    if (!wholeIn(frame.seconds, 0, MAX_SLOW_MODE_SECONDS)) return `slow_mode needs "seconds", a whole number from 0 (off) to ${MAX_SLOW_MODE_SECONDS}.`;
    out.seconds = frame.seconds;
    return out;
  }
  if (typeof frame.customerId !== 'string' || !isUuid(frame.customerId)) return `${action} needs "customerId", a customer id.`;
  out.customerId = frame.customerId.toLowerCase();
  if (frame.minutes !== undefined) {
    if (!wholeIn(frame.minutes, 1, MAX_MINUTES)) return `"minutes" is a whole number from 1 to ${MAX_MINUTES}.`;
    out.minutes = frame.minutes;
  }
  if (frame.reason !== undefined) {
    if (typeof frame.reason !== 'string' || frame.reason.length > MAX_REASON) return `"reason" is a string of at most ${MAX_REASON} characters.`;
    out.reason = frame.reason;
  }
  return out;
}
