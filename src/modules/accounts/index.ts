import type { SoukModule } from '../../kernel/context.ts';
import { memoryRateLimiter, type RateLimiter } from '../../kernel/rate-limit.ts';
import { accountDocs } from './openapi.ts';
import { adminAccountRoutes } from './admin-routes.ts';
import { storeAccountRoutes } from './store-routes.ts';

export function accountsModule(limiter: RateLimiter = memoryRateLimiter()): SoukModule {
  return {
    name: 'accounts',
    core: true,
    description: 'Admin users, secret API keys, customers and their sessions',
    migrationsDir: new URL('./migrations/', import.meta.url),
    tenantTables: ['customers', 'customer_sessions', 'customer_password_tokens'],
    openapi: accountDocs,
    routes(app, ctx) {
      adminAccountRoutes(app, ctx, limiter);
      storeAccountRoutes(app, ctx, limiter);
    },
  };
}

export { authenticateAdmin, bootstrapOwner, createAdminUser } from './admin-service.ts';
export { customersByTokens, requireCustomer, registerCustomer, type Customer } from './customer-service.ts';
export { customerIdsByEmail, customersPage, importCustomers, type CustomerImport, type CustomerImportCounts, type ExportedCustomer } from './customer-import.ts';
