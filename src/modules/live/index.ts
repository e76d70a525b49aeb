// The live module: live-commerce rooms. A platform admin creates a room and starts it; viewers join over
// a WebSocket on the same server (guests watch, customers chat and like); moderators mute, kick and
// delete. In process, a room hub fans every message out through per-viewer queues with priority lanes
// (hub/), so a slow viewer loses chat, never system, host or moderation frames, and never slows the room.
import type { SoukModule } from '../../kernel/context.ts';
import { registerPaymentPayee } from '../payments/service.ts';
import { liveCommerceDocs } from './commerce/openapi.ts';
import { subscribePurchaseNotices } from './commerce/notices.ts';
import { commerceRoutes } from './commerce/routes.ts';
import { LIVE_COINS, topUpPayee } from './commerce/topups.ts';
import { liveDocs } from './openapi.ts';
import { installHostAccess } from './access.ts';
import { hostSocketRoute } from './host-socket.ts';
import { LiveModeration } from './moderation-service.ts';
import { setActingServices } from './moderation-socket.ts';
import { adminRoutes } from './routes-admin.ts';
import { moderationRoutes } from './routes-moderation.ts';
import { storeRoutes } from './routes-store.ts';
import { createLiveRuntime, stopLiveRuntime, type LiveRuntime } from './runtime.ts';
import { LiveService } from './service.ts';
import { MODULE_NAME, platformSettingsSchema } from './settings.ts';

// Coin top-ups are paid through the payments module, which credits them through this payee.
registerPaymentPayee(LIVE_COINS, topUpPayee);

export const liveModule: SoukModule<LiveRuntime> = {
  name: MODULE_NAME,
  core: false,
  description: 'Live-commerce rooms: WebSocket chat and likes with priority lanes, moderation, history and resume.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: [
    'live_rooms',
    'live_messages',
    'live_moderation',
    'live_room_staff',
    'live_bans',
    'live_keywords',
    'live_gifts',
    'live_coin_balances',
    'live_coin_topups',
    'live_coin_ledger',
    'live_message_types',
    'live_room_orders',
  ],
  settingsSchema: platformSettingsSchema,
  openapi: { ...liveDocs, ...liveCommerceDocs },
  dependsOn: ['accounts', 'events', 'payments', 'orders', 'catalog', 'inventory'],
  createRuntime: createLiveRuntime,
  start: async (_ctx, { hub, commerce, load }) => {
    await hub.start();
    load.start();
    commerce.start();
  },
  // After HTTP stopped (the sockets are closed by then): the last likes and chat are written.
  stop: (_ctx, runtime) => stopLiveRuntime(runtime),
  async routes(app, ctx, runtime) {
    const live = new LiveService(ctx, runtime);
    installHostAccess(app, ctx);
    await storeRoutes(app, ctx, runtime, live);
    hostSocketRoute(app, ctx, runtime);
    adminRoutes(app, ctx, live);
    commerceRoutes(app, ctx, runtime);
    const moderation = new LiveModeration(ctx, runtime);
    setActingServices(runtime, { live, moderation });
    moderationRoutes(app, ctx, moderation);
  },
  subscribe: (ctx, runtime) => subscribePurchaseNotices(ctx, runtime.notices, MODULE_NAME),
};

export type { LiveRuntime } from './runtime.ts';
