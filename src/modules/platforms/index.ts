import type { AnySoukModule, SoukModule } from '../../kernel/context.ts';
import { platformDocs } from './openapi.ts';
import { platformRoutes } from './routes.ts';

export function platformsModule(allModules: () => readonly AnySoukModule[]): SoukModule {
  return {
    name: 'platforms',
    core: true,
    description: 'Platforms (tenants): metadata, hosts, publishable keys',
    migrationsDir: new URL('./migrations/', import.meta.url),
    tenantTables: [],
    openapi: platformDocs,
    routes: (app, ctx) => platformRoutes({ modules: allModules() })(app, ctx),
  };
}
