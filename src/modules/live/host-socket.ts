// The host's socket: GET /admin/platforms/:platform/live/rooms/:roomId/ws, authenticated once at the
// upgrade like any admin request (admin session or secret API key; a principal with the host role must
// be on the room's staff, access.ts). Over it a host says things, pins cards, starts a flash sale's
// countdown and moderates, one frame at a time in order, with no HTTP request (and no sign-in lookup)
// per message, which keeps a host's messages flowing on a node busy with a chat flood. What the host
// says goes to every viewer in the critical lane, which is never dropped or shed. Protocol: host-frames.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ModuleContext, Platform } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { isHttpProblem } from '../../kernel/http/problem.ts';
import { actorIdOf, platformOf, principalOf } from '../../kernel/http/tenancy.ts';
import { pinCard, unpinCard } from './commerce/cards.ts';
import { FrameRate, slowDownMessage } from './frame-rate.ts';
import { errorFrame, type ErrorCode } from './frames.ts';
import { parseHostFrame, type HostFrame } from './host-frames.ts';
import { act, actingServices } from './moderation-socket.ts';
import { RoomParams } from './schemas.ts';
import type { LiveRuntime } from './runtime.ts';
import { staffOf } from './staff.ts';

const CLOSE_POLICY = 1008;
const CLOSE_NO_ROOM = 4404;
const CLOSE_READ_ONLY = 4403;

/** HTTP problems of the shared services → error frame codes (anything else 4xx: bad_frame). */
const FRAME_CODES: Record<number, ErrorCode> = { 404: 'not_found', 409: 'room_not_live', 403: 'not_host' };

class HostSession {
  private inbox: Promise<void> = Promise.resolve();
  private readonly rate = new FrameRate();
  /** Says, pins and flash sales: a platform admin, or a principal with the host role who is the room's host or co-host. */
  private canHost = false;
  private ready = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ModuleContext,
    private readonly runtime: LiveRuntime,
    private readonly platform: Platform,
    private readonly pdb: PlatformDb,
    private readonly roomId: string,
    private readonly actor: { id: string; label: string; hostRole: boolean },
  ) {}

  open(): void {
    this.socket.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    this.inbox = this.join().catch((error: unknown) => {
      this.ctx.log.warn({ err: error, roomId: this.roomId }, 'live host socket could not open');
      this.socket.close(1011, 'internal error');
    });
  }

  private async join(): Promise<void> {
    const channel = await this.runtime.hub.channel(this.platform.id, this.roomId);
    if (!channel) {
      this.send(errorFrame('room_not_found', `There is no live room ${this.roomId} here.`));
      return this.socket.close(CLOSE_NO_ROOM, 'room_not_found');
    }
    if (this.actor.hostRole) {
      const staff = await staffOf(this.pdb, this.roomId, this.actor.id);
      this.canHost = staff?.state === 'active' && (staff.role === 'host' || staff.role === 'cohost');
    } else {
      this.canHost = true;
    }
    this.ready = true;
    this.send({ type: 'ready', room: { id: channel.room.id, state: channel.room.state }, canHost: this.canHost });
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const verdict = this.rate.hit();
    if (verdict === 'close') return this.socket.close(CLOSE_POLICY, 'too many frames');
    if (verdict === 'warn') this.send(errorFrame('slow_down', slowDownMessage));
    if (verdict !== 'ok') return;
    const frame = parseHostFrame(data, isBinary);
    this.inbox = this.inbox
      .then(() => (frame.type === 'error' ? this.send(frame) : this.handle(frame)))
      .catch((error: unknown) => {
        const ref = 'ref' in frame && frame.ref !== undefined ? frame.ref : undefined;
        if (isHttpProblem(error) && error.status < 500) return this.send(errorFrame(FRAME_CODES[error.status] ?? 'bad_frame', error.message, ref));
        this.ctx.log.warn({ err: error, roomId: this.roomId }, 'live host frame failed');
        this.send({ type: 'error', code: 'busy', message: 'That did not go through; try again.', ...(ref !== undefined ? { ref } : {}) });
      });
  }

  private async handle(frame: HostFrame): Promise<void> {
    if (!this.ready) return;
    const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
    if (frame.type === 'ping') return this.send({ type: 'pong', ...ref });
    const acting = actingServices(this.runtime)!;
    if (frame.type === 'moderate') {
      const entry = await act(acting, this.pdb, this.roomId, frame, { id: this.actor.id, platformWide: false });
      return this.send({ type: 'moderated', action: frame.action, entryId: entry.id, ...ref });
    }
    if (!this.canHost) return this.send(errorFrame('not_host', 'Only the room\'s host, a co-host or a platform admin can do that; moderators moderate.', frame.ref));
    switch (frame.type) {
      case 'say': {
        const message = await acting.live.hostMessage(this.pdb, this.roomId, frame.text, this.actor.label);
        return this.send({ type: 'ack', id: message.id, ...ref });
      }
      case 'pin':
        return this.send({ type: 'pinned', card: await pinCard(this.ctx, this.runtime.hub, this.platform, this.roomId, frame.productId), ...ref });
      case 'unpin':
        await unpinCard(this.ctx, this.runtime.hub, this.platform, this.roomId);
        return this.send({ type: 'unpinned', ...ref });
      case 'flash':
        return this.send({ type: 'flash_linked', card: await this.runtime.flash.link(this.platform, this.roomId, frame.saleId), ...ref });
    }
  }

  private send(value: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(value));
  }
}

export function openHostSocket(socket: WebSocket, request: FastifyRequest, ctx: ModuleContext, runtime: LiveRuntime): void {
  const principal = principalOf(request);
  if (principal.role === 'support') {
    socket.send(JSON.stringify(errorFrame('not_host', 'Support is read-only; the host socket acts on the room.')));
    socket.close(CLOSE_READ_ONLY, 'read-only');
    return;
  }
  const platform = platformOf(request);
  const { roomId } = request.params as { roomId: string };
  const actor = { id: actorIdOf(request), label: principal.label, hostRole: principal.role === 'host' };
  new HostSession(socket, ctx, runtime, platform, ctx.platformDb(platform.id), roomId, actor).open();
}

/** The route (in the module's scope, where the websocket plugin is registered by routes-store.ts). */
export function hostSocketRoute(app: FastifyInstance, ctx: ModuleContext, runtime: LiveRuntime): void {
  // Hidden from the OpenAPI document like the viewers' socket: it is not an HTTP operation.
  app.get('/admin/platforms/:platform/live/rooms/:roomId/ws', { websocket: true, schema: { hide: true, params: RoomParams } }, (socket, request) => openHostSocket(socket, request, ctx, runtime));
}
