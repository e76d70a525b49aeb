// The migration module: bring a shop in from Shopify or WooCommerce exports (or a Souk export), and
// export a platform as JSON lines or CSV. Imports write through the catalogue's, inventory's and
// accounts' services; exports read through them and the orders and promotions services.
import type { SoukModule } from '../../kernel/context.ts';
import { migrationDocs } from './openapi.ts';
import { migrationRoutes } from './routes.ts';
import { createMigrationRuntime, stopJobs, type MigrationRuntime } from './runtime.ts';

export const migrationModule: SoukModule<MigrationRuntime> = {
  name: 'migration',
  core: false,
  dependsOn: ['accounts', 'catalog', 'inventory', 'promotions', 'orders', 'events'],
  description: 'Import Shopify and WooCommerce CSV exports or Souk JSON lines as jobs with progress; export a platform as JSON lines or CSV.',
  migrationsDir: new URL('./migrations/', import.meta.url),
  tenantTables: ['migration_jobs', 'migration_job_errors'],
  openapi: migrationDocs,
  createRuntime: createMigrationRuntime,
  stop: (_ctx, runtime) => stopJobs(runtime),
  routes: (app, ctx, runtime) => migrationRoutes(app, ctx, runtime),
};

export { countingBytes, runImport, IMPORT_FORMATS, isImportFormat, type ImportFormat, type ImportSummary } from './import/run.ts';
export type { ImportCounts, ImportError } from './import/apply.ts';
export { exportJsonLines, EXPORT_KINDS, isExportKind, type ExportKind } from './export/lines.ts';
export { exportCsv } from './export/csv.ts';
