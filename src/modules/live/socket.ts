// One viewer's socket: join (welcome with the room and its last messages, or what came after `since`),
// then the client's frames one at a time. Guests watch; a customer (session token in the Authorization
// header of the upgrade, or an `auth` frame, since browsers cannot set headers on a WebSocket) may post.
// A bad frame is answered with an error frame on this socket only; a socket that floods is closed.
import { bearerToken } from '../../kernel/http/bearer.ts';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { platformOf } from '../../kernel/http/tenancy.ts';
import { customerByToken, type Customer } from '../accounts/customer-service.ts';
import { CommerceSocket, type CommerceSession } from './commerce/socket.ts';
import { FrameRate, slowDownMessage } from './frame-rate.ts';
import { cleanText, errorFrame, parseClientFrame, type ClientFrame, type ErrorCode } from './frames.ts';
import { CLOSE_KICKED } from './hub/effects.ts';
import { encodeFrame, type Lane } from './hub/lanes.ts';
import { publicMessage, type RoomChannel, type Viewer } from './hub/room-channel.ts';
import { ViewerQueue } from './hub/viewer-queue.ts';
import { newMessage } from './messages.ts';
import { authorName } from './names.ts';

export { authorName } from './names.ts';
import { countQueue } from './metrics.ts';
import type { LiveRuntime } from './runtime.ts';
import { actingServices, isBannedHere, moderateFromSocket, screenPost } from './moderation-socket.ts';
import { roomPolicy, type RoomPolicy } from './settings.ts';

export const CLOSE_POLICY = 1008;
export const CLOSE_NO_ROOM = 4404;
export const CLOSE_BAD_TOKEN = 4401;

export interface SocketQuery {
  since?: string;
}

class ViewerSession {
  private customer: Customer | null = null;
  private channel: RoomChannel | undefined;
  private viewer: Viewer | undefined;
  private inbox: Promise<void> = Promise.resolve();
  private readonly rate = new FrameRate();
  private alive = true;
  private stopHeartbeat: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly platform: Platform,
    private readonly pdb: PlatformDb,
    private readonly runtime: LiveRuntime,
    private readonly policy: RoomPolicy,
    private readonly log: FastifyBaseLogger,
    private readonly commerce: CommerceSocket,
  ) {}

  /** Joins the room; frames that arrive meanwhile wait in the inbox and are handled after the welcome. */
  open(roomId: string, query: SocketQuery, token: string | undefined): void {
    this.socket.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    this.socket.on('close', () => this.closed());
    this.socket.on('pong', () => {
      this.alive = true;
    });
    this.runtime.metrics.connections.inc();
    this.inbox = this.join(roomId, query, token).catch((error: unknown) => {
      // Frames queued behind a failed join find no channel and are ignored; the client reconnects.
      this.log.warn({ err: error, roomId }, 'live viewer could not join');
      this.socket.close(1011, 'internal error');
    });
  }

  private async join(roomId: string, query: SocketQuery, token: string | undefined): Promise<void> {
    if (token !== undefined) {
      this.customer = (await customerByToken(this.pdb, token)) ?? null;
      if (!this.customer) return this.refuse('bad_token', 'The session token is not valid on this platform; sign in again or connect as a guest.', CLOSE_BAD_TOKEN);
    }
    const channel = await this.runtime.hub.channel(this.platform.id, roomId);
    if (!channel) return this.refuse('room_not_found', `There is no live room ${roomId} here.`, CLOSE_NO_ROOM);
    if (this.customer && channel.kicked.has(this.customer.id)) return this.refuse('kicked', 'You were removed from this room.', CLOSE_KICKED);
    if (this.customer && isBannedHere(channel, this.customer.id)) return this.refuse('banned', 'You are banned from this room.', CLOSE_KICKED);
    await this.commerce.prepare(channel);
    if (this.socket.readyState !== this.socket.OPEN) return;
    const queue = new ViewerQueue(this.socket, { limit: this.runtime.settings.sendQueue, highWaterBytes: this.runtime.settings.highWaterBytes, capPerSecond: this.policy.deliveryCapPerSecond }, countQueue(this.runtime.metrics));
    const viewer: Viewer = {
      queue,
      customerId: this.customer?.id ?? null,
      close: (code, reason) => this.socket.close(code, reason),
    };
    // The welcome and the join happen in one turn of the event loop, so no message falls between them.
    const resumed = query.since !== undefined ? channel.after(query.since, 500) : undefined;
    const messages = resumed ?? channel.last(this.policy.historyOnJoin);
    queue.send(
      encodeFrame({
        type: 'welcome',
        room: { id: channel.room.id, title: channel.room.title, state: channel.room.state, coverUrl: channel.room.coverUrl, hosts: channel.room.hosts, productIds: channel.room.productIds },
        counts: { likes: channel.room.likes, viewers: channel.totalViewers() + 1 },
        you: this.you(channel),
        // since given and found: everything after it (resumed: true); otherwise the latest messages.
        resumed: resumed !== undefined,
        messages: messages.map(publicMessage),
        ...this.commerce.welcome(channel),
      }),
      'critical',
    );
    channel.join(viewer);
    this.channel = channel;
    this.viewer = viewer;
    this.stopHeartbeat = this.runtime.hub.onHeartbeat(() => this.heartbeat());
  }

  private you(channel: RoomChannel) {
    return this.customer
      ? { customerId: this.customer.id, name: authorName(this.customer), canPost: channel.room.state === 'live' && !channel.isMuted(this.customer.id) }
      : { customerId: null, name: null, canPost: false };
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const verdict = this.rate.hit();
    if (verdict === 'close') return this.socket.close(CLOSE_POLICY, 'too many frames');
    if (verdict === 'warn') this.fail('slow_down', slowDownMessage);
    if (verdict !== 'ok') return;
    const frame = parseClientFrame(data, isBinary);
    // A lagging node, or a room whose fan-out is behind, refuses chat unread (no rate limit, filter, write
    // or fan-out), so host, system, gift and purchase frames, which are never shed, keep the loop's time
    // (hub/lag.ts, RoomChannel.backlogMs).
    if ((frame.type === 'post' || frame.type === 'custom') && this.runtime.load.overloaded(this.channel?.backlogMs())) return this.shed(frame.type, frame.ref);
    // One frame at a time, in order, after the join.
    this.inbox = this.inbox
      .then(() => (frame.type === 'error' ? this.reply(frame) : this.handle(frame)))
      .catch(() => {});
  }

  private async handle(frame: ClientFrame): Promise<void> {
    if (!this.channel) return;
    switch (frame.type) {
      case 'ping':
        return this.reply({ type: 'pong', ...(frame.ref !== undefined ? { ref: frame.ref } : {}) });
      case 'like':
        this.channel.addLikes(frame.count);
        return;
      case 'auth':
        return this.authenticate(frame.token);
      case 'post':
        return this.post(frame.text, frame.ref);
      case 'gift':
      case 'card_click':
      case 'custom':
        return this.commerce.handle(frame, this.commerceSession());
      case 'moderate':
        return this.reply(await moderateFromSocket(actingServices(this.runtime), this.pdb, this.channel, this.customer, frame));
    }
  }

  /** What commerce frames (commerce/socket.ts) need of this session. */
  private commerceSession(): CommerceSession {
    const channel = this.channel!;
    return { roomId: channel.room.id, roomState: () => channel.room.state, customer: this.customer, reply: (value) => this.reply(value), fail: (code, message, ref) => this.fail(code, message, ref) };
  }

  private async authenticate(token: string): Promise<void> {
    const customer = await customerByToken(this.pdb, token);
    if (!customer) return this.fail('bad_token', 'The session token is not valid on this platform.');
    if (this.channel!.kicked.has(customer.id)) return this.refuse('kicked', 'You were removed from this room.', CLOSE_KICKED);
    if (isBannedHere(this.channel!, customer.id)) return this.refuse('banned', 'You are banned from this room.', CLOSE_KICKED);
    this.customer = customer;
    this.viewer!.customerId = customer.id;
    this.reply({ type: 'auth', you: this.you(this.channel!) });
  }

  private async post(raw: string, ref: string | undefined): Promise<void> {
    const channel = this.channel!;
    const customer = this.customer;
    if (!customer) return this.fail('login_required', 'Guests watch read-only: send an auth frame with a customer session token to post.', ref);
    const text = cleanText(raw);
    if (!text) return this.fail('bad_frame', 'The message is empty.', ref);
    if ([...text].length > this.policy.maxMessageLength) return this.fail('too_long', `Messages are at most ${this.policy.maxMessageLength} characters.`, ref);
    if (channel.room.state !== 'live') return this.fail('room_not_live', `The room is ${channel.room.state}; chat is open while it is live.`, ref);
    if (channel.isMuted(customer.id)) return this.fail('muted', 'A moderator muted you in this room.', ref);
    const wait = await this.runtime.limits.posts.hit(`${this.platform.id}:${channel.room.id}:${customer.id}`, this.policy.postsPerWindow, this.policy.postWindowMs / 1000);
    if (wait > 0) return this.fail('rate_limited', `Too many messages; wait ${wait} s.`, ref);
    const screened = await screenPost(this.runtime, this.pdb, channel, customer.id, text);
    if ('code' in screened) return this.fail(screened.code, screened.message, ref);
    const message = newMessage('chat', authorName(customer), screened.text, customer.id);
    this.runtime.writer.add(this.platform.id, channel.room.id, message);
    this.reply({ type: 'ack', id: message.id, ...(ref !== undefined ? { ref } : {}) });
    await this.runtime.hub.effect(this.platform.id, channel.room.id, { kind: 'message', message });
  }

  /** A frame for this socket only, never dropped. */
  private reply(value: unknown, lane: Lane = 'critical'): void {
    if (this.viewer) this.viewer.queue.send(encodeFrame(value), lane);
    else if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(value));
  }

  private fail(code: ErrorCode, message: string, ref?: string): void {
    this.runtime.metrics.refused.inc({ code });
    this.reply(errorFrame(code, message, ref));
  }

  /** A chat frame refused under load: counted, and the poster told to try again (high lane: not sampled away). */
  private shed(type: 'post' | 'custom', ref: string | undefined): void {
    this.runtime.metrics.shed.inc({ type });
    this.reply(errorFrame('busy', 'The room is very busy; your message was not sent. Try again in a moment.', ref), 'high');
  }

  private refuse(code: ErrorCode, message: string, closeCode: number): void {
    this.fail(code, message);
    this.socket.close(closeCode, code);
  }

  private heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  private closed(): void {
    this.runtime.metrics.connections.dec();
    this.stopHeartbeat?.();
    if (this.viewer) {
      this.viewer.queue.close();
      this.channel?.leave(this.viewer);
    }
  }
}

export function openViewerSocket(socket: WebSocket, request: FastifyRequest, ctx: ModuleContext, runtime: LiveRuntime): void {
  const platform = platformOf(request);
  const { roomId } = request.params as { roomId: string };
  const commerce = new CommerceSocket(ctx, runtime.hub, runtime.commerce, runtime.flash, platform, { ip: request.ip, headers: request.headers });
  const session = new ViewerSession(socket, platform, ctx.platformDb(platform.id), runtime, roomPolicy(platform.settings), request.log, commerce);
  session.open(roomId, request.query as SocketQuery, bearerToken(request));
}
