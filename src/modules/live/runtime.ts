// What the live module keeps per process: the room hub, the chat writer, the posting limiter, metrics.
import type { ModuleContext } from '../../kernel/context.ts';
import type { LiveEnvSettings } from '../../kernel/module-settings.ts';
import { closeRedis, createRedis, type RedisClient } from '../../kernel/redis.ts';
import { newId } from '../../kernel/ids.ts';
import { CommerceRuntime } from './commerce/runtime.ts';
import { FLASH, FlashClock, type FlashCard } from './commerce/flash-card.ts';
import { NoticeAnnouncer } from './commerce/notices.ts';
import { ReplayCache } from './replay.ts';
import { inProcessFanout } from './hub/fanout.ts';
import { RoomHub } from './hub/hub.ts';
import { LagMonitor } from './hub/lag.ts';
import { natsFanout } from './nats-fanout.ts';
import { ChatWriter, recentMessages } from './messages.ts';
import { createLiveMetrics, type LiveMetrics } from './metrics.ts';
import { bansOf } from './bans.ts';
import { HISTORY_WINDOW_MS, jetStreamHistory, mergeHistory, type RoomHistory } from './history.ts';
import { KeywordCache } from './keywords.ts';
import { restrictions } from './moderation.ts';
import { customerModerators } from './staff.ts';
import { addLikes, findRoom } from './rooms.ts';
import { memoryChatLimits, redisChatLimits, type ChatLimits } from './limits.ts';

export interface LiveRuntime {
  settings: LiveEnvSettings;
  hub: RoomHub;
  writer: ChatWriter;
  /** Chat posts per customer and room, and slow mode: through Redis with REDIS_URL, else per process (limits.ts). */
  limits: ChatLimits;
  /** The Redis connection of the limits, when REDIS_URL is set. */
  redis?: RedisClient;
  metrics: LiveMetrics;
  /** Card clicks, peaks and pinned-card refresh (commerce/runtime.ts). */
  commerce: CommerceRuntime;
  /** Each platform's compiled keyword filter (keywords.ts). */
  keywords: KeywordCache;
  /** Room history in JetStream, with NATS (history.ts). */
  history?: RoomHistory;
  /** This node's event-loop lag: above SOUK_LIVE_SHED_LAG_MS viewers' chat frames are shed (hub/lag.ts). */
  load: LagMonitor;
  /** Flash sales linked to rooms from this node: their countdowns and stock cards (commerce/flash-card.ts). */
  flash: FlashClock;
  /** Purchase notices sent after their consumer's transaction committed, once (commerce/notices.ts). */
  notices: NoticeAnnouncer;
  /** Ended rooms' replays merged from the stream and the table, for a minute (replay.ts). */
  replays: ReplayCache;
}

export function createLiveRuntime(ctx: ModuleContext): LiveRuntime {
  const writer = new ChatWriter(ctx);
  const metrics = createLiveMetrics(ctx.metrics);
  const settings = ctx.config.live;
  const onError = (error: unknown, context: Record<string, unknown>) => ctx.log.warn({ err: error, ...context }, 'live room hub error');
  const history =
    settings.fanout === 'nats' && ctx.config.natsUrl
      ? jetStreamHistory(ctx.config.natsUrl, settings.subjectPrefix, (error) => onError(error, { during: 'live history' }))
      : undefined;
  const fanout =
    settings.fanout === 'nats' && ctx.config.natsUrl
      ? natsFanout(ctx.config.natsUrl, settings.subjectPrefix, (error) => onError(error, { during: 'live fan-out' }))
      : inProcessFanout;
  // The flash clock needs the hub and the hub tells it of other nodes' cards: bound once both exist.
  const late: { flash?: FlashClock } = {};
  const hub = new RoomHub({
    async load(platformId, roomId) {
      const pdb = ctx.platformDb(platformId);
      const room = await findRoom(pdb, roomId);
      if (!room) return undefined;
      // Chat still waiting for its batch must be in the table before the room is read back from it.
      await writer.flush();
      const [messages, { mutes, kicked }, bans, moderators, slow] = await Promise.all([
        recentMessages(pdb, roomId),
        restrictions(pdb, roomId),
        bansOf(pdb, roomId),
        customerModerators(pdb, roomId),
        pdb.maybeOne<{ s: number }>('select slow_mode_seconds as s from live_rooms where platform_id = $1 and id = $2', [roomId]),
      ]);
      // The stream has what a killed node said but never wrote; a stream that does not answer costs only that.
      const streamed = history ? await history.since(platformId, roomId, Date.now() - HISTORY_WINDOW_MS).catch((error: unknown) => (onError(error, { during: 'live history read' }), [])) : [];
      return { room, messages: mergeHistory(messages, streamed), mutes, kicked, guard: { roomBans: bans.room, platformBans: bans.platform, moderators, slowModeSeconds: slow?.s ?? 0 } };
    },
    persistLikes: (platformId, roomId, taps) => addLikes(ctx.platformDb(platformId), roomId, taps),
    onError,
    record(platformId, roomId, effect) {
      if (effect.kind === 'message') history?.append(platformId, roomId, { type: 'message', message: effect.message });
      else if (effect.kind === 'deleted') history?.append(platformId, roomId, { type: 'deleted', messageId: effect.messageId });
    },
    observeFanout: (path, seconds) => metrics.fanoutSeconds.observe({ path }, seconds),
    onRemoteKept(platformId, roomId, effect) {
      if (effect.keep === FLASH) late.flash?.follow(platformId, roomId, (effect.frame as { card: FlashCard | null }).card);
    },
  }, fanout, newId());
  const flash = (late.flash = new FlashClock(ctx, hub));
  metrics.watchQueues(() => hub.queueDepths());
  const redis = ctx.config.redisUrl ? createRedis(ctx.config, { onError: (error) => onError(error, { during: 'live redis' }) }) : undefined;
  return {
    settings,
    hub,
    writer,
    limits: redis ? redisChatLimits(redis, ctx.config.redisKeyPrefix) : memoryChatLimits(),
    ...(redis ? { redis } : {}),
    metrics,
    commerce: new CommerceRuntime(ctx),
    keywords: new KeywordCache(),
    load: new LagMonitor(settings.shedLagMs),
    flash,
    notices: new NoticeAnnouncer(ctx, hub),
    replays: new ReplayCache(),
    ...(history ? { history } : {}),
  };
}

export async function stopLiveRuntime(runtime: LiveRuntime): Promise<void> {
  runtime.load.stop();
  runtime.flash.stop();
  runtime.notices.stop();
  await runtime.hub.stop();
  await runtime.commerce.stop();
  await runtime.writer.flush();
  await runtime.history?.stop();
  if (runtime.redis) await closeRedis(runtime.redis);
}
