// What the live module keeps per process: the room hub, the chat writer, the posting limiter, metrics.
import type { ModuleContext } from '../../kernel/context.ts';
import type { LiveEnvSettings } from '../../kernel/module-settings.ts';
import { memoryRateLimiter, type RateLimiter } from '../../kernel/rate-limit.ts';
import { newId } from '../../kernel/ids.ts';
import { CommerceRuntime } from './commerce/runtime.ts';
import { inProcessFanout } from './hub/fanout.ts';
import { RoomHub } from './hub/hub.ts';
import { natsFanout } from './nats-fanout.ts';
import { ChatWriter, recentMessages } from './messages.ts';
import { createLiveMetrics, type LiveMetrics } from './metrics.ts';
import { restrictions } from './moderation.ts';
import { addLikes, findRoom } from './rooms.ts';

export interface LiveRuntime {
  settings: LiveEnvSettings;
  hub: RoomHub;
  writer: ChatWriter;
  /** Chat posts per customer and room (in process: a customer's sockets of one room share a node's count). */
  postLimiter: RateLimiter;
  metrics: LiveMetrics;
  /** Card clicks, peaks and pinned-card refresh (commerce/runtime.ts). */
  commerce: CommerceRuntime;
}

export function createLiveRuntime(ctx: ModuleContext): LiveRuntime {
  const writer = new ChatWriter(ctx);
  const settings = ctx.config.live;
  const onError = (error: unknown, context: Record<string, unknown>) => ctx.log.warn({ err: error, ...context }, 'live room hub error');
  const fanout =
    settings.fanout === 'nats' && ctx.config.natsUrl
      ? natsFanout(ctx.config.natsUrl, settings.subjectPrefix, (error) => onError(error, { during: 'live fan-out' }))
      : inProcessFanout;
  const hub = new RoomHub({
    async load(platformId, roomId) {
      const pdb = ctx.platformDb(platformId);
      const room = await findRoom(pdb, roomId);
      if (!room) return undefined;
      // Chat still waiting for its batch must be in the table before the room is read back from it.
      await writer.flush();
      const [messages, { mutes, kicked }] = await Promise.all([recentMessages(pdb, roomId), restrictions(pdb, roomId)]);
      return { room, messages, mutes, kicked };
    },
    persistLikes: (platformId, roomId, taps) => addLikes(ctx.platformDb(platformId), roomId, taps),
    onError,
  }, fanout, newId());
  return { settings, hub, writer, postLimiter: memoryRateLimiter(), metrics: createLiveMetrics(ctx.metrics), commerce: new CommerceRuntime(ctx) };
}

export async function stopLiveRuntime(runtime: LiveRuntime): Promise<void> {
  await runtime.hub.stop();
  await runtime.commerce.stop();
  await runtime.writer.flush();
}
