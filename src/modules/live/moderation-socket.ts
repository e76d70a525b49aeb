// The socket's side of moderation, kept out of socket.ts: the checks a post passes beyond phase 1 (bans
// are checked at join; here slow mode and the keyword filter), and moderators' `moderate` frames, which
// go through the same services as the admin API and are recorded with the customer as the actor.
import type { Customer } from '../accounts/customer-service.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isHttpProblem } from '../../kernel/http/problem.ts';
import type { ErrorCode } from './frames.ts';
import type { RoomChannel } from './hub/room-channel.ts';
import type { ModerateFrame } from './moderation-frames.ts';
import type { LiveModeration } from './moderation-service.ts';
import type { LiveRuntime } from './runtime.ts';
import type { LiveService } from './service.ts';
import type { ModerationEntry } from './schemas.ts';

/** The services a moderator's frame acts through (set when the module's routes are built). */
export interface ActingServices {
  live: LiveService;
  moderation: LiveModeration;
}

const acting = new WeakMap<LiveRuntime, ActingServices>();

/** Called once the module's services exist (index.ts); the runtime cannot name them without an import loop. */
export function setActingServices(runtime: LiveRuntime, services: ActingServices): void {
  acting.set(runtime, services);
}

export const actingServices = (runtime: LiveRuntime) => acting.get(runtime);

export type Refusal = { code: ErrorCode; message: string };

/** Slow mode, then the keyword filter: the text to post (perhaps masked), or why it is refused. */
export async function screenPost(runtime: LiveRuntime, pdb: PlatformDb, channel: RoomChannel, customerId: string, text: string): Promise<{ text: string } | Refusal> {
  const filter = await runtime.keywords.of(pdb);
  const screened = filter.screen(text);
  if (screened.blocked) return { code: 'blocked', message: 'The message has a word this platform does not allow.' };
  // Counted only for posts that go out, so a blocked attempt does not start the wait.
  const wait = await runtime.limits.slowModeWait(channel, customerId);
  if (wait > 0) return { code: 'slow_mode', message: `Slow mode: wait ${wait} s before your next message.` };
  return { text: screened.text };
}

export const isBannedHere = (channel: RoomChannel, customerId: string) => channel.guard.isBanned(customerId);

/** A moderator's frame: the reply frame for that socket (moderated, or an error). */
export async function moderateFromSocket(
  acting: ActingServices | undefined,
  pdb: PlatformDb,
  channel: RoomChannel,
  customer: Customer | null,
  frame: ModerateFrame,
): Promise<{ type: 'moderated'; action: string; entryId: string; ref?: string } | ({ type: 'error'; ref?: string } & Refusal)> {
  const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
  if (!acting || !customer || !channel.guard.isModerator(customer.id)) {
    return { type: 'error', code: 'not_moderator', message: 'Only a moderator of this room can moderate it.', ...ref };
  }
  const roomId = channel.room.id;
  const actor = { id: `customer:${customer.id}`, platformWide: false };
  try {
    const entry = await act(acting, pdb, roomId, frame, actor);
    return { type: 'moderated', action: frame.action, entryId: entry.id, ...ref };
  } catch (error) {
    if (isHttpProblem(error) && error.status < 500) return { type: 'error', code: error.status === 404 ? 'not_found' : 'bad_frame', message: error.message, ...ref };
    throw error;
  }
}

/** One moderate frame's action through the services, recorded with `actor` (a customer moderator, or a host's socket). */
export function act(acting: ActingServices, pdb: PlatformDb, roomId: string, frame: ModerateFrame, actor: { id: string; platformWide: boolean }): Promise<ModerationEntry> {
  const { live, moderation } = acting;
  const customerId = frame.customerId!;
  const reason = frame.reason !== undefined ? { reason: frame.reason } : {};
  const minutes = frame.minutes !== undefined ? { minutes: frame.minutes } : {};
  switch (frame.action) {
    case 'mute':
      return live.mute(pdb, roomId, { customerId, ...minutes, ...reason }, actor.id);
    case 'unmute':
      return live.unmute(pdb, roomId, customerId, actor.id);
    case 'kick':
      return live.kick(pdb, roomId, { customerId, ...reason }, actor.id);
    case 'ban':
      return moderation.ban(pdb, roomId, { customerId, ...minutes, ...reason, scope: 'room' }, actor);
    case 'unban':
      return moderation.unban(pdb, roomId, customerId, 'room', actor);
    case 'delete':
      return live.deleteMessage(pdb, roomId, frame.messageId!, actor.id);
    case 'slow_mode':
      return moderation.slowMode(pdb, roomId, frame.seconds!, actor);
  }
}
