import type { SoukModule } from '../../kernel/context.ts';
import { eventDocs } from './openapi.ts';
import { eventRoutes } from './routes.ts';
import type { EventBus } from './bus.ts';

export function eventsModule(bus: () => EventBus): SoukModule {
  return {
    name: 'events',
    core: true,
    description: 'Event backbone: outbox, delivery with acknowledgements, retries, dead letters, replay, timers, tracing',
    migrationsDir: new URL('./migrations/', import.meta.url),
    // Event tables carry a nullable platform_id but are the backbone's own: reached only through the bus.
    tenantTables: [],
    openapi: eventDocs,
    routes: (app, ctx) => eventRoutes(app, ctx, bus()),
  };
}

export { EventBus } from './bus.ts';
export type { DeliveredEvent, EventHandler } from './types.ts';
