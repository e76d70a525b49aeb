// The commerce frames of one viewer's socket (the session itself is ../socket.ts): the session hands
// them here with what they need (the room, the signed-in customer, how to answer), and an HTTP problem
// from the shared service functions becomes an error frame on this socket only.
import type { ModuleContext, Platform } from '../../../kernel/context.ts';
import { HttpProblem } from '../../../kernel/http/problem.ts';
import type { RiskGateRequest } from '../../../kernel/risk-gate.ts';
import type { Customer } from '../../accounts/customer-service.ts';
import type { RoomHub } from '../hub/hub.ts';
import type { RoomChannel } from '../hub/room-channel.ts';
import { CARD, cardFrame, pinnedCard } from './cards.ts';
import { FLASH, flashFrame, linkedFlashCard, type FlashCard, type FlashClock } from './flash-card.ts';
import type { CommerceRuntime } from './runtime.ts';
import type { CommerceErrorCode, CommerceFrame } from './frames.ts';
import { sendGift } from './gift-send.ts';
import { shownName } from './names.ts';

export interface CommerceSession {
  roomId: string;
  roomState(): string;
  customer: Customer | null;
  reply(value: unknown): void;
  fail(code: CommerceErrorCode | 'login_required' | 'room_not_live' | 'bad_frame', message: string, ref?: string): void;
}

/** Problem codes of the HTTP API → error frame codes. */
const FRAME_CODES: Record<string, CommerceErrorCode | 'room_not_live'> = {
  live_insufficient_coins: 'insufficient_coins',
  live_gift_not_found: 'gift_not_found',
  live_key_reused: 'key_reused',
  live_room_state: 'room_not_live',
  risk_denied: 'risk_denied',
  challenge_required: 'challenge_required',
};

export class CommerceSocket {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly hub: RoomHub,
    private readonly runtime: CommerceRuntime,
    private readonly flashClock: FlashClock,
    private readonly platform: Platform,
    /** The upgrade request's address and headers, for the risk gate. */
    private readonly request: RiskGateRequest,
  ) {}

  private async custom(frame: Extract<CommerceFrame, { type: 'custom' }>, session: CommerceSession): Promise<void> {
    if (!session.customer) return session.fail('login_required', 'Sign in (an auth frame with a customer session token) to send messages.', frame.ref);
    if (session.roomState() !== 'live') return session.fail('room_not_live', 'Messages are open while the room is live.', frame.ref);
    const refused = await this.runtime.customTypes.check(this.ctx.platformDb(this.platform.id), frame.name, frame.data);
    if (refused) return session.fail(refused.code, refused.message, frame.ref);
    const message = { type: 'custom', name: frame.name, data: frame.data, from: shownName(session.customer), at: new Date().toISOString() };
    await this.hub.effect(this.platform.id, session.roomId, { kind: 'broadcast', frame: message, lane: 'low' });
    session.reply({ type: 'ack', ...(frame.ref !== undefined ? { ref: frame.ref } : {}) });
  }

  /** Before a viewer's welcome: the room's pinned card is known on this node (read once per channel). */
  async prepare(channel: RoomChannel): Promise<void> {
    this.runtime.watch(channel);
    if (channel.kept.has(CARD)) return;
    const card = await pinnedCard(this.ctx, this.platform, channel.room.id);
    // A pin that arrived while this was reading wins.
    if (!channel.kept.has(CARD)) channel.kept.set(CARD, cardFrame(card));
    if (channel.kept.has(FLASH)) return;
    const flash = await linkedFlashCard(this.ctx, this.platform, channel.room.id);
    if (channel.kept.has(FLASH)) return;
    channel.kept.set(FLASH, flashFrame(flash));
    // This node now serves the room: it counts the linked sale down for its own viewers.
    this.flashClock.follow(this.platform.id, channel.room.id, flash);
  }

  /** What the welcome frame adds: the pinned card and the linked flash sale's card (null when none), on the server's clock now. */
  welcome(channel: RoomChannel): { card: unknown; flash: unknown } {
    const flash = (channel.kept.get(FLASH) as { card: FlashCard | null } | undefined)?.card ?? null;
    return {
      card: (channel.kept.get(CARD) as { card: unknown } | undefined)?.card ?? null,
      flash: flash && { ...flash, serverNow: new Date().toISOString() },
    };
  }

  async handle(frame: CommerceFrame, session: CommerceSession): Promise<void> {
    const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
    try {
      switch (frame.type) {
        case 'gift': {
          if (!session.customer) return session.fail('login_required', 'Sign in (an auth frame with a customer session token) to send gifts.', frame.ref);
          const sent = await sendGift(this.ctx, this.hub, this.platform, session.customer, this.request, { roomId: session.roomId, giftId: frame.giftId, count: frame.count, key: frame.key });
          return session.reply({ type: 'gift_ack', key: frame.key, ...sent, ...ref });
        }
        case 'card_click':
          this.runtime.click(this.platform.id, session.roomId);
          return;
        case 'custom':
          return this.custom(frame, session);
      }
    } catch (error) {
      if (!(error instanceof HttpProblem)) {
        this.ctx.log.warn({ err: error, roomId: session.roomId, frame: frame.type }, 'live commerce frame failed');
        return session.fail('busy', 'That did not go through; try again.', frame.ref);
      }
      // A refusal this socket has no own code for (a 503 try again) is still an answer, never a crash.
      return session.fail(FRAME_CODES[error.code] ?? 'busy', error.detail, frame.ref);
    }
  }
}
